"""kedawatch's PromQL client against the stand-in over HTTP: what it reads, how it fails, what it never shows.

Tests named "recorded" run everywhere on answers recorded from Prometheus 2.42; the others need the real
engine and skip without it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kedawatch import logs, settings
from kedawatch.aws import clients, errors, identities, promql, roles, sigv4
from kedawatch.standins import aws
from kedawatch.standins import promql as standin
from tests.promql_fixtures import DEPTHS, RATES
from tests.standins.conftest import AWS_SETTINGS


def identity(server: standin.PromQLStandin, region: str = standin.REGION) -> identities.AwsIdentity:
    return identities.AwsIdentity(region=region, endpoint=server.url)


def success(kind: str, result: Any, **extra: Any) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": kind, "result": result}, **extra}


def refusal(kind: str, error: str) -> dict[str, Any]:
    return {"status": "error", "errorType": kind, "error": error}


SERIES = {"__name__": "kedawatch_test_queue_depth", "job": "exporter", "queue": "a"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            success(
                "vector",
                [
                    {"metric": SERIES, "value": [1700000000.123, "7"]},
                    {"metric": {"queue": "b"}, "value": [1700000000.123, "5.5"]},
                ],
            ),
            promql.Vector(
                (promql.Sample(SERIES, 1700000000.123, 7.0), promql.Sample({"queue": "b"}, 1700000000.123, 5.5))
            ),
            id="vector",
        ),
        pytest.param(success("vector", []), promql.Vector(()), id="empty-vector"),
        pytest.param(success("scalar", [1700000000.5, "1"]), promql.Scalar(1700000000.5, 1.0), id="scalar"),
        pytest.param(success("string", [1700000000, "hello"]), promql.String(1700000000.0, "hello"), id="string"),
        pytest.param(
            success("matrix", [{"metric": SERIES, "values": [[1700000000.326, "1"], [1700000001.326, "2"]]}]),
            promql.Matrix((promql.Series(SERIES, ((1700000000.326, 1.0), (1700000001.326, 2.0))),)),
            id="matrix",
        ),
        pytest.param(success("matrix", []), promql.Matrix(()), id="empty-matrix"),
    ],
)
def test_every_result_shape_is_read_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin, body: dict[str, Any], expected: promql.Result
) -> None:
    recorded.record("q", body)
    assert client.query(identity(recorded), "q") == promql.Answer(expected)


@pytest.mark.parametrize(
    ("text", "check"),
    [
        pytest.param("NaN", math.isnan, id="nan"),
        pytest.param("+Inf", lambda value: value == math.inf, id="plus-inf"),
        pytest.param("-Inf", lambda value: value == -math.inf, id="minus-inf"),
        pytest.param("1e-3", lambda value: value == 0.001, id="exponent"),
    ],
)
def test_special_values_are_read_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin, text: str, check: Callable[[float], bool]
) -> None:
    recorded.record("q", success("vector", [{"metric": {}, "value": [1700000000, text]}]))
    answer = client.query(identity(recorded), "q")
    assert isinstance(answer.result, promql.Vector)
    assert check(answer.result.samples[0].value)


def test_warnings_come_with_the_result_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin
) -> None:
    recorded.record("q", success("vector", [], warnings=["results truncated to 500 series"]))
    assert client.query(identity(recorded), "q").warnings == ("results truncated to 500 series",)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(
            {"status": "success", "data": {"resultType": "histogram", "result": []}},
            "UnreadableAnswer",
            id="unknown-result-type",
        ),
        pytest.param(
            success("vector", [{"metric": {}, "value": [1700000000, 7]}]), "UnreadableAnswer", id="value-not-a-string"
        ),
        pytest.param(
            success("vector", [{"metric": {}, "value": [1700000000, "seven"]}]),
            "UnreadableAnswer",
            id="value-not-a-number",
        ),
        pytest.param(
            success("vector", [{"metric": {}, "histogram": [1700000000, {"count": "3"}]}]),
            "NativeHistogram",
            id="native-histogram",
        ),
    ],
)
def test_an_answer_that_is_not_prometheus_json_is_an_error_naming_it_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin, body: dict[str, Any], code: str
) -> None:
    recorded.record("q", body)
    with pytest.raises(errors.AwsError) as raised:
        client.query(identity(recorded), "q")
    assert raised.value.code == code
    assert "PromQL query" in raised.value.message


@pytest.mark.parametrize(
    ("status", "body", "failure"),
    [
        pytest.param(
            400,
            refusal("bad_data", 'invalid parameter "query": 1:10: parse error: unclosed left parenthesis'),
            errors.Failure.INVALID,
            id="400-bad-data",
        ),
        pytest.param(
            422,
            refusal("execution", "invalid regular expression in label_replace(): ("),
            errors.Failure.INVALID,
            id="422-execution",
        ),
        pytest.param(
            503,
            refusal("timeout", "query timed out in expression evaluation"),
            errors.Failure.UNAVAILABLE,
            id="503-timeout",
        ),
        pytest.param(
            503, refusal("unavailable", "storage is not ready"), errors.Failure.UNAVAILABLE, id="503-unavailable"
        ),
        pytest.param(500, refusal("internal", "unexpected error"), errors.Failure.UNAVAILABLE, id="500-internal"),
        pytest.param(499, refusal("canceled", "query was canceled"), errors.Failure.INVALID, id="499-canceled"),
    ],
)
def test_prometheus_errors_become_failures_with_prometheus_text_from_recorded_answers(
    client: promql.PromQLClient,
    recorded: standin.PromQLStandin,
    status: int,
    body: dict[str, Any],
    failure: errors.Failure,
) -> None:
    recorded.record("q", body, status=status)
    with pytest.raises(errors.AwsError) as raised:
        client.query(identity(recorded), "q")
    assert (raised.value.failure, raised.value.code) == (failure, body["errorType"])
    assert raised.value.message == f"PromQL query (HTTP {status}): {body['error']}"


@pytest.mark.parametrize(
    ("keys", "region", "code"),
    [
        pytest.param(
            dataclasses.replace(standin.DUMMY_KEYS, secret_key="another"),
            standin.REGION,
            "SignatureDoesNotMatch",
            id="wrong-secret",
        ),
        pytest.param(
            dataclasses.replace(standin.DUMMY_KEYS, access_key="AKIDOTHER"),
            standin.REGION,
            "InvalidClientTokenId",
            id="unknown-key",
        ),
        pytest.param(standin.DUMMY_KEYS, "eu-west-1", "SignatureDoesNotMatch", id="wrong-region"),
    ],
)
def test_a_refused_signature_is_denied_from_recorded_answers(
    client: promql.PromQLClient, keys: sigv4.Keys, region: str, code: str
) -> None:
    server = standin.PromQLStandin(keys=keys).start()  # expects other credentials than the client's
    try:
        server.record("q", success("vector", []))
        with pytest.raises(errors.AwsError) as raised:
            client.query(identity(server, region), "q")
    finally:
        server.stop()
    assert (raised.value.failure, raised.value.code) == (errors.Failure.DENIED, code)
    assert raised.value.message.startswith("PromQL query (HTTP 403): ")


def test_the_right_signature_is_accepted_and_sends_query_time_timeout_and_extra_parameters_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin
) -> None:
    recorded.record("sum by (queue) (depth)", success("vector", []))
    client.query(identity(recorded), "sum by (queue) (depth)", at=1700000000.25, params={"limit": "10"}, timeout=1.5)
    assert recorded.last is not None
    assert (recorded.last.method, recorded.last.target) == ("POST", "/api/v1/query")
    assert urllib.parse.parse_qsl(recorded.last.body.decode()) == [
        ("query", "sum by (queue) (depth)"), ("time", "1700000000.250"), ("timeout", "1500ms"), ("limit", "10"),
    ]  # fmt: skip
    assert recorded.requests == {("sum by (queue) (depth)", "ok"): 1}


def test_extra_parameters_may_not_replace_the_query_or_its_time(client: promql.PromQLClient) -> None:
    with pytest.raises(ValueError, match="may not set query, time"):
        client.query(identities.AwsIdentity("us-east-1"), "up", params={"time": "0", "query": "x", "limit": "1"})


@pytest.mark.parametrize(
    ("fault", "failure"),
    [
        pytest.param(standin.THROTTLING, errors.Failure.THROTTLED, id="429-throttling"),
        pytest.param(
            aws.Fault(400, "Throttling", message="Rate exceeded"), errors.Failure.THROTTLED, id="400-throttling"
        ),
        pytest.param(standin.INTERNAL_ERROR, errors.Failure.UNAVAILABLE, id="500"),
        pytest.param(standin.UNAVAILABLE, errors.Failure.UNAVAILABLE, id="503"),
        pytest.param(
            aws.Fault(401, "UnrecognizedClientException", message="Unauthorized"), errors.Failure.DENIED, id="401"
        ),
    ],
)
def test_aws_faults_become_their_failures_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin, fault: aws.Fault, failure: errors.Failure
) -> None:
    recorded.record("q", success("vector", []))
    recorded.inject(fault)
    with pytest.raises(errors.AwsError) as raised:
        client.query(identity(recorded), "q")
    assert (raised.value.failure, raised.value.code) == (failure, fault.code)
    assert raised.value.message == f"PromQL query (HTTP {fault.status}): {fault.message}"


def test_an_answer_slower_than_the_read_timeout_is_unavailable_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin
) -> None:
    recorded.record("q", success("vector", []))
    recorded.inject(aws.slow(AWS_SETTINGS.read_timeout + 1.0))
    started = time.monotonic()
    with pytest.raises(errors.AwsError) as raised:
        client.query(identity(recorded), "q")
    assert (raised.value.failure, raised.value.code) == (errors.Failure.UNAVAILABLE, "Timeout")
    assert time.monotonic() - started < AWS_SETTINGS.read_timeout + 0.5


def test_a_closed_port_is_unavailable(client: promql.PromQLClient, recorded: standin.PromQLStandin) -> None:
    recorded.stop()
    with pytest.raises(errors.AwsError) as raised:
        client.query(identity(recorded), "q")
    assert (raised.value.failure, raised.value.code) == (errors.Failure.UNAVAILABLE, "ConnectionError")
    assert "PromQL query" in raised.value.message


def test_the_observer_counts_every_request_by_outcome_from_recorded_answers(
    client: promql.PromQLClient, recorded: standin.PromQLStandin, calls: list[tuple[str, str]]
) -> None:
    recorded.record("q", success("vector", []))
    recorded.record("bad(", refusal("bad_data", "1:5: parse error"), status=400)
    for _ in range(3):
        client.query(identity(recorded), "q")
    with pytest.raises(errors.AwsError):
        client.query(identity(recorded), "bad(")
    recorded.inject(standin.THROTTLING)
    with pytest.raises(errors.AwsError):
        client.query(identity(recorded), "q")
    assert calls == [("QueryMetrics", "ok")] * 3 + [("QueryMetrics", "bad_data"), ("QueryMetrics", "Throttling")]


SECRET_KEYS = sigv4.Keys("AKIDKEDAWATCHTEST", "sEcReT-kedawatch-1234567890", "ToKeN-kedawatch-0987654321")


@pytest.fixture
def secret_client(monkeypatch: pytest.MonkeyPatch) -> promql.PromQLClient:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRET_KEYS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEYS.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SECRET_KEYS.token or "")
    return promql.PromQLClient(clients.AwsClients(AWS_SETTINGS))


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Logging as the scaler configures it at --log-level DEBUG, captured."""
    root, botocore = logging.getLogger(), logging.getLogger("botocore")
    saved = root.handlers[:], root.level, botocore.level
    logs.configure(settings.LogSettings(level="DEBUG"))
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    botocore.setLevel(saved[2])


