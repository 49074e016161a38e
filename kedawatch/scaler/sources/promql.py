"""A PromQL query against CloudWatch, with the metadata and semantics of KEDA's `prometheus` scaler.

KEDA's `ExecutePromQuery` (pkg/scalers/prometheus_scaler.go) is matched rule for rule: an instant query at the
evaluation time; an empty vector is 0 with `ignoreNullValues`, else an error; more than one element is an error
naming the query; NaN and ±Inf are 0 with `ignoreNullValues`, else an error. Where kedawatch differs (a scalar is
read as its value where KEDA's JSON decoding fails; range vectors and strings are refused when the metadata is
parsed; the keys that make no sense against CloudWatch are refused by name), the README says why.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Hashable
from typing import Any, ClassVar, NamedTuple, cast

from kedawatch import settings
from kedawatch.aws import clients, identities, names, promql, promql_syntax
from kedawatch.scaler import metadata, reads, telemetry
from kedawatch.scaler.sources import base

__all__ = ["PromQLQuery", "PromQLRead"]

MAX_TIMEOUT = 60.0
"""Seconds a query may take at most: it holds one of the scaler's AWS worker threads while it runs."""
_GO_DURATION = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
"""One component of Go's `time.ParseDuration` syntax (`1.5h`, `300ms`); a duration is one or more of them."""
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_CREDENTIALS_REFUSED = (
    "is refused: requests to CloudWatch are signed with SigV4, with the scaler's own identity or awsRoleArn; "
    "no other authentication is sent"
)


@dataclasses.dataclass(frozen=True, slots=True)
class PromQLRead(reads.Read[promql.Answer]):
    """An instant query as CloudWatch is asked it: the same text, parameters and timeout share one request."""

    query: str
    parameters: tuple[tuple[str, str], ...] = ()
    timeout: float | None = None


class _Evaluation(NamedTuple):
    read: PromQLRead
    at: float
    """Unix seconds the query is evaluated at: when the first asker asked, as KEDA evaluates at its now."""


class QueryFetcher(base.SingleReads):
    """One request per distinct query: CloudWatch's PromQL API answers one query a request."""

    read_type: ClassVar[type[reads.Read[Any]]] = PromQLRead

    def __init__(
        self, aws: clients.AwsClients, hub_settings: settings.HubSettings, metrics: telemetry.ScalerMetrics
    ) -> None:
        self._client = promql.PromQLClient(aws, metrics.observe_aws_call)
        self._settings = hub_settings

    def batch_key(self, read: PromQLRead, now: float) -> Hashable:
        return _Evaluation(read, now)

    def freshness(self, read: PromQLRead) -> float:
        return self._settings.promql_freshness

    def push_interval(self, read: PromQLRead) -> float:
        return self._settings.promql_freshness

    def fetch_one(self, key: Hashable, read: PromQLRead) -> base.Answer:
        at = cast(_Evaluation, key).at
        return self._client.query(read.identity, read.query, at, dict(read.parameters), read.timeout)


def _query_parameters(text: str) -> tuple[tuple[str, str], ...]:
    """KEDA's `queryParameters` (`key1=value1,key2=value2`, each part trimmed; a later key wins), sorted.

    Raises ValueError naming the part that does not read, or a parameter the scaler sets itself.
    """
    parsed: dict[str, str] = {}
    for part in text.split(","):
        pair = [side.strip() for side in part.strip().split("=")]
        if len(pair) != 2 or not pair[0]:
            raise ValueError(f"must be key=value pairs separated by commas; {metadata.shown(part.strip())} is not one")
        parsed[pair[0]] = pair[1]
    clash = promql.RESERVED_PARAMETERS.intersection(parsed)
    if clash:
        raise ValueError(f"may not set {', '.join(sorted(clash))}: the scaler sets the query, its time and timeout")
    return tuple(sorted(parsed.items()))


def _timeout_seconds(text: str) -> float | None:
    """KEDA's `timeout`: a Go duration (`1.5s`, `1m30s`, `300ms`) or else whole milliseconds (`1000`); 0 is
    none, as in KEDA.

    Raises ValueError for anything else, a negative timeout, or one longer than `MAX_TIMEOUT`.
    """
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if re.fullmatch(r"[0-9]+", body):
        seconds = sign * int(body) / 1000  # Go's ParseDuration takes no bare number but 0, which is 0 either way
    elif re.fullmatch(f"(?:{_GO_DURATION.pattern})+", body):
        seconds = sign * sum(float(number) * _UNITS[unit] for number, unit in _GO_DURATION.findall(body))
    else:
        raise ValueError("must be a duration such as 30s or 1.5s, or a number of milliseconds")
    if seconds < 0:
        raise ValueError("must not be negative")
    if seconds > MAX_TIMEOUT:
        raise ValueError(f"must be at most {MAX_TIMEOUT:g}s: a query holds one of the scaler's AWS workers")
    return seconds or None


