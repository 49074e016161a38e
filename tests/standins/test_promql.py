"""The PromQL stand-in checks signatures as AWS does, speaks Prometheus's HTTP API, counts and fails on demand.

Requests here are signed with `kedawatch.aws.sigv4` and sent with the standard library, to show what the
stand-in does with any client; `test_promql_client.py` drives it with kedawatch's own client.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest

from kedawatch.aws import sigv4
from kedawatch.standins import aws
from kedawatch.standins import promql as standin

VECTOR = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1700000000, "3"]}]}}
"""Prometheus 2.42's answer to `vector(3)` at 1700000000, as it serialises it."""


def send(
    server: standin.PromQLStandin,
    params: list[tuple[str, str]],
    method: str = "POST",
    keys: sigv4.Keys = standin.DUMMY_KEYS,
    region: str = standin.REGION,
    service: str = sigv4.SERVICE,
    tamper: bool = False,
    signed: bool = True,
    path: str = "/api/v1/query",
) -> tuple[int, dict[str, Any]]:
    url, body = server.url + path, b""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if method == "GET":
        url += "?" + sigv4.encode_query(params)
    else:
        body = sigv4.encode_query(params).encode()
    if signed:
        headers = sigv4.sign(keys, region, method, url, body, headers, service=service)
    if tamper:
        body = body.replace(b"vector", b"Vector")
    request = urllib.request.Request(url, data=body if method == "POST" else None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_a_request_signed_for_monitoring_in_its_region_is_answered_from_the_recorded_answer(
    recorded: standin.PromQLStandin,
) -> None:
    recorded.record("vector(3)", VECTOR)
    assert send(recorded, [("query", "vector(3)")]) == (200, VECTOR)


WRONG_SECRET = dataclasses.replace(standin.DUMMY_KEYS, secret_key="not-the-secret")
MISMATCH = "The request signature we calculated does not match the signature you provided."


@pytest.mark.parametrize(
    ("how", "status", "code", "message"),
    [
        pytest.param({"keys": WRONG_SECRET}, 403, "SignatureDoesNotMatch", MISMATCH, id="wrong-secret"),
        pytest.param({"tamper": True}, 403, "SignatureDoesNotMatch", MISMATCH, id="body-changed-after-signing"),
        pytest.param(
            {"keys": dataclasses.replace(standin.DUMMY_KEYS, access_key="AKIDUNKNOWN")},
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            id="unknown-access-key",
        ),
        pytest.param(
            {"keys": dataclasses.replace(standin.DUMMY_KEYS, token="stale")},
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            id="wrong-session-token",
        ),
        pytest.param(
            {"region": "eu-west-1"},
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to a valid region.",
            id="other-region",
        ),
        pytest.param(
            {"service": "aps"},
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'monitoring'.",
            id="signed-for-aps-as-keda-prometheus-scaler-does",
        ),
        pytest.param(
            {"signed": False}, 403, "MissingAuthenticationToken", "Missing Authentication Token", id="unsigned"
        ),
    ],
)
def test_a_bad_signature_is_refused_as_aws_refuses_it(
    recorded: standin.PromQLStandin, how: dict[str, Any], status: int, code: str, message: str
) -> None:
    recorded.record("vector(3)", VECTOR)
    answered, body = send(recorded, [("query", "vector(3)")], **how)
    assert (answered, body["__type"]) == (status, code)
    assert body["message"].startswith(message)
    assert [outcome for _, outcome in recorded.requests.elements()] == [code]


def test_get_with_a_query_string_and_post_with_a_form_body_get_the_same_recorded_answer(
    recorded: standin.PromQLStandin,
) -> None:
    recorded.record("sum by (queue) (depth)", VECTOR)
    params = [("query", "sum by (queue) (depth)"), ("time", "1700000000")]
    assert send(recorded, params, method="GET") == send(recorded, params, method="POST") == (200, VECTOR)
    assert recorded.requests == {("sum by (queue) (depth)", "ok"): 2}


@pytest.mark.parametrize(
    ("param", "value", "error"),
    [
        pytest.param(
            "time",
            "yesterday",
            'invalid parameter "time": Invalid time value for \'time\': cannot parse "yesterday" to a valid timestamp',
            id="time",
        ),
        pytest.param(
            "timeout", "soon", 'invalid parameter "timeout": cannot parse "soon" to a valid duration', id="timeout"
        ),
    ],
)
def test_recorded_answers_still_refuse_an_unreadable_parameter_in_prometheus_words(
    recorded: standin.PromQLStandin, param: str, value: str, error: str
) -> None:
    recorded.record("vector(3)", VECTOR)
    assert send(recorded, [("query", "vector(3)"), (param, value)]) == (
        400,
        {"status": "error", "errorType": "bad_data", "error": error},
    )


@pytest.mark.parametrize(
    "params",
    [
        pytest.param([("time", "1700000000.5"), ("timeout", "1500ms")], id="unix-seconds-and-milliseconds"),
        pytest.param([("time", "2023-11-14T22:13:20.5Z"), ("timeout", "1m30s")], id="rfc3339-and-minutes"),
        pytest.param([("time", "2023-11-14T23:13:20+01:00"), ("timeout", "2.5")], id="offset-and-float-seconds"),
    ],
)
def test_recorded_answers_accept_every_time_and_timeout_prometheus_reads(
    recorded: standin.PromQLStandin, params: list[tuple[str, str]]
) -> None:
    recorded.record("vector(3)", VECTOR)
    assert send(recorded, [("query", "vector(3)"), *params]) == (200, VECTOR)


def test_a_query_with_no_recorded_answer_and_no_engine_answers_500_saying_so(recorded: standin.PromQLStandin) -> None:
    status, body = send(recorded, [("query", "up")])
    assert (status, body["errorType"]) == (500, "internal")
    assert "no recorded answer for 'up'" in body["error"]


def test_a_path_the_stand_in_does_not_serve_answers_404_once_signed(recorded: standin.PromQLStandin) -> None:
    status, body = send(recorded, [("match[]", "up")], path="/api/v1/series")
    assert (status, body["__type"]) == (404, "UnknownOperationException")
    assert send(recorded, [("match[]", "up")], path="/api/v1/series", signed=False)[0] == 403


def test_requests_are_counted_by_query_and_outcome_from_recorded_answers(recorded: standin.PromQLStandin) -> None:
    recorded.record("vector(3)", VECTOR)
    recorded.record("sum(", {"status": "error", "errorType": "bad_data", "error": "1:5: parse error"}, status=400)
    for _ in range(10):
        send(recorded, [("query", "vector(3)")])
    send(recorded, [("query", "sum(")])
    send(recorded, [("query", "vector(3)")], region="eu-west-1")
    assert recorded.count("vector(3)") == 11
    assert recorded.requests == {
        ("vector(3)", "ok"): 10,
        ("sum(", "bad_data"): 1,
        ("vector(3)", "SignatureDoesNotMatch"): 1,
    }


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        pytest.param(standin.THROTTLING, 429, id="throttling"),
        pytest.param(standin.INTERNAL_ERROR, 500, id="internal-error"),
        pytest.param(standin.UNAVAILABLE, 503, id="unavailable"),
    ],
)
def test_an_injected_fault_answers_as_aws_until_healed(
    recorded: standin.PromQLStandin, fault: aws.Fault, status: int
) -> None:
    recorded.record("vector(3)", VECTOR)
    recorded.inject(fault)
    answered, body = send(recorded, [("query", "vector(3)")])
    assert (answered, body["__type"]) == (status, fault.code)
    recorded.heal()
    assert send(recorded, [("query", "vector(3)")]) == (200, VECTOR)


