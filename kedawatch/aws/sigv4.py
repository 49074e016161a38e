"""AWS Signature Version 4 for the HTTP APIs botocore has no client for, both ways: signing and checking.

Both sides use botocore's own signer (`botocore.auth.SigV4Auth`), so a request this module signs is the
request botocore would sign, and a request it accepts is one AWS would accept. Checking is for the local
stand-ins (`kedawatch.standins.promql`): it refuses as AWS does, with the codes and messages of IAM's
"Troubleshoot Signature Version 4 signing for AWS API requests" guide (HTTP 403 for a missing, unknown or
wrong signature; the credential scope must name the service and region the endpoint serves).

Query strings are encoded here the way SigV4 canonicalises them (RFC 3986, `%20` for a space), since
botocore signs a URL's query as written and AWS re-encodes what it receives before comparing.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import urllib.parse
from collections.abc import Mapping, Sequence

import botocore.auth
import botocore.awsrequest
import botocore.credentials

__all__ = ["SERVICE", "Keys", "Received", "encode_query", "sign", "verify"]

SERVICE = "monitoring"
"""The signing name of CloudWatch, and so of its PromQL API on the same host."""

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<headers>[a-z0-9;._-]+),\s*Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclasses.dataclass(frozen=True, slots=True)
class Keys:
    """One consistent set of credentials. Its repr shows the access key id only, so it is safe to log."""

    access_key: str
    secret_key: str = dataclasses.field(repr=False)
    token: str | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Received:
    """A request as a server received it: `target` is the path with its query string, as on the request line."""

    method: str
    target: str
    headers: Mapping[str, str]
    """Header names in any case."""
    body: bytes = b""


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """Why AWS would refuse a request's signature: the HTTP status, AWS's error code and its message."""

    status: int
    code: str
    message: str


def encode_query(params: Sequence[tuple[str, str]]) -> str:
    """A query string (or form body) encoded as SigV4 canonicalises it."""
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="-_.~")


def sign(
    keys: Keys, region: str, method: str, url: str, body: bytes = b"", headers: Mapping[str, str] | None = None,
    service: str = SERVICE,
) -> dict[str, str]:  # fmt: skip
    """The headers to send `method url` with: `headers` plus the date, session token and Authorization."""
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    credentials = botocore.credentials.ReadOnlyCredentials(keys.access_key, keys.secret_key, keys.token)
    botocore.auth.SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def verify(request: Received, region: str, keys: Keys, service: str = SERVICE) -> Refusal | None:
    """None if `request` carries a valid signature by `keys` for `service` in `region`; else AWS's refusal."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    authorization = headers.get("authorization")
    if authorization is None:
        return Refusal(403, "MissingAuthenticationToken", "Missing Authentication Token")
    parts = _AUTHORIZATION.fullmatch(authorization.strip())
    if parts is None:
        return Refusal(400, "IncompleteSignature", "The request signature does not conform to AWS standards.")
    if parts["key"] != keys.access_key or headers.get("x-amz-security-token") != keys.token:
        return Refusal(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    if parts["service"] != service:
        return Refusal(403, "SignatureDoesNotMatch", f"Credential should be scoped to correct service: '{service}'.")
    if parts["region"] != region:
        return Refusal(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region.")
    if not hmac.compare_digest(_signature(request, headers, parts, keys), parts["signature"]):
        return Refusal(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    return None


def _signature(request: Received, headers: dict[str, str], parts: re.Match[str], keys: Keys) -> str:
    """The signature botocore computes over what was received, with the headers the client said it signed."""
    timestamp = headers.get("x-amz-date", "")
    if not timestamp.startswith(parts["date"]):
        return ""  # the scope's date and the request's date disagree: nothing can match
    path, _, query = request.target.partition("?")
    canonical_query = encode_query(urllib.parse.parse_qsl(query, keep_blank_values=True))  # as AWS re-encodes it
    signed = {name: headers.get(name, "") for name in parts["headers"].split(";")}
    recomputed = botocore.awsrequest.AWSRequest(
        method=request.method,
        url=f"http://{headers.get('host', '')}{path}?{canonical_query}".rstrip("?"),
        data=request.body,
        headers=signed,
    )
    recomputed.context["timestamp"] = timestamp
    credentials = botocore.credentials.ReadOnlyCredentials(keys.access_key, keys.secret_key, keys.token)
    signer = botocore.auth.SigV4Auth(credentials, parts["service"], parts["region"])
    if signer.signed_headers(signer.headers_to_sign(recomputed)) != parts["headers"]:
        return ""  # a header that SigV4 never signs (User-Agent, ...) was listed as signed
    return str(signer.signature(signer.string_to_sign(recomputed, signer.canonical_request(recomputed)), recomputed))