def _problem(convert: Callable[[str], object]) -> Callable[[str], str | None]:
    """A check that runs `convert` and reports its ValueError."""

    def check(text: str) -> str | None:
        try:
            convert(text)
        except ValueError as exc:
            return str(exc)
        return None

    return check


def _server_address_problem(value: str) -> str | None:
    if names.monitoring_endpoint_region(value) is not None:
        return None
    return (
        "must be a CloudWatch monitoring endpoint such as https://monitoring.us-east-1.amazonaws.com, or left out "
        "(the trigger's region's endpoint is used): this source queries CloudWatch's PromQL API only; for any other "
        "Prometheus server, use KEDA's prometheus scaler"
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PromQLQuery(base.AwsParams):
    name: ClassVar[str] = "aws-cloudwatch-promql"
    telltales: ClassVar[tuple[str, ...]] = ("query", "threshold")
    fetcher: ClassVar[type[base.Fetcher]] = QueryFetcher
    refused_keys: ClassVar[dict[str, str]] = {
        "customHeaders": "is refused: requests to CloudWatch carry only the headers SigV4 signs",
        "namespace": (
            "is refused: it names a tenant of a multi-tenant Prometheus (Thanos); CloudWatch has none, so select "
            "by label in the query instead"
        ),
        **dict.fromkeys(
            ("authModes", "authMode", "bearerToken", "token", "username", "password", "customAuthHeader",
             "customAuthValue", "apiKey", "keyParamName"),
            _CREDENTIALS_REFUSED,
        ),
    }  # fmt: skip

    query: str = metadata.param("query", check=promql_syntax.instant_query_problem)
    threshold: float = metadata.param("threshold", check=metadata.positive)
    """The HPA's target value (KEDA's `GetMetricTargetMili` of it)."""
    activation_threshold: float = metadata.param("activationThreshold", default=0.0)
    ignore_null_values: bool = metadata.param("ignoreNullValues", default=True)
    query_parameters: str | None = metadata.param("queryParameters", default=None, check=_problem(_query_parameters))
    timeout: str | None = metadata.param("timeout", default=None, check=_problem(_timeout_seconds))
    server_address: str | None = metadata.param("serverAddress", default=None, check=_server_address_problem)

    def validate(self) -> list[metadata.Problem]:
        region = names.monitoring_endpoint_region(self.server_address or "")
        if region is None:
            return []
        if self.aws_endpoint:
            reason = "and awsEndpoint both say where queries go: give one"
            return [metadata.Problem("serverAddress", self.server_address, reason)]
        if self.aws_region and self.aws_region != region:
            reason = f"is the endpoint of {region}, not of awsRegion {self.aws_region}"
            return [metadata.Problem("serverAddress", self.server_address, reason)]
        return []

    def identity(self, default_region: str) -> identities.AwsIdentity:
        """serverAddress's region, when it names one and awsRegion is absent."""
        region = self.aws_region or names.monitoring_endpoint_region(self.server_address or "") or default_region
        return identities.AwsIdentity(region, self.aws_role_arn, self.aws_endpoint)

    def metric_name(self) -> str:
        """KEDA's prometheus scaler's name, so the HPA's metric stays `s<index>-prometheus` after the move."""
        return "prometheus"

    def target(self) -> float:
        return self.threshold

    def activation(self) -> float:
        return self.activation_threshold

    def read(self, identity: identities.AwsIdentity) -> PromQLRead:
        parameters = _query_parameters(self.query_parameters) if self.query_parameters else ()
        return PromQLRead(identity, self.query, parameters, _timeout_seconds(self.timeout) if self.timeout else None)

    def value(self, answer: promql.Answer) -> float:
        """The one sample's value, or the scalar's, as KEDA's ExecutePromQuery reads it."""
        result = answer.result
        if isinstance(result, promql.Scalar):
            value = result.value
        elif isinstance(result, promql.Vector):
            if not result.samples:
                return self._null("returned an empty vector", answer)
            if len(result.samples) > 1:
                raise base.NoValue(
                    f"PromQL query {self.query!r} returned {len(result.samples)} elements: a trigger needs one "
                    "(aggregate them, e.g. with sum or max)"
                )
            value = result.samples[0].value
        else:
            raise base.NoValue(f"PromQL query {self.query!r} returned a {type(result).__name__.lower()}: no value")
        if math.isnan(value):
            return self._null("returned NaN", answer)
        return value if math.isfinite(value) else self._null(f"returned {'+' if value > 0 else '-'}Inf", answer)

    def _null(self, what: str, answer: promql.Answer) -> float:
        if self.ignore_null_values:
            return 0.0
        said = f" (CloudWatch: {'; '.join(answer.warnings)})" if answer.warnings else ""
        raise base.NoValue(f"PromQL query {self.query!r} {what}{said} and ignoreNullValues is false")
