"""What a stand-in AWS server needs of botocore's pinned model: requests read, checked and answered as AWS does.

Only the stand-ins use this (`kedawatch.standins`); it lives here because only this package imports botocore.

- A request's operation is recognised in whichever protocol botocore sent it: awsJson names it in
  `X-Amz-Target: <targetPrefix>.<Operation>` (what botocore 1.44 sends to CloudWatch and the tagging API, its
  first choice among their `protocols`), Smithy RPCv2 CBOR in the path `/service/<targetPrefix>/operation/<Op>`,
  the query protocol in the body's `Action`. Region and access key come from the SigV4 credential scope.
- Parameters are decoded by botocore's own response parsers run over the operation's *input* shape (they turn
  CBOR tag 1 and JSON epoch numbers into datetimes), and checked by botocore's own `ParamValidator`, extended
  with what botocore leaves to the server and AWS checks: `max` lengths and ranges, `enum` and `pattern`.
  A missing member answers `MissingParameter`, any other violation `ValidationError` (for a service without
  those, such as the tagging API, `InvalidParameterException`), worded as AWS words them: "1 validation error
  detected: Value '30' at 'period' failed to satisfy constraint: Member must have value greater than or equal
  to 60".
- Answers are encoded by botocore's own request serializers run over the operation's *output* shape: a server
  is a client of the mirror model, in which every operation takes its output as input. Timestamps go out as
  CBOR tag 1 or JSON epoch seconds, which boto3 parses back into datetimes. The serializer validates the
  answer against the output shape first, so an answer the real API could not give fails loudly.
- Errors carry AWS's code in the body's `__type` and, for "query compatible" services such as CloudWatch,
  in `x-amzn-query-error`, where botocore looks first; the HTTP status is the error shape's in the model.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any, Literal

import botocore.exceptions
import botocore.loaders
import botocore.model
import botocore.parsers
import botocore.serialize
import botocore.validate

__all__ = ["Answer", "Refusal", "error_answer", "recognise", "service"]

Protocol = Literal["json", "cbor", "query"]
Answer = tuple[int, list[tuple[str, str]], bytes]
"""An HTTP answer: status, headers, body."""

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/")
_RPC_V2_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")


class Refusal(Exception):
    """AWS refuses the request: its error `code` and `message`; `status` None takes the code's from the model."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclasses.dataclass(frozen=True)
class Request:
    """What the HTTP layer tells of a call, before its body is decoded."""

    target: str
    """The service's target prefix (e.g. GraniteServiceVersion20100801); empty in the query protocol."""
    operation: str
    protocol: Protocol
    region: str
    """From the SigV4 credential scope; us-east-1 for an unsigned request."""
    access_key: str


def recognise(path: str, headers: Mapping[str, str], body: bytes) -> Request:
    """Which service and operation a request is for, in which protocol, from its path, headers or (query) body."""
    lowered = {name.lower(): value for name, value in headers.items()}
    credential = _CREDENTIAL.search(lowered.get("authorization", ""))
    access_key, region = credential.groups() if credential else ("", "us-east-1")
    target = lowered.get("x-amz-target", "")
    if target:
        prefix, _, operation = target.rpartition(".")
        return Request(prefix, operation, "json", region, access_key)
    rpc = _RPC_V2_PATH.match(path)
    if rpc:
        return Request(rpc[1], rpc[2], "cbor", region, access_key)
    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["Unknown"])[0]
    return Request("", action, "query", region, access_key)


class Service:
    """One service of botocore's pinned model, as a server sees it."""

    def __init__(self, name: str) -> None:
        loader = botocore.loaders.create_loader()
        definition = loader.load_service_model(name, "service-2")
        self.name = name
        self.model = botocore.model.ServiceModel(definition, service_name=name)
        self.target: str = self.model.metadata["targetPrefix"]
        self._mirror = botocore.model.ServiceModel(_mirrored(definition), service_name=name)
        self._errors = {_error_code(shape): shape for shape in self.model.error_shapes}
        self._query_compatible = "awsQueryCompatible" in self.model.metadata

    def decode(self, request: Request, body: bytes) -> dict[str, Any]:
        """The request's parameters (JSON or CBOR), typed by the input shape and checked against it; `Refusal` if
        they fail."""
        shape = self.model.operation_model(request.operation).input_shape
        if shape is None:
            return {}
        violations = _Violations()
        _Validator().check(_sent(request.protocol, body), shape, violations)
        if violations.missing:
            raise Refusal(self._validation_code(missing=True), violations.missing[0])
        if violations.invalid:
            count = len(violations.invalid)
            detected = f"{count} validation error{'s' if count > 1 else ''} detected: "
            raise Refusal(self._validation_code(missing=False), detected + "; ".join(violations.invalid))
        return dict(_typed(_parsed(request.protocol, body, shape), shape))

    def answer(self, request: Request, result: Mapping[str, Any]) -> Answer:
        """A successful answer: `result` encoded for the operation's output shape in the request's protocol (JSON or
        CBOR: the query protocol is not answered here)."""
        serializer = botocore.serialize.create_serializer(_SERIALIZERS[request.protocol], include_validation=True)
        encoded = serializer.serialize_to_request(dict(result), self._mirror.operation_model(request.operation))
        return 200, self._headers(request.protocol), encoded["body"]

    def refuse(self, request: Request, refusal: Refusal) -> Answer:
        shape = self._errors.get(refusal.code)
        status = refusal.status or (shape.metadata.get("error", {}).get("httpStatusCode", 400) if shape else 400)
        return error_answer(request.protocol, refusal.code, refusal.message, status, self._query_compatible)

    def _headers(self, protocol: Protocol) -> list[tuple[str, str]]:
        return [*_content_headers(protocol, self.model.metadata["jsonVersion"]), *_request_id()]

    def _validation_code(self, *, missing: bool) -> str:
        """The code the service gives a request that breaks its input shape."""
        names = ("MissingRequiredParameterException",) if missing else ()
        for name in (*names, "ValidationException", "InvalidParameterException"):
            if name in self.model.shape_names:
                return _error_code(self.model.shape_for(name))
        return "ValidationException"


