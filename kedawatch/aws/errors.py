"""AWS failures as one exception type with a kind that callers map to their own error codes."""

from __future__ import annotations

import enum

import botocore.exceptions

__all__ = ["TRANSIENT", "AwsError", "Failure", "translate"]


class Failure(enum.Enum):
    """What went wrong, as far as a caller needs to decide what to do next."""

    NOT_FOUND = "not found"
    DENIED = "access denied"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    INVALID = "invalid request"
    INTERNAL = "internal error"


TRANSIENT = frozenset({Failure.THROTTLED, Failure.UNAVAILABLE, Failure.INTERNAL})
"""Failures that may pass on their own: worth a retry, or bridging with the last good value meanwhile."""


class AwsError(Exception):
    """An AWS call failed. `code` is AWS's own error code (or the transport's), kept for messages, and
    `operation` the API operation that failed (PutMetricAlarm), when known."""

    def __init__(self, failure: Failure, code: str, message: str, operation: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.failure = failure
        self.code = code
        self.message = message
        self.operation = operation

    def again(self) -> AwsError:
        """A new instance of this error, for raising a cached one: raising the same instance again would keep
        every frame it passed through alive, growing memory with each answer from cache."""
        return AwsError(self.failure, self.code, self.message, self.operation)


_NOT_FOUND = {
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFound",
    "ResourceNotFoundException",
    "NoSuchEntity",
}
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "AuthFailure",
    "InvalidAccessKeyId",
    "MissingAuthenticationToken",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "LimitExceededException",
    "RequestThrottledException",
}


def translate(exc: Exception, operation: str = "") -> AwsError:
    """Map a botocore exception (or an already translated one) onto an `AwsError` of `operation`."""
    if isinstance(exc, AwsError):
        return exc
    failure, code, message = _kind_of(exc)
    return AwsError(failure, code, message, operation)


def _kind_of(exc: Exception) -> tuple[Failure, str, str]:
    if isinstance(exc, botocore.exceptions.ClientError):
        return _from_client_error(exc)
    if isinstance(exc, botocore.exceptions.ReadTimeoutError | botocore.exceptions.ConnectTimeoutError):
        return Failure.UNAVAILABLE, "Timeout", str(exc)
    if isinstance(exc, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectionError):
        return Failure.UNAVAILABLE, "ConnectionError", str(exc)
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
        return Failure.DENIED, "NoCredentials", str(exc)
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return Failure.INVALID, "NoRegion", str(exc)
    if isinstance(exc, botocore.exceptions.ParamValidationError):
        return Failure.INVALID, "ParamValidation", str(exc)
    return Failure.INTERNAL, type(exc).__name__, str(exc)


def _from_client_error(exc: botocore.exceptions.ClientError) -> tuple[Failure, str, str]:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")) or str(exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return _failure_of(code, status), code, message


def _failure_of(code: str, status: int) -> Failure:
    if code in _NOT_FOUND:
        return Failure.NOT_FOUND
    if code in _DENIED or status in (401, 403):
        return Failure.DENIED
    if code in _THROTTLED or status == 429:
        return Failure.THROTTLED
    if status >= 500:
        return Failure.UNAVAILABLE
    return Failure.INVALID
