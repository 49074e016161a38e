"""A real kedawatch operator (kopf) against the Kubernetes stand-in over HTTP, and the AWS stand-in over HTTP."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest

from kedawatch import settings
from kedawatch.operator import objects, run
from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from kedawatch.standins import kubernetes as standin

NAMESPACE = "default"
POLICY = Path(__file__).parent / "tenant-policy.json"
"""Every namespace may assume moto's roles (the defaults allow none)."""
FAST = settings.OperatorSettings(
    cluster_name="prod", state_interval=0.5, drift_interval=1.0, write_rate=50.0, read_rate=100.0, policy=POLICY,
    metrics_port=0,
)  # fmt: skip
"""Resyncs every second need more reads than DescribeAlarms' real quota allows; no metrics port (tests that
scrape choose one)."""


@dataclasses.dataclass
class Cluster:
    server: standin.ApiServer
    client: Any

    def custom(self) -> Any:
        return kubernetes.client.CustomObjectsApi(self.client)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = crds.by_kind(body["apiVersion"], body["kind"])
        return dict(self.custom().create_namespaced_custom_object(*_path(kind), body))

    def get(self, kind: crds.Reference, name: str) -> dict[str, Any] | None:
        return objects.get(self.client, kind, NAMESPACE, name)

    def listed(self, kind: crds.Reference) -> list[dict[str, Any]]:
        return list(self.custom().list_namespaced_custom_object(*_path(kind))["items"])

    def patch(self, kind: crds.Reference, name: str, patch: dict[str, Any]) -> None:
        self.custom().patch_namespaced_custom_object(*_path(kind), name, patch)

    def delete(self, kind: crds.Reference, name: str) -> None:
        self.custom().delete_namespaced_custom_object(*_path(kind), name)

    def events(self, name: str) -> list[dict[str, Any]]:
        events = kubernetes.client.CoreV1Api(self.client).list_namespaced_event(NAMESPACE).items
        return [e.to_dict() for e in events if e.involved_object.name == name]


def _path(kind: crds.Reference) -> tuple[str, str, str, str]:
    return kind.group, kind.version, NAMESPACE, kind.plural


def condition(cluster: Cluster, kind: crds.Reference, name: str, condition_type: str) -> dict[str, Any] | None:
    """The object's condition of `condition_type`, if it has one."""
    obj = cluster.get(kind, name) or {}
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == condition_type), None)


def eventually(check: Callable[[], Any], within: float = 20.0) -> Any:
    """Poll `check` until it returns something truthy; the operator works asynchronously."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s: {check}")
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    api = standin.KubernetesApi()
    for crd in crds.installed():
        api.declare_crd(crd)
    server = standin.ApiServer(api, kubeconfig=tmp_path / "kubeconfig").start()
    try:
        yield Cluster(server, run.kube_client(server.kubeconfig))
    finally:
        server.stop()


def operating(
    cluster: Cluster, operator_settings: settings.OperatorSettings = FAST
) -> contextlib.AbstractContextManager[None]:
    """The real operator, in its own thread and event loop."""
    return run.in_thread(operator_settings, cluster.server.kubeconfig, cluster.server.login)


@pytest.fixture
def operator(cluster: Cluster, moto: aws.AwsStandIn) -> Iterator[Cluster]:
    with operating(cluster):
        yield cluster


@pytest.fixture
def proxy(moto: aws.AwsStandIn) -> Iterator[aws.CountingProxy]:
    """A counting, fault-injecting proxy in front of the AWS stand-in, and the operator's AWS endpoint while the test
    runs."""
    proxy = aws.CountingProxy(moto.url).start()
    try:
        with aws.pointed_at(proxy.url):
            yield proxy
    finally:
        proxy.stop()