def test_no_secret_token_or_authorization_appears_in_errors_or_logs_from_recorded_answers(
    secret_client: promql.PromQLClient, debug_logs: pytest.LogCaptureFixture
) -> None:
    server = standin.PromQLStandin(keys=SECRET_KEYS).start()
    raised: list[errors.AwsError] = []
    try:
        server.record("q", refusal("bad_data", "1:2: parse error"), status=400)
        echoing = aws.Fault(
            403,
            "SignatureDoesNotMatch",
            message=f"string to sign used {SECRET_KEYS.secret_key} and {SECRET_KEYS.token}",
        )
        for fault in (None, echoing, standin.THROTTLING, aws.slow(AWS_SETTINGS.read_timeout + 1.0)):
            if fault is None:
                server.heal()
            else:
                server.inject(fault)
            with pytest.raises(errors.AwsError) as caught:
                secret_client.query(identities.AwsIdentity(standin.REGION, endpoint=server.url), "q")
            raised.append(caught.value)
        assert server.last is not None
        authorization = server.last.headers["Authorization"]
    finally:
        server.stop()
    shown = "\n".join([*(f"{exc!r} {exc}" for exc in raised), debug_logs.text])
    assert "parse error" in shown and "string to sign used *** and ***" in shown  # the errors are there
    for secret in (SECRET_KEYS.secret_key, SECRET_KEYS.token or "", authorization, authorization.rsplit("=", 1)[1]):
        assert secret not in shown
    assert "Authorization" not in shown


