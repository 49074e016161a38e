"""A namespace's identity carried into AWS: when the scaler assumes a trigger's awsRoleArn for a namespace,
the session is named for it, and (as the tenant policy's `roles` entry asks) carries the cluster and the
namespace as session tags and an external id, each session cached for its own namespace only.

moto's STS ignores session tags and checks no external id, so what the scaler sends is read at the HTTP level,
in the AssumeRole requests the AWS stand-in's proxy sees, and checked against STS's rules in botocore's model.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import botocore.model
import botocore.session
import grpc
import pytest

from kedawatch import tenancy
from kedawatch.aws import roles
from kedawatch.demo import local
from kedawatch.scaler import sessions
from kedawatch.standins import aws
from tests.scaler.conftest import Scaler, running_scaler

CLUSTER = "prod-eu"
SHARED = "arn:aws:iam::123456789012:role/shared-reader"
PARTNER = "arn:aws:iam::123456789012:role/partner-reader"
PLAIN = "arn:aws:iam::123456789012:role/plain-reader"
POLICY = {
    "namespaces": [{"match": ["team-a", "team-b"], "roleArns": ["arn:aws:iam::123456789012:role/*"]}],
    "roles": [
        {"match": ["arn:aws:iam::*:role/shared-*"], "externalId": True, "sessionTags": True},
        {"match": [PARTNER], "externalId": "kedawatch:{cluster}:{namespace}"},
    ],
}


@dataclasses.dataclass(frozen=True)
class AssumeRole:
    """One AssumeRole request, as sent."""

    role: str
    name: str
    tags: Mapping[str, str]
    external_id: str | None
    transitive: tuple[str, ...]

    @classmethod
    def parse(cls, body: bytes) -> AssumeRole:
        form = {key: values[0] for key, values in urllib.parse.parse_qs(body.decode()).items()}
        keys = sorted(key for key in form if re.fullmatch(r"Tags\.member\.\d+\.Key", key))
        return cls(
            form["RoleArn"],
            form["RoleSessionName"],
            {form[key]: form[key.replace(".Key", ".Value")] for key in keys},
            form.get("ExternalId"),
            tuple(value for key, value in form.items() if key.startswith("TransitiveTagKeys")),
        )


class Recorder:
    """A chooser for the proxy that fails nothing and keeps every AssumeRole request."""

    def __init__(self) -> None:
        self.assumed: list[AssumeRole] = []

    def __call__(self, operation: str, body: bytes) -> aws.Fault | None:
        if operation == "AssumeRole":
            self.assumed.append(AssumeRole.parse(body))
        return None


@pytest.fixture
def recorder(moto: aws.AwsStandIn) -> Iterator[Recorder]:
    """Every AWS call of the scaler (STS's included) through a proxy of this test's own."""
    proxy = aws.CountingProxy(moto.url).start()
    proxy.choose = recorder = Recorder()
    try:
        with aws.pointed_at(proxy.url):
            yield recorder
    finally:
        proxy.stop()


@pytest.fixture
async def scaler(recorder: Recorder) -> AsyncIterator[Scaler]:
    serving = dataclasses.replace(local.LOOPBACK, cluster_name=CLUSTER)
    async with running_scaler(server_settings=serving, policy=POLICY) as running:
        yield running


def sts_constraint(member: str) -> dict[str, Any]:
    request = botocore.session.get_session().get_service_model("sts").shape_for("AssumeRoleRequest")
    assert isinstance(request, botocore.model.StructureShape)
    return dict(request.members[member].metadata)


def obeys(value: str, member: str) -> bool:
    """The value satisfies STS's model for `member` (its pattern's `\\w` read as Java reads it: ASCII)."""
    rule = sts_constraint(member)
    return rule["min"] <= len(value) <= rule["max"] and bool(re.fullmatch(rule["pattern"], value, re.ASCII))


def credentials(scaler: Scaler, metadata: dict[str, str], namespace: str) -> Any:
    """The credentials the namespace's reads are signed with (botocore has no public accessor)."""
    client = scaler.server.aws.client("sqs", scaler.server.triggers.get(metadata, namespace).identity)
    return client._request_signer._credentials.get_frozen_credentials()  # type: ignore[attr-defined]


