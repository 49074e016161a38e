"""The aws-cloudwatch-promql source over gRPC, against the PromQL stand-in over HTTP: KEDA's prometheus scaler's
metadata and rules, CloudWatch's refusals, sharing through the metric hub, push, and the stale bridge.

Tests named "recorded" run everywhere on answers recorded as Prometheus gives them; the others need the real
engine (Debian's Prometheus) and skip without it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from kedawatch import logs, settings
from kedawatch.aws import identities, promql_syntax, sigv4
from kedawatch.demo import local
from kedawatch.scaler import triggers
from kedawatch.scaler.sources import promql as promql_source
from kedawatch.standins import aws
from kedawatch.standins import promql as standin
from kedawatch.standins.clock import FakeClock
from tests.promql_fixtures import DEPTHS
from tests.scaler.conftest import TRUSTING, Scaler, running_scaler, until
from tests.scaler.test_stream_is_active import Pushes

QUERY = "sum(kedawatch_test_queue_depth)"
FRESHNESS = settings.HubSettings().promql_freshness
STALE_LIMIT = 60.0
AWS_SETTINGS = settings.AwsSettings(connect_timeout=0.5, read_timeout=0.5)
KEDA_DEADLINE = 3.0
ROLE = "arn:aws:iam::123456789012:role/promql-reader"


def vector(*values: str) -> dict[str, Any]:
    """An instant vector as Prometheus answers it: one sample per value, each its own series."""
    samples = [{"metric": {"queue": f"q{index}"}, "value": [1700000000.0, value]} for index, value in enumerate(values)]
    return {"status": "success", "data": {"resultType": "vector", "result": samples}}


def scalar(value: str) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "scalar", "result": [1700000000.0, value]}}


def refusal(kind: str, error: str) -> dict[str, Any]:
    return {"status": "error", "errorType": kind, "error": error}


def sent(server: standin.PromQLStandin) -> dict[str, str]:
    """The form parameters of the last request the stand-in received."""
    assert server.last is not None
    return dict(urllib.parse.parse_qsl(server.last.body.decode()))


@pytest.fixture
async def scaler(moto: aws.AwsStandIn, clock: FakeClock) -> AsyncIterator[Scaler]:
    hub = settings.HubSettings(stale_limit=STALE_LIMIT)
    async with running_scaler(hub, aws_settings=AWS_SETTINGS, clock=clock, policy=TRUSTING) as running:
        yield running


def trigger(server: standin.PromQLStandin, **keys: str) -> dict[str, str]:
    """A trigger as a user moves it from `type: prometheus`: serverAddress dropped, CloudWatch's endpoint (here,
    the stand-in's) in awsEndpoint."""
    return {"query": QUERY, "threshold": "5", "awsEndpoint": server.url, **keys}