def test_a_stopped_stand_in_refuses_connections(recorded: standin.PromQLStandin) -> None:
    recorded.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", recorded.port), timeout=1):
        pass


def test_the_engine_answers_through_the_stand_in_as_prometheus_does(prometheus: standin.PromQLStandin) -> None:
    assert send(prometheus, [("query", "vector(3)"), ("time", "1700000000")]) == (200, VECTOR)
    status, body = send(prometheus, [("query", "sum(rate(x[5m])")], method="GET")
    assert (status, body) == (
        400,
        {
            "status": "error",
            "errorType": "bad_data",
            "error": 'invalid parameter "query": 1:16: parse error: unclosed left parenthesis',
        },
    )
    assert prometheus.requests == {("vector(3)", "ok"): 1, ("sum(rate(x[5m])", "bad_data"): 1}


def listening(pid: int) -> set[tuple[str, int]]:
    """The (address, port) pairs process `pid` listens on, from /proc: its socket inodes in the TCP tables."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            if link.startswith("socket:["):
                inodes.add(link[len("socket:[") : -1])
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    address, port = fields[1].split(":")
                    # The kernel prints each 32-bit word of the address in host (little-endian) order.
                    raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8))
                    found.add((socket.inet_ntop(family, raw), int(port, 16)))
    return found


def test_the_engine_listens_on_loopback_only_and_leaves_no_process_when_stopped(exporter: str) -> None:
    if standin.PrometheusEngine.BINARY is None:
        pytest.skip("Debian's prometheus is not installed here (deploy/install-prometheus.sh installs it as root)")
    engine = standin.PrometheusEngine([exporter]).start()
    pid = engine.pid
    assert pid is not None
    try:
        assert listening(pid) == {("127.0.0.1", engine.port)}
    finally:
        engine.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", engine.port), timeout=1):
        pass
