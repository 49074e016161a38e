"""Instant PromQL queries against CloudWatch's Prometheus-compatible query API (preview), SigV4-signed.

Where it is, as AWS documents it ("QueryMetrics" in the CloudWatch user guide, CloudWatch-PromQL-API-QueryMetrics;
"PromQL querying", CloudWatch-PromQL-Querying): `GET` or `POST` `/api/v1/query` (and `/api/v1/query_range`) on
the CloudWatch monitoring host of the region, `https://monitoring.<region>.amazonaws.com/api/v1/query`, with the
parameters in the query string or as a form body; signed with SigV4 for the service `monitoring`; the caller
needs both `cloudwatch:GetMetricData` and `cloudwatch:ListMetrics`. An answer holds at most 500 series (the
`limit` parameter asks for fewer); "Query metrics with PromQL" (CloudWatch-PromQL) lists the preview's regions
and quotas. The host is the one botocore's CloudWatch client resolves for the identity,
so a trigger's own endpoint, `AWS_ENDPOINT_URL` and the China and GovCloud partitions work as for every other
call, and a malformed region never turns into a host name.

The answer is Prometheus's HTTP API envelope (prometheus.io/docs/prometheus/latest/querying/api/):
`{"status": "success"|"error", "data": {"resultType", "result"}, "errorType", "error", "warnings"}`, values as
`[<unix seconds>, "<value>"]` with `"NaN"`, `"+Inf"` and `"-Inf"` spelled out. Prometheus answers a malformed
query with 400 `bad_data`, a failed evaluation with 422 `execution`, a timeout with 503. Failures become
`errors.AwsError` with Prometheus's or AWS's code and text, the HTTP status, and the operation's name.

Requests are POSTs with a form body: a PromQL alarm's query may be 10,000 characters, too long for some URLs.
Credentials never leave this module except as the signature: no message, log line or metric label carries the
secret, the session token or the Authorization header (botocore's own debug log would; `kedawatch.logs` keeps
botocore at WARNING).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

import botocore.awsrequest
import botocore.exceptions
import botocore.httpsession
import botocore.utils

from kedawatch import __version__
from kedawatch.aws import clients, errors, identities, sigv4

__all__ = [
    "RESERVED_PARAMETERS",
    "Answer",
    "Matrix",
    "PromQLClient",
    "Result",
    "Sample",
    "Scalar",
    "Series",
    "String",
    "Vector",
]

OPERATION = "QueryMetrics"
"""AWS's name for the query API, as the observer is told it (beside GetMetricData and the others)."""
IAM_ACTIONS = ("cloudwatch:GetMetricData", "cloudwatch:ListMetrics")
"""The IAM actions AWS documents for QueryMetrics (an HTTP API, not a boto3 operation): what a denial says the
caller needs, and what tests/test_iam_policies.py adds to the actions it derives from boto3 calls."""
PATH = "/api/v1/query"
RESERVED_PARAMETERS = frozenset({"query", "time", "timeout"})
"""Set by the client itself; extra parameters may not override them."""
_MESSAGE_LIMIT = 1000