async def refused(scaler: Scaler, metadata: dict[str, str]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value(metadata, deadline=KEDA_DEADLINE)
    return raised.value


async def window_passes(scaler: Scaler, clock: FakeClock) -> None:
    await clock.advance(FRESHNESS + 0.5)
    await scaler.server.hub.settle()


# --- metadata -------------------------------------------------------------------------------------------------

SECRET = "s3cr3t-bearer-token"

BAD_METADATA = [
    pytest.param({"query": ""}, "query is required", id="no query"),
    pytest.param({"threshold": ""}, "threshold is required", id="no threshold"),
    pytest.param({"threshold": "0"}, "threshold='0': must be greater than 0", id="zero threshold"),
    pytest.param({"threshold": "-3"}, "threshold='-3': must be greater than 0", id="negative threshold"),
    pytest.param({"threshold": "NaN"}, "threshold='NaN': must be a finite number", id="nan threshold"),
    pytest.param({"activationThreshold": "one"}, "activationThreshold='one': must be a number", id="activation"),
    pytest.param({"ignoreNullValues": "xxxx"}, "ignoreNullValues='xxxx': must be true or false", id="ignore null"),
    pytest.param({"queryParameters": "key1=value1,key2"}, "'key2' is not one", id="parameter without value"),
    pytest.param({"queryParameters": "=value"}, "queryParameters='=value': must be key=value pairs", id="nameless"),
    pytest.param(
        {"queryParameters": "x" * 70_000}, f"{'x' * 80}...' is not one", id="huge parameter quoted short"
    ),
    pytest.param({"queryParameters": "time=0,limit=1"}, "may not set time: the scaler sets", id="reserved parameter"),
    pytest.param({"timeout": "-1"}, "timeout='-1': must not be negative", id="negative timeout"),
    pytest.param({"timeout": "a"}, "timeout='a': must be a duration such as 30s", id="timeout not a duration"),
    pytest.param({"timeout": "2m"}, "timeout='2m': must be at most 60s", id="timeout too long"),
    pytest.param({"awsRegion": "mars"}, "awsRegion='mars': must be an AWS region", id="region"),
    pytest.param({"awsRoleArn": "admin"}, "awsRoleArn='admin': must be an IAM role ARN", id="role"),
    pytest.param(
        {"serverAddress": "http://prometheus.monitoring:9090"},
        "must be a CloudWatch monitoring endpoint such as https://monitoring.us-east-1.amazonaws.com",
        id="another prometheus server",
    ),
    pytest.param(
        {"serverAddress": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1"},
        "for any other Prometheus server, use KEDA's prometheus scaler",
        id="amazon managed prometheus",
    ),
    pytest.param(
        {"serverAddress": "https://monitoring.eu-west-1.amazonaws.com", "awsEndpoint": "", "awsRegion": "us-east-1"},
        "is the endpoint of eu-west-1, not of awsRegion us-east-1",
        id="server address of another region",
    ),
    pytest.param(
        {"serverAddress": "https://monitoring.us-east-1.amazonaws.com"},
        "and awsEndpoint both say where queries go",
        id="server address and endpoint",
    ),
    pytest.param(
        {"customHeaders": f"Authorization=Bearer {SECRET}"},
        "customHeaders is refused: requests to CloudWatch carry only the headers SigV4 signs",
        id="custom headers",
    ),
    pytest.param(
        {"source": "aws-cloudwatch-promql", "namespace": "team-a"},
        "namespace is refused: it names a tenant of a multi-tenant Prometheus",
        id="namespace",
    ),
    pytest.param(
        {"namespace": "team-a"},
        "both aws-cloudwatch (namespace) and aws-cloudwatch-promql (query, threshold)",
        id="namespace without source",
    ),
    pytest.param({"authModes": "bearer", "bearerToken": SECRET}, "bearerToken is refused: requests", id="bearer"),
    pytest.param({"authModes": "basic", "password": SECRET}, "authModes is refused: requests", id="basic"),
    pytest.param({"customAuthValueFromEnv": SECRET}, "customAuthValueFromEnv is refused", id="custom auth"),
    pytest.param({"awsAccessKeyID": "AKIA", "awsSecretAccessKey": SECRET}, "static credentials", id="static keys"),
    pytest.param({"query": "sum(rate(x[5m])"}, "query='sum(rate(x[5m])': is not valid PromQL: unclosed left parenthesis", id="unclosed"),
    pytest.param({"query": "up{job="}, "is not valid PromQL: unexpected end of input inside braces", id="braces"),
    pytest.param({"query": "rate(x)"}, "is not valid PromQL: expected type matrix in call to function 'rate', got vector", id="types"),
    pytest.param({"query": "nope(x)"}, "is not valid PromQL: unknown function with name 'nope'", id="unknown function"),
    pytest.param({"query": "sum(x) by"}, "is not valid PromQL: invalid promql query", id="no detail"),
    pytest.param({"query": "x[5m]"}, "is a range vector", id="range vector"),
    pytest.param({"query": "(max(x)[10m:1m])"}, "is a range vector", id="subquery"),
    pytest.param({"query": '"busy"'}, "is a string literal", id="string"),
    pytest.param({"query": "1" + "+1" * 4500}, f"must be at most {promql_syntax.MAX_LENGTH} characters, not 9001", id="too long"),
]  # fmt: skip


@pytest.mark.parametrize(("keys", "expected"), BAD_METADATA)
async def test_bad_metadata_is_refused_by_name_and_never_reaches_cloudwatch_from_recorded_answers(
    scaler: Scaler, recorded: standin.PromQLStandin, keys: dict[str, str], expected: str
) -> None:
    metadata = {key: value for key, value in trigger(recorded, **keys).items() if value}
    for call in (scaler.stub.GetMetricSpec, scaler.stub.IsActive):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call(scaler.ref(metadata), timeout=KEDA_DEADLINE)
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert expected in (raised.value.details() or "")
        assert SECRET not in (raised.value.details() or "")
    assert recorded.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("(" * 1023 + "1" + ")" * 1023, id="nested parentheses"),
        pytest.param("1" + "+1" * 1023, id="a chain of operators"),
    ],
)
def test_the_longest_query_allowed_parses_without_harming_the_process(query: str) -> None:
    assert len(query) <= promql_syntax.MAX_LENGTH
    assert promql_syntax.instant_query_problem(query) is None