async def test_two_namespaces_assuming_one_role_get_sessions_of_their_own(
    scaler: Scaler, recorder: Recorder, sqs: Any, queue_url: str
) -> None:
    sqs.send_message(QueueUrl=queue_url, MessageBody="x")
    shared = {"queueURL": queue_url, "awsRoleArn": SHARED}
    for namespace in ("team-a", "team-b", "team-a", "team-b"):
        assert await scaler.value(shared, namespace=namespace) == 1.0
    assert await scaler.value({**shared, "scaleOnDelayed": "true"}, namespace="team-a") == 1.0

    assert recorder.assumed == [
        AssumeRole(SHARED, f"kedawatch-{namespace}", {"eks-cluster-name": CLUSTER, "kubernetes-namespace": namespace},
                   f"{CLUSTER}/{namespace}", ())
        for namespace in ("team-a", "team-b")
    ], "one session per namespace, each assumed once, tagged as EKS Pod Identity tags, none transitive"  # fmt: skip
    assert scaler.aws_calls("GetQueueAttributes") == 2, "a read made with one namespace's session serves it alone"
    assert credentials(scaler, shared, "team-a").access_key != credentials(scaler, shared, "team-b").access_key
    for request in recorder.assumed:
        assert obeys(request.name, "RoleSessionName") and request.external_id is not None
        assert obeys(request.external_id, "ExternalId")


async def test_a_roles_entry_can_ask_for_its_own_external_id_and_an_unlisted_role_gets_neither(
    scaler: Scaler, recorder: Recorder, queue_url: str
) -> None:
    for role in (PARTNER, PLAIN):
        assert await scaler.value({"queueURL": queue_url, "awsRoleArn": role}, namespace="team-b") == 0.0
    assert recorder.assumed == [
        AssumeRole(PARTNER, "kedawatch-team-b", {}, f"kedawatch:{CLUSTER}:team-b", ()),
        AssumeRole(PLAIN, "kedawatch-team-b", {}, None, ()),
    ]


async def test_the_tenant_policy_still_refuses_a_namespace_the_role_before_any_assume_role(
    scaler: Scaler, recorder: Recorder, queue_url: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await scaler.value({"queueURL": queue_url, "awsRoleArn": SHARED}, namespace="team-c")
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert f"namespace 'team-c' may not use awsRoleArn '{SHARED}'" in (raised.value.details() or "")
    assert recorder.assumed == []


@pytest.mark.parametrize(
    "namespace",
    [
        pytest.param("a", id="one character"),
        pytest.param("n" * 63, id="63 characters"),
        pytest.param("team-" + "x" * 50 + "-1", id="long, alike at the start 1"),
        pytest.param("team-" + "x" * 50 + "-2", id="long, alike at the start 2"),
    ],
)
def test_every_namespace_name_makes_a_session_name_sts_accepts(namespace: str) -> None:
    name = roles.session(CLUSTER, namespace, None, tagged=False).name
    assert obeys(name, "RoleSessionName")
    assert name.startswith(f"kedawatch-{namespace[:45]}")


def test_long_namespaces_alike_at_the_start_still_get_two_session_names() -> None:
    first, second = ("team-" + "x" * 50 + f"-{index}" for index in (1, 2))
    assert roles.session(CLUSTER, first, None, False).name != roles.session(CLUSTER, second, None, False).name


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param("{cluster} {namespace}", "externalId '{cluster} {namespace}' must be 2 to 1224", id="a space"),
        pytest.param("{namespace}", "for every namespace name (1 to 63 characters)", id="too short for 'a'"),
        pytest.param("x" * 1200 + "{namespace}", "must be 2 to 1224", id="too long for 63 characters"),
    ],
)
def test_an_external_id_sts_would_refuse_stops_the_scaler_at_start(template: str, message: str) -> None:
    policy = tenancy.parse({"roles": [{"match": ["*"], "externalId": template}]}, None)
    with pytest.raises(tenancy.PolicyError, match=re.escape(message)):
        sessions.RoleSessions(policy, CLUSTER)