def eventually(check: Callable[[], Any], within: float = 15.0) -> Any:
    """`check()`'s first answer that does not raise AssertionError, polled until `within` seconds pass."""
    deadline = time.monotonic() + within
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def values(answer: promql.Answer, label: str) -> dict[str, float]:
    assert isinstance(answer.result, promql.Vector)
    return {sample.labels.get(label, ""): sample.value for sample in answer.result.samples}


def test_sum_by_answers_what_the_exporter_set(client: promql.PromQLClient, prometheus: standin.PromQLStandin) -> None:
    def depths() -> dict[str, float]:
        found = values(client.query(identity(prometheus), "sum by (queue) (kedawatch_test_queue_depth)"), "queue")
        assert found == DEPTHS
        return found

    eventually(depths)
    assert values(client.query(identity(prometheus), "sum(kedawatch_test_queue_depth)"), "") == {"": 12.0}


def test_rate_of_a_counter_answers_how_fast_the_exporter_counts(
    client: promql.PromQLClient, prometheus: standin.PromQLStandin
) -> None:
    def rates() -> None:
        query = "sum by (queue) (rate(kedawatch_test_jobs_total[3s]))"
        assert values(client.query(identity(prometheus), query), "queue") == pytest.approx(RATES, rel=0.02)

    eventually(rates)
    total = values(client.query(identity(prometheus), "sum(rate(kedawatch_test_jobs_total[3s]))"), "")
    assert total == pytest.approx({"": sum(RATES.values())}, rel=0.02)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("1", promql.Scalar(1700000000.0, 1.0), id="scalar"),
        pytest.param('"hello"', promql.String(1700000000.0, "hello"), id="string"),
        pytest.param("vector(1/0)", promql.Vector((promql.Sample({}, 1700000000.0, math.inf),)), id="plus-inf"),
        pytest.param("-vector(1/0)", promql.Vector((promql.Sample({}, 1700000000.0, -math.inf),)), id="minus-inf"),
        pytest.param("time()", promql.Scalar(1700000000.0, 1700000000.0), id="evaluated-at-the-time-asked"),
    ],
)
def test_the_engine_answers_each_shape_the_client_reads(
    client: promql.PromQLClient, prometheus: standin.PromQLStandin, query: str, expected: promql.Result
) -> None:
    assert client.query(identity(prometheus), query, at=1700000000).result == expected