def test_every_key_of_keda_s_prometheus_scaler_that_applies_is_read() -> None:
    parsed = triggers.parse(
        {
            "query": QUERY, "threshold": "2.5", "activationThreshold": "1", "ignoreNullValues": "false",
            "queryParameters": " limit = 1 , lookback_delta=1m,limit=2", "timeout": "1500ms",
            "serverAddress": "https://monitoring.eu-west-1.amazonaws.com/", "awsRoleArn": ROLE,
            "identityOwner": "operator", "unsafeSsl": "true", "metricName": "ignored",
            "scalerAddress": "kedawatch:9090", "source": "aws-cloudwatch-promql",
        },
        "us-east-1",
    )  # fmt: skip
    assert parsed.identity == identities.AwsIdentity("eu-west-1", ROLE), "serverAddress names the region"
    assert parsed.read == promql_source.PromQLRead(
        parsed.identity, QUERY, (("limit", "2"), ("lookback_delta", "1m")), 1.5
    ), "KEDA's key=value pairs: trimmed, a later key wins"
    assert (parsed.source.target(), parsed.source.activation()) == (2.5, 1.0)


def test_keda_s_defaults_apply_and_from_env_keys_are_read() -> None:
    parsed = triggers.parse({"queryFromEnv": QUERY, "thresholdFromEnv": "5"}, "us-east-1")
    assert parsed.source.name == "aws-cloudwatch-promql"
    assert parsed.source.activation() == 0.0
    assert parsed.read == promql_source.PromQLRead(identities.AwsIdentity("us-east-1"), QUERY)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("1000", 1.0, id="milliseconds"),
        pytest.param("+7", 0.007, id="signed milliseconds"),
        pytest.param("1.5s", 1.5, id="seconds"),
        pytest.param("250ms", 0.25, id="go milliseconds"),
        pytest.param("1s500ms", 1.5, id="components"),
        pytest.param("1m", 60.0, id="a minute"),
        pytest.param("0", None, id="zero is none"),
        pytest.param("0s", None, id="zero seconds is none"),
    ],
)
def test_timeout_is_read_as_keda_reads_a_duration(text: str, seconds: float | None) -> None:
    read = triggers.parse({"query": QUERY, "threshold": "5", "timeout": text}, "us-east-1").read
    assert isinstance(read, promql_source.PromQLRead)
    assert read.timeout == (pytest.approx(seconds) if seconds else None)


async def test_metric_spec_keeps_keda_s_metric_name_and_targets_the_threshold_from_recorded_answers(
    scaler: Scaler, recorded: standin.PromQLStandin
) -> None:
    answer = await scaler.stub.GetMetricSpec(scaler.ref(trigger(recorded, threshold="2.5")))
    (spec,) = answer.metricSpecs
    assert (spec.metricName, spec.targetSizeFloat, spec.targetSize) == ("prometheus", 2.5, 2)
    assert recorded.count() == 0, "a spec needs no query"