@functools.cache
def service(name: str) -> Service:
    """The service `name` of the pinned model, loaded once per process."""
    return Service(name)


def error_answer(protocol: Protocol, code: str, message: str, status: int, query_compatible: bool = True) -> Answer:
    """AWS's error answer in `protocol`. botocore reads the code from `x-amzn-query-error` first, then `__type`."""
    sender = "Receiver" if status >= 500 else "Sender"
    headers = [*_request_id(), *([("x-amzn-query-error", f"{code};{sender}")] if query_compatible else [])]
    if protocol == "query":
        xml = f"<ErrorResponse><Error><Type>{sender}</Type><Code>{code}</Code><Message>{_xml(message)}</Message>"
        return status, [("Content-Type", "text/xml"), *headers], f"{xml}</Error></ErrorResponse>".encode()
    serializer = botocore.serialize.create_serializer(_SERIALIZERS[protocol], include_validation=False)
    body = serializer.serialize_to_request({"__type": code, "message": message}, _ERROR_MODEL)["body"]
    return status, [*_content_headers(protocol, "1.0"), *headers], body


_SERIALIZERS: dict[Protocol, str] = {"json": "json", "cbor": "smithy-rpc-v2-cbor"}
_ERROR_MODEL = botocore.model.ServiceModel(
    {
        "metadata": {"protocol": "json", "jsonVersion": "1.0", "targetPrefix": "Error", "apiVersion": "0"},
        "operations": {
            "Error": {"name": "Error", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "E"}}
        },
        "shapes": {
            "S": {"type": "string"},
            "E": {"type": "structure", "members": {"__type": {"shape": "S"}, "message": {"shape": "S"}}},
        },
    },
    service_name="error",
).operation_model("Error")
"""An error body's shape, for botocore's serializers: `{"__type": code, "message": message}`."""