Labels = Mapping[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    """One series of an instant vector: its labels and its value at `timestamp` (unix seconds)."""

    labels: Labels
    timestamp: float
    value: float


@dataclasses.dataclass(frozen=True, slots=True)
class Vector:
    samples: tuple[Sample, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Scalar:
    timestamp: float
    value: float


@dataclasses.dataclass(frozen=True, slots=True)
class Series:
    """One series of a range vector: (unix seconds, value) points, oldest first."""

    labels: Labels
    points: tuple[tuple[float, float], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Matrix:
    series: tuple[Series, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class String:
    timestamp: float
    value: str


Result = Vector | Scalar | Matrix | String


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    result: Result
    warnings: tuple[str, ...] = ()
    """What the server said beside the result (a truncated answer, a partial scan)."""


class PromQLClient:
    """Instant queries as an identity: its credentials and endpoint are those of its boto3 clients.

    Thread-safe; each call blocks for at most the connect and read timeouts of `aws`'s settings.
    """

    def __init__(self, aws: clients.AwsClients, observe: clients.CallObserver | None = None) -> None:
        self._aws = aws
        self._settings = aws.aws_settings
        self._observe = observe
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, float], botocore.httpsession.URLLib3Session] = {}

    def query(
        self,
        identity: identities.AwsIdentity,
        query: str,
        at: float | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        """Evaluate `query` at `at` (unix seconds; the server's now if None).

        `params` are extra API parameters (`limit`, ...). `timeout` (seconds) is sent as the API's evaluation
        timeout and is how long the answer is waited for, instead of the read timeout of the clients' settings.
        Raises `errors.AwsError`, or ValueError when `params` tries to set a parameter the client sets.
        """
        clash = RESERVED_PARAMETERS.intersection(params or {})
        if clash:
            raise ValueError(f"extra query parameters may not set {', '.join(sorted(clash))}: the client does")
        form = [("query", query)]
        if at is not None:
            form.append(("time", f"{at:.3f}"))
        if timeout is not None:
            form.append(("timeout", f"{max(1, round(timeout * 1000))}ms"))  # "0ms" would time out at once
        form.extend(sorted((params or {}).items()))
        try:
            answer = self._ask(identity, sigv4.encode_query(form).encode(), timeout or self._settings.read_timeout)
        except errors.AwsError as exc:
            self._tell(exc.code)
            raise
        self._tell("ok")
        return answer

    def _ask(self, identity: identities.AwsIdentity, body: bytes, read_timeout: float) -> Answer:
        keys = self._aws.credentials(identity)
        try:
            url = self._aws.client("cloudwatch", identity).meta.endpoint_url.rstrip("/") + PATH
            headers = sigv4.sign(keys, identity.region, "POST", url, body, _HEADERS)
            request = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body, headers=headers).prepare()
            response = self._session(url, read_timeout).send(request)
        except botocore.exceptions.BotoCoreError as exc:
            raise _redacted(_transport_error(exc), keys) from None
        try:
            return _read(response.status_code, response.headers, response.content)
        except errors.AwsError as exc:
            raise _redacted(exc, keys) from None

    def _session(self, url: str, read_timeout: float) -> botocore.httpsession.URLLib3Session:
        """One connection pool per endpoint and read timeout, behind the proxy and trusting the CA bundle the
        environment names (HTTPS_PROXY, NO_PROXY, AWS_CA_BUNDLE), as botocore's own clients do."""
        with self._lock:
            session = self._sessions.get((url, read_timeout))
            if session is None:
                session = self._sessions[url, read_timeout] = botocore.httpsession.URLLib3Session(
                    # A bundle's path, a (connect, read) pair and socket options as tuples, as botocore's own
                    # endpoints pass them; its stubs say a bool, an int and strings.
                    verify=os.environ.get("AWS_CA_BUNDLE") or True,  # type: ignore[arg-type]
                    proxies=botocore.utils.get_environ_proxies(url),
                    timeout=(self._settings.connect_timeout, read_timeout),  # type: ignore[arg-type]
                    max_pool_connections=self._settings.max_pool_connections,
                    # No Nagle, as botocore's clients: headers and body go in two writes, +40 ms a request without.
                    socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],  # type: ignore[list-item]
                )
            return session

    def _tell(self, outcome: str) -> None:
        if self._observe is not None:
            self._observe(OPERATION, outcome)


_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
    "User-Agent": f"kedawatch/{__version__}",
}


def _transport_error(exc: botocore.exceptions.BotoCoreError) -> errors.AwsError:
    """No answer at all. A connection closed before the answer is as unreachable as a refused one."""
    translated = errors.translate(exc, OPERATION)
    failure, code = translated.failure, translated.code
    if isinstance(exc, botocore.exceptions.HTTPClientError) and failure is errors.Failure.INTERNAL:
        failure, code = errors.Failure.UNAVAILABLE, "ConnectionClosed"
    return errors.AwsError(failure, code, f"PromQL query: {translated.message}", OPERATION)