# --- values: KEDA's ExecutePromQuery, rule by rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keys", "expected"),
    [
        pytest.param(vector("7"), {}, 7.0, id="one sample"),
        pytest.param(vector("-2.5"), {}, -2.5, id="a negative value as it is"),
        pytest.param(scalar("3.5"), {}, 3.5, id="a scalar"),
        pytest.param(vector(), {}, 0.0, id="empty vector"),
        pytest.param(vector(), {"ignoreNullValues": "false"}, "returned an empty vector and ignoreNullValues is false", id="empty vector, not ignored"),
        pytest.param(vector("1", "2"), {}, f"PromQL query {QUERY!r} returned 2 elements", id="two elements"),
        pytest.param(vector("1", "2"), {"ignoreNullValues": "false"}, "returned 2 elements: a trigger needs one", id="two elements, not ignored"),
        pytest.param(vector("NaN"), {}, 0.0, id="nan"),
        pytest.param(vector("+Inf"), {}, 0.0, id="plus inf"),
        pytest.param(vector("-Inf"), {}, 0.0, id="minus inf"),
        pytest.param(scalar("NaN"), {}, 0.0, id="scalar nan"),
        pytest.param(vector("NaN"), {"ignoreNullValues": "false"}, "returned NaN and ignoreNullValues is false", id="nan, not ignored"),
        pytest.param(vector("+Inf"), {"ignoreNullValues": "false"}, "returned +Inf and", id="plus inf, not ignored"),
        pytest.param(scalar("-Inf"), {"ignoreNullValues": "f"}, "returned -Inf and", id="scalar minus inf, not ignored"),
        pytest.param(
            {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "2"]]}]}},
            {}, "returned a matrix: no value", id="a matrix after all",
        ),
    ],
)  # fmt: skip
async def test_each_result_shape_gives_keda_s_value_or_error_from_recorded_answers(
    scaler: Scaler,
    recorded: standin.PromQLStandin,
    body: dict[str, Any],
    keys: dict[str, str],
    expected: float | str,
) -> None:
    recorded.record(QUERY, body)
    metadata = trigger(recorded, **keys)
    if isinstance(expected, float):
        assert await scaler.value(metadata) == expected
        return
    error = await refused(scaler, metadata)
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert expected in (error.details() or "")


async def test_active_only_above_the_activation_threshold_from_recorded_answers(
    scaler: Scaler, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("3"))
    assert await scaler.active(trigger(recorded)) is True, "activationThreshold defaults to 0"
    assert await scaler.active(trigger(recorded, activationThreshold="3")) is False
    assert await scaler.active(trigger(recorded, activationThreshold="2.5")) is True
    assert recorded.count() == 1, "triggers on one query share its answer, whatever their thresholds"


async def test_the_query_is_evaluated_when_first_asked_and_shared_for_a_freshness_window_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("7"))
    asked = clock.time()
    assert await scaler.value(trigger(recorded)) == 7.0
    assert sent(recorded) == {"query": QUERY, "time": f"{asked:.3f}"}
    await clock.advance(FRESHNESS - 1)
    recorded.record(QUERY, vector("9"))
    assert await scaler.value(trigger(recorded)) == 7.0, "within the window: the first asker's answer"
    assert recorded.count() == 1
    await clock.advance(2)
    assert await scaler.value(trigger(recorded)) == 9.0
    assert sent(recorded)["time"] == f"{asked + FRESHNESS + 1:.3f}"


async def test_query_parameters_and_timeout_are_sent_with_the_query_from_recorded_answers(
    scaler: Scaler, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("1"))
    metadata = trigger(recorded, queryParameters="lookback_delta=1m, limit=1", timeout="1500ms")
    assert await scaler.value(metadata) == 1.0
    assert sent(recorded) == {
        "query": QUERY, "time": sent(recorded)["time"], "timeout": "1500ms", "limit": "1",
        "lookback_delta": "1m",
    }  # fmt: skip
    assert await scaler.value(trigger(recorded)) == 1.0
    assert recorded.count() == 2, "other parameters make another request"