def test_the_engine_answers_nan_and_matrices_the_client_reads(
    client: promql.PromQLClient, prometheus: standin.PromQLStandin
) -> None:
    nan = client.query(identity(prometheus), "0/0").result
    assert isinstance(nan, promql.Scalar) and math.isnan(nan.value)

    def matrix() -> promql.Matrix:
        result = client.query(identity(prometheus), "kedawatch_test_queue_depth[3s]").result
        assert isinstance(result, promql.Matrix) and len(result.series) == 2
        return result

    series = eventually(matrix).series
    assert {s.labels["queue"]: {value for _, value in s.points} for s in series} == {"a": {7.0}, "b": {5.0}}


def test_a_malformed_query_is_invalid_with_the_engine_s_words(
    client: promql.PromQLClient, prometheus: standin.PromQLStandin, calls: list[tuple[str, str]]
) -> None:
    with pytest.raises(errors.AwsError) as raised:
        client.query(identity(prometheus), "sum(rate(kedawatch_test_jobs_total[5m])")
    assert (raised.value.failure, raised.value.code) == (errors.Failure.INVALID, "bad_data")
    assert raised.value.message == (
        'PromQL query (HTTP 400): invalid parameter "query": 1:40: parse error: unclosed left parenthesis'
    )
    assert calls == [("QueryMetrics", "bad_data")]


def test_an_identity_with_a_role_signs_with_the_role_s_credentials_from_recorded_answers(
    moto: aws.MotoServer, recorded: standin.PromQLStandin
) -> None:
    aws_clients = clients.AwsClients(AWS_SETTINGS, assume=roles.assume)
    reader = identities.AwsIdentity(standin.REGION, "arn:aws:iam::123456789012:role/reader", recorded.url)
    keys = aws_clients.credentials(reader)
    assert keys.access_key != standin.DUMMY_KEYS.access_key and keys.token  # STS's, from moto
    client = promql.PromQLClient(aws_clients)
    recorded.record("q", success("vector", []))
    with pytest.raises(errors.AwsError) as raised:
        client.query(reader, "q")  # the stand-in expects the process's own credentials
    assert raised.value.code == "InvalidClientTokenId"
    role_only = standin.PromQLStandin(keys=keys).start()
    try:
        role_only.record("q", success("vector", []))
        assert client.query(dataclasses.replace(reader, endpoint=role_only.url), "q") == promql.Answer(
            promql.Vector(())
        )
    finally:
        role_only.stop()