def _read(status: int, headers: Mapping[str, str], content: bytes) -> Answer:
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = None
    if 200 <= status < 300 and body is not None and body.get("status") == "success":
        return _parse(body)
    code, text = _error_of(status, headers, body, content)
    if code.startswith("AccessDenied"):
        text += f" (QueryMetrics needs {' and '.join(IAM_ACTIONS)})"
    answer = {
        "Error": {"Code": code, "Message": f"PromQL query (HTTP {status}): {text}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    # An error answer as botocore reports one, so the one mapping onto failures decides, as for every AWS call.
    raise errors.translate(botocore.exceptions.ClientError(answer, OPERATION), OPERATION)  # type: ignore[arg-type]


def _error_of(status: int, headers: Mapping[str, str], body: dict[str, Any] | None, content: bytes) -> tuple[str, str]:
    """The error's code and text, from Prometheus's envelope, AWS's JSON error or AWS's error headers."""
    body = body or {}
    code = body.get("errorType") or body.get("__type") or body.get("code") or _header_code(headers)
    text = body.get("error") or body.get("message") or body.get("Message")
    if text is None:
        text = content.decode("utf-8", "replace").strip() or "no details given"
    return str(code or f"HTTP{status}").rpartition("#")[2], str(text)


def _header_code(headers: Mapping[str, str]) -> str | None:
    """AWS names the error in `x-amzn-ErrorType` ("Code:uri") or, for query-compatible services, in
    `x-amzn-query-error` ("Code;Sender")."""
    lowered = {name.lower(): value for name, value in headers.items()}
    named = lowered.get("x-amzn-errortype") or lowered.get("x-amzn-query-error")
    return named.split(":")[0].split(";")[0] if named else None


def _redacted(exc: errors.AwsError, keys: sigv4.Keys) -> errors.AwsError:
    """The error without any credential an answer (or a library) may have echoed, and of bounded length."""
    message = exc.message
    for secret in (keys.secret_key, keys.token):
        if secret:
            message = message.replace(secret, "***")
    if len(message) > _MESSAGE_LIMIT:
        message = message[:_MESSAGE_LIMIT] + "..."
    return errors.AwsError(exc.failure, exc.code, message, exc.operation)


def _parse(body: dict[str, Any]) -> Answer:
    try:
        data = body["data"]
        kind, result = data["resultType"], data["result"]
        parse = _PARSERS[kind]
    except (KeyError, TypeError):
        raise _unreadable(f"no known resultType in {str(body)[:200]}") from None
    try:
        return Answer(parse(result), tuple(str(warning) for warning in body.get("warnings") or ()))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise _unreadable(f"a {kind} result that does not read: {exc!r}") from None


def _vector(result: list[Any]) -> Vector:
    if any("value" not in sample and "histogram" in sample for sample in result):
        raise errors.AwsError(
            errors.Failure.INVALID,
            "NativeHistogram",
            "PromQL query: the answer holds native histogram samples, which have no single value; "
            "ask for one, e.g. with histogram_quantile(), histogram_sum() or histogram_count()",
        )
    return Vector(tuple(Sample(_labels(sample["metric"]), *_point(sample["value"])) for sample in result))


def _matrix(result: list[Any]) -> Matrix:
    return Matrix(
        tuple(Series(_labels(one["metric"]), tuple(_point(point) for point in one["values"])) for one in result)
    )


def _scalar(result: list[Any]) -> Scalar:
    return Scalar(*_point(result))


def _string(result: list[Any]) -> String:
    timestamp, value = result
    return String(float(timestamp), str(value))


def _point(pair: list[Any]) -> tuple[float, float]:
    """`[1700000000.123, "42"]`: float() reads Prometheus's "NaN", "+Inf" and "-Inf" as they are."""
    timestamp, value = pair
    if not isinstance(value, str):
        raise TypeError(f"a value is a string, not {value!r}")
    return float(timestamp), float(value)


def _labels(metric: Any) -> dict[str, str]:
    if not isinstance(metric, dict):
        raise TypeError(f"labels are an object, not {metric!r}")
    return {str(name): str(value) for name, value in metric.items()}


def _unreadable(detail: str) -> errors.AwsError:
    message = f"PromQL query: not Prometheus's JSON: {detail}"
    return errors.AwsError(errors.Failure.INTERNAL, "UnreadableAnswer", message)


_PARSERS: dict[str, Callable[[Any], Result]] = {
    "vector": _vector,
    "matrix": _matrix,
    "scalar": _scalar,
    "string": _string,
}