async def test_timeout_is_how_long_an_answer_is_waited_for_from_recorded_answers(
    scaler: Scaler, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("4"))
    recorded.inject(aws.slow(0.8))
    error = await refused(scaler, trigger(recorded, timeout="300ms"))
    assert error.code() is grpc.StatusCode.UNAVAILABLE
    assert "Timeout" in (error.details() or "")
    assert await scaler.value(trigger(recorded, timeout="2s")) == 4.0, "longer than the 0.5 s read timeout"


# --- CloudWatch's refusals and failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "code", "words"),
    [
        pytest.param(
            (refusal("bad_data", 'invalid parameter "query": 1:5: parse error: unexpected character'), 400),
            grpc.StatusCode.INVALID_ARGUMENT, "bad_data: PromQL query (HTTP 400): invalid parameter", id="400 bad data",
        ),
        pytest.param(
            (refusal("execution", "invalid regular expression in label_replace(): ("), 422),
            grpc.StatusCode.INVALID_ARGUMENT, "execution: PromQL query (HTTP 422)", id="422 execution",
        ),
        pytest.param(
            aws.Fault(403, "AccessDeniedException", message="not authorized to perform: cloudwatch:ListMetrics"),
            grpc.StatusCode.PERMISSION_DENIED,
            "(QueryMetrics needs cloudwatch:GetMetricData and cloudwatch:ListMetrics)", id="403 access denied",
        ),
    ],
)  # fmt: skip
async def test_cloudwatch_s_refusals_map_to_grpc_codes_from_recorded_answers(
    scaler: Scaler,
    recorded: standin.PromQLStandin,
    answer: tuple[dict[str, Any], int] | aws.Fault,
    code: grpc.StatusCode,
    words: str,
) -> None:
    if isinstance(answer, aws.Fault):
        recorded.record(QUERY, vector("1"))
        recorded.inject(answer)
    else:
        recorded.record(QUERY, *answer)
    error = await refused(scaler, trigger(recorded))
    assert error.code() is code
    assert words in (error.details() or "")


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        pytest.param(standin.THROTTLING, "Throttling", id="throttling"),
        pytest.param(standin.INTERNAL_ERROR, "InternalFailure", id="500"),
        pytest.param(standin.UNAVAILABLE, "ServiceUnavailable", id="503"),
        pytest.param(aws.slow(AWS_SETTINGS.read_timeout + 0.5), "Timeout", id="too slow"),
    ],
)
async def test_a_failing_cloudwatch_is_bridged_by_the_last_good_value_then_unavailable_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin, fault: aws.Fault, code: str
) -> None:
    metadata = trigger(recorded)
    recorded.record(QUERY, vector("6"))
    assert await scaler.value(metadata) == 6.0
    recorded.inject(fault)
    await window_passes(scaler, clock)
    assert await scaler.value(metadata, deadline=KEDA_DEADLINE) == 6.0, "the last good value, while CloudWatch fails"
    assert scaler.metric("kedawatch_hub_reads_total", answer="stale") >= 1
    await clock.advance(STALE_LIMIT)
    await scaler.server.hub.settle()
    error = await refused(scaler, metadata)
    assert error.code() is grpc.StatusCode.UNAVAILABLE
    assert code in (error.details() or "")
    recorded.heal()
    recorded.record(QUERY, vector("8"))
    await window_passes(scaler, clock)
    assert await scaler.value(metadata) == 8.0, "fresh values again once CloudWatch answers"


async def test_a_wrong_signature_is_denied_at_once_and_never_bridged_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin
) -> None:
    metadata = trigger(recorded)
    recorded.record(QUERY, vector("6"))
    assert await scaler.value(metadata) == 6.0
    recorded.keys = dataclasses.replace(standin.DUMMY_KEYS, secret_key="rotated")  # as after a rotation
    await window_passes(scaler, clock)
    error = await refused(scaler, metadata)
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "SignatureDoesNotMatch" in (error.details() or "")
    assert recorded.requests[QUERY, "SignatureDoesNotMatch"] == 1