def _mirrored(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The service's model with every operation taking its output shape as input (and none without output)."""
    mirror = copy.deepcopy(dict(definition))
    for operation in mirror["operations"].values():
        operation.pop("input", None)
        if "output" in operation:
            operation["input"] = operation.pop("output")
    return mirror


def _content_headers(protocol: Protocol, json_version: str) -> list[tuple[str, str]]:
    if protocol == "cbor":
        return [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    return [("Content-Type", f"application/x-amz-json-{json_version}")]


def _error_code(shape: botocore.model.Shape) -> str:
    return str(shape.metadata.get("error", {}).get("code", shape.name))


def _request_id() -> list[tuple[str, str]]:
    return [("x-amzn-RequestId", str(uuid.uuid4()))]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sent(protocol: Protocol, body: bytes) -> dict[str, Any]:
    """The body as sent, before any shape is applied: what the validator checks, as AWS checks what it receives."""
    if not body.strip():
        return {}
    try:
        if protocol == "json":
            sent = _without_nulls(json.loads(body))
        else:
            parser = botocore.parsers.RpcV2CBORParser()
            sent = parser.parse_data_item(parser.get_peekable_stream_from_bytes(body))
    except (ValueError, botocore.parsers.ResponseParserError) as exc:
        raise Refusal("SerializationException", f"the request body is not valid {protocol.upper()}: {exc}") from exc
    if not isinstance(sent, dict):
        raise Refusal("SerializationException", f"the request body is not a {protocol.upper()} map")
    return sent


def _without_nulls(value: Any) -> Any:
    """JSON members sent as null count as not sent."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _parsed(protocol: Protocol, body: bytes, shape: botocore.model.Shape) -> dict[str, Any]:
    """The (valid) body decoded by botocore's parser for `protocol` run over the input shape: typed members."""
    if not body.strip():
        return {}
    parser = botocore.parsers.JSONParser() if protocol == "json" else botocore.parsers.RpcV2CBORParser()
    parsed = parser.parse({"status_code": 200, "headers": {}, "body": body}, shape)
    parsed.pop("ResponseMetadata", None)
    return dict(parsed)


def _typed(value: Any, shape: botocore.model.Shape) -> Any:
    """Whole numbers sent for a double become floats, so that they are stored and answered as AWS answers them."""
    if isinstance(shape, botocore.model.StructureShape) and isinstance(value, dict):
        return {key: _typed(item, shape.members[key]) if key in shape.members else item for key, item in value.items()}
    if isinstance(shape, botocore.model.ListShape) and isinstance(value, list):
        return [_typed(item, shape.member) for item in value]
    if isinstance(shape, botocore.model.MapShape) and isinstance(value, dict):
        return {key: _typed(item, shape.value) for key, item in value.items()}
    if shape.type_name in ("double", "float") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class _Violations:
    """botocore's validator reports here; worded as AWS's validation layer words its answers."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.invalid: list[str] = []

    def report(self, name: str, reason: str, **details: Any) -> None:
        where = _aws_path(name)
        if reason == "unknown field":
            return  # AWS ignores members it does not know, and botocore's parser drops them
        if reason == "missing required field":
            self.missing.append(f"The parameter {_join(name, details['required_name'])} is required.")
            return
        # botocore reports a length as the value; AWS shows the value itself, which is not at hand then.
        value = ""  # a union's violations name the union, not a value
        if "param" in details:
            value = f" of length {details['param']}" if reason in _LENGTHS else f" '{_shown(details['param'])}'"
        constraint = {
            "invalid type": lambda: f"Member must be of type {'/'.join(details['valid_types'])}",
            "invalid length": lambda: f"Member must have length greater than or equal to {details['min_allowed']}",
            "invalid range": lambda: f"Member must have value greater than or equal to {details['min_allowed']}",
            "too long": lambda: f"Member must have length less than or equal to {details['max_allowed']}",
            "too large": lambda: f"Member must have value less than or equal to {details['max_allowed']}",
            "not in enum": lambda: f"Member must satisfy enum value set: [{', '.join(details['enum'])}]",
            "no pattern match": lambda: f"Member must satisfy regular expression pattern: {details['pattern']}",
            "empty input": lambda: f"Member must have exactly one of [{', '.join(details['members'])}] set",
            "more than one input": lambda: f"Member must have exactly one of [{', '.join(details['members'])}] set",
        }.get(reason, lambda: reason)()
        self.invalid.append(f"Value{value} at '{where}' failed to satisfy constraint: {constraint}")


_LENGTHS = ("invalid length", "too long")


_ParamValidator: Any = botocore.validate.ParamValidator
"""botocore's validator; its stubs type only `validate`, not the per-type checks that are extended here."""


class _Validator(_ParamValidator):
    """botocore's validator, plus the constraints botocore leaves to the server: max, enum and pattern."""

    VALIDATED_METADATA_ATTRS = _ParamValidator.VALIDATED_METADATA_ATTRS | {"max", "enum", "pattern"}

    def check(self, params: Mapping[str, Any], shape: botocore.model.Shape, violations: _Violations) -> None:
        self._validate(params, shape, violations, "")

    def _validate_string(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        super()._validate_string(param, shape, errors, name)
        if not isinstance(param, str):
            return
        self._check_max(len(param), shape, errors, name, "too long")
        if shape.enum and param not in shape.enum:
            errors.report(name, "not in enum", param=param, enum=shape.enum)
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, param, re.DOTALL):
            errors.report(name, "no pattern match", param=param, pattern=pattern)

    def _validate_list(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        super()._validate_list(param, shape, errors, name)
        if isinstance(param, list | tuple):
            self._check_max(len(param), shape, errors, name, "too long")

    def _validate_map(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        super()._validate_map(param, shape, errors, name)
        if isinstance(param, dict):
            self._check_max(len(param), shape, errors, name, "too long")

    def _validate_integer(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        super()._validate_integer(param, shape, errors, name)
        self._check_number(param, shape, errors, name)

    def _validate_long(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        super()._validate_long(param, shape, errors, name)
        self._check_number(param, shape, errors, name)

    def _validate_double(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        super()._validate_double(param, shape, errors, name)
        self._check_number(param, shape, errors, name)

    def _check_number(self, param: Any, shape: Any, errors: Any, name: str) -> None:
        if isinstance(param, int | float) and not isinstance(param, bool):
            self._check_max(param, shape, errors, name, "too large")

    @staticmethod
    def _check_max(size: float, shape: Any, errors: Any, name: str, reason: str) -> None:
        if "max" in shape.metadata and size > shape.metadata["max"]:
            errors.report(name, reason, param=size, max_allowed=shape.metadata["max"])


def _aws_path(name: str) -> str:
    """botocore's `.Metrics[0].Id` as AWS names it: `metrics.1.member.id`."""
    parts = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", name):
        parts.append(f"{int(part[1:-1]) + 1}.member" if part.startswith("[") else part[:1].lower() + part[1:])
    return ".".join(parts) or "input"


def _join(name: str, member: str) -> str:
    return f"{name.lstrip('.')}.{member}" if name.strip(".") else member


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else f"{text[:97]}..."