async def test_a_trigger_with_a_role_is_signed_with_the_role_s_credentials_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("2"))
    metadata = trigger(recorded, awsRoleArn=ROLE)
    error = await refused(scaler, metadata)
    assert (error.code(), recorded.requests[QUERY, "InvalidClientTokenId"]) == (
        grpc.StatusCode.PERMISSION_DENIED, 1,
    ), "the stand-in knows only the scaler's own keys"  # fmt: skip
    role = scaler.server.triggers.get(metadata, "default").identity
    recorded.keys = scaler.server.aws.credentials(role)  # moto's STS: the role's keys, as the scaler holds them
    await clock.advance(settings.HubSettings().error_ttl + 0.5)
    assert await scaler.value(metadata) == 2.0
    assert scaler.aws_calls("AssumeRole") == 1


async def test_the_tenant_policy_applies_before_any_request_from_recorded_answers(
    moto: aws.AwsStandIn, recorded: standin.PromQLStandin
) -> None:
    policy = {"default": {"regions": ["us-east-1"]}}
    async with running_scaler(aws_settings=AWS_SETTINGS, policy=policy) as scaler:
        error = await refused(scaler, trigger(recorded))
        assert error.code() is grpc.StatusCode.PERMISSION_DENIED
        assert f"may not use awsEndpoint {recorded.url!r}" in (error.details() or "")
        elsewhere = {"query": QUERY, "threshold": "5", "serverAddress": "https://monitoring.eu-west-1.amazonaws.com"}
        error = await refused(scaler, elsewhere)
        assert "may not use awsRegion 'eu-west-1'" in (error.details() or "")
    assert recorded.count() == 0


async def test_requests_are_counted_by_outcome_in_the_scaler_s_metrics_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("1"))
    assert await scaler.value(trigger(recorded)) == 1.0
    recorded.inject(standin.THROTTLING)
    await window_passes(scaler, clock)
    assert await scaler.value(trigger(recorded)) == 1.0
    await scaler.server.hub.settle()
    counted = {
        outcome: scaler.metric("kedawatch_aws_calls_total", operation="QueryMetrics", outcome=outcome)
        for outcome in ("ok", "Throttling")
    }
    assert (
        counted
        == {"ok": 1.0, "Throttling": 1.0}
        == {outcome: float(recorded.requests[QUERY, outcome]) for outcome in counted}
    )


POD_KEYS = sigv4.Keys("AKIDKEDAWATCHPOD", "pod-secret-5e8a1c", "pod-session-token-77d3f0")


async def test_no_secret_token_or_authorization_appears_in_logs_metrics_or_answers_from_recorded_answers(
    moto: aws.AwsStandIn, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", POD_KEYS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", POD_KEYS.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", POD_KEYS.token or "")
    server = standin.PromQLStandin(keys=POD_KEYS).start()
    clock, shown = FakeClock(), []
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.configure(settings.LogSettings(level="DEBUG", json=True))
    try:
        serving = dataclasses.replace(local.LOOPBACK, metrics_port=aws.free_port())
        async with running_scaler(None, serving, AWS_SETTINGS, clock=clock, policy=TRUSTING) as scaler:
            server.record(QUERY, vector("3"))
            assert await scaler.value(trigger(server)) == 3.0
            echoing = aws.Fault(403, "SignatureDoesNotMatch", message=f"signed with {POD_KEYS.secret_key}")
            for fault in (echoing, standin.THROTTLING):
                server.inject(fault)
                await clock.advance(settings.HubSettings().stale_limit + FRESHNESS)
                shown.append((await refused(scaler, trigger(server))).details() or "")
            shown.append(await asyncio.to_thread(scrape, scaler.server.metrics_port))
        assert server.last is not None
        authorization = server.last.headers["Authorization"]
    finally:
        root.handlers[:], root.level = handlers, level
        server.stop()
    shown.append(capfd.readouterr().err)
    text = "\n".join(shown)
    assert "SignatureDoesNotMatch: PromQL query (HTTP 403): signed with ***" in text, "the denial is shown"
    assert 'operation="QueryMetrics"' in text and "GetMetrics" in text, "the metrics and the logs were captured"
    for secret in (POD_KEYS.secret_key, POD_KEYS.token or "", authorization, authorization.rsplit("=", 1)[1]):
        assert secret not in text


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


# --- the metric hub: sharing, push ----------------------------------------------------------------------------


async def test_a_thousand_triggers_on_ten_queries_make_ten_requests_a_freshness_window_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin
) -> None:
    queries = [f'sum(kedawatch_test_queue_depth{{queue="q{index}"}})' for index in range(10)]
    for index, query in enumerate(queries):
        recorded.record(query, vector(str(index)))
    metadatas = [trigger(recorded, query=queries[index % 10], threshold=str(1 + index // 10)) for index in range(1000)]
    for window in range(1, 3):
        values = await asyncio.gather(*(scaler.value(metadata, deadline=30) for metadata in metadatas))
        assert values == [float(index % 10) for index in range(1000)]
        assert {query: recorded.count(query) for query in queries} == dict.fromkeys(queries, window)
        assert scaler.metric("kedawatch_hub_reads_total", answer="miss") == 10 * window
        assert scaler.metric("kedawatch_aws_calls_total", operation="QueryMetrics", outcome="ok") == 10 * window
        await window_passes(scaler, clock)


async def test_concurrent_askers_wait_for_the_one_request_in_flight_from_recorded_answers(
    scaler: Scaler, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("5"))
    recorded.inject(aws.slow(0.3))
    values = await asyncio.gather(*(scaler.value(trigger(recorded, threshold=str(n))) for n in range(1, 51)))
    assert values == [5.0] * 50
    assert recorded.count() == 1
    coalesced = scaler.metric("kedawatch_hub_reads_total", answer="coalesced")
    assert coalesced >= 1 and coalesced + scaler.metric("kedawatch_hub_reads_total", answer="hit") == 49


async def test_external_push_tells_keda_once_when_the_query_goes_above_activation_from_recorded_answers(
    scaler: Scaler, clock: FakeClock, recorded: standin.PromQLStandin
) -> None:
    recorded.record(QUERY, vector("0"))
    stream = Pushes(scaler.stub.StreamIsActive(scaler.ref(trigger(recorded))))
    try:
        await until(lambda: recorded.count() == 1, within=5)
        for _ in range(3):
            await window_passes(scaler, clock)
        assert await stream.next(0.5) is None, "inactive: nothing is pushed"
        assert recorded.count() <= 1 + 3, "at most one request a window for the watch"
        recorded.record(QUERY, vector("4"))
        await window_passes(scaler, clock)
        assert await stream.next(5.0) is True
        await window_passes(scaler, clock)
        assert await stream.next(0.5) is None, "still active: no repeated true"
    finally:
        stream.cancel()


# --- the real engine ------------------------------------------------------------------------------------------


async def test_prometheus_s_engine_answers_the_query_keda_scales_on(
    moto: aws.AwsStandIn, prometheus: standin.PromQLStandin
) -> None:
    expected = sum(DEPTHS.values())
    hub = settings.HubSettings(promql_freshness=0.1)  # on the real clock, since the engine evaluates at the time asked
    async with running_scaler(hub, aws_settings=AWS_SETTINGS, policy=TRUSTING) as scaler:
        for query in (QUERY, f"scalar({QUERY})"):
            for _ in range(100):  # the engine's first scrape comes 1 to 6 s after it starts; until then, no data: 0
                if await scaler.value(trigger(prometheus, query=query)) == expected:
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"{query} never answered {expected}")
        error = await refused(scaler, trigger(prometheus, query="kedawatch_test_queue_depth"))
        assert (error.code(), error.details()) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "PromQL query 'kedawatch_test_queue_depth' returned 2 elements: a trigger needs one (aggregate them, "
            "e.g. with sum or max)",
        )
        malformed = 'label_replace(kedawatch_test_queue_depth, "a", "$1", "queue", "(")'
        error = await refused(scaler, trigger(prometheus, query=malformed))
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, "it parses, but the engine refuses it"
        assert "invalid regular expression" in (error.details() or "")
