"""The operator under Kubernetes API faults: watches cut, 409, 410 and 500 answers, and the operator stopped mid-reconcile.

Whatever happens on the way, the end state is exact: one CloudWatch alarm per alarm object, one ScaledObject, its
alarm objects and one dashboard per AppObservability, each with the latest spec; and once the objects are deleted,
nothing is left behind (no alarm, no dashboard, no object held by a finalizer).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import kmock
import kubernetes
import pytest

from kedawatch.operator.resources import crds
from kedawatch.standins import aws
from kedawatch.standins import kubernetes as standin
from tests.operator.conftest import FAST, POLICY, Cluster, eventually, operating
from tests.operator.test_alarm_operator import alarm_object, synced
from tests.operator.test_app_operator import app_body

SLOW = dataclasses.replace(FAST, write_rate=10.0)
"""Alarm writes slow enough that stopping the operator finds some made and others under way."""
SETTLING = 40.0
"""Seconds for the whole inventory to settle: retries back off, and finalizers go one object at a time."""
APP_ALARMS = ("near-max-replicas", "queue-backlog-age")
"""The alarms of the example app, each an alarm object `<app>-<alarm>` and a CloudWatch alarm of that name."""


def aws_alarms(cloudwatch: Any) -> dict[str, float]:
    """Every alarm in CloudWatch, by name, with its threshold (to see which spec it was last written from)."""
    return {alarm["AlarmName"]: alarm["Threshold"] for alarm in cloudwatch.describe_alarms()["MetricAlarms"]}


def aws_dashboards(cloudwatch: Any) -> list[str]:
    return sorted(entry["DashboardName"] for entry in cloudwatch.list_dashboards()["DashboardEntries"])


def names(cluster: Cluster, kind: crds.Reference) -> list[str]:
    return sorted(item["metadata"]["name"] for item in cluster.listed(kind))


def delete(cluster: Cluster, kind: crds.Reference, name: str) -> None:
    """Delete an object unless it is gone already (its finalizer may have been removed since it was listed)."""
    with contextlib.suppress(kubernetes.client.ApiException):
        cluster.delete(kind, name)


def collect_garbage(cluster: Cluster) -> None:
    """Kubernetes' garbage collector, which the stand-in lacks: delete the children whose controlling owner is gone."""
    owners = {app["metadata"]["uid"] for app in cluster.listed(crds.APPS)}
    for kind in (crds.SCALED_OBJECTS, crds.METRIC_ALARMS):
        for child in cluster.listed(kind):
            refs = child["metadata"].get("ownerReferences") or []
            if refs and not any(ref["uid"] in owners for ref in refs):
                delete(cluster, kind, child["metadata"]["name"])


def inventory(cluster: Cluster, cloudwatch: Any) -> dict[str, list[str]]:
    """What exists, by kind, once the garbage collector has run."""
    collect_garbage(cluster)
    return {
        "apps": names(cluster, crds.APPS),
        "scaled objects": names(cluster, crds.SCALED_OBJECTS),
        "alarm objects": names(cluster, crds.METRIC_ALARMS),
        "alarms": sorted(aws_alarms(cloudwatch)),
        "dashboards": aws_dashboards(cloudwatch),
    }


def expected(
    apps: tuple[str, ...] = (), app_alarms: tuple[str, ...] = APP_ALARMS, alarm_objects: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """The inventory for `apps` with their `app_alarms`, and stand-alone `alarm_objects`: one of each, nothing more."""
    alarms = sorted([f"{app}-{alarm}" for app in apps for alarm in app_alarms] + list(alarm_objects))
    return {
        "apps": sorted(apps),
        "scaled objects": sorted(apps),
        "alarm objects": alarms,
        "alarms": [f"prod/default/{alarm}" for alarm in alarms],
        "dashboards": sorted(f"prod-default-{app}" for app in apps),
    }


def settles(cluster: Cluster, cloudwatch: Any, wanted: dict[str, list[str]]) -> None:
    """Wait until the inventory is `wanted`; on timeout, fail showing how the last one differed."""
    observed: list[dict[str, list[str]]] = []

    def check() -> bool:
        observed[:] = [inventory(cluster, cloudwatch)]
        return observed[0] == wanted

    with contextlib.suppress(AssertionError):
        eventually(check, within=SETTLING)
    assert observed[0] == wanted


def delete_everything(cluster: Cluster, cloudwatch: Any) -> None:
    """Delete every app and alarm object; the operator must remove their alarms and dashboards, and let them go."""
    for kind in (crds.APPS, crds.METRIC_ALARMS):
        for name in names(cluster, kind):
            delete(cluster, kind, name)
    settles(cluster, cloudwatch, expected())


def app_named(name: str) -> dict[str, Any]:
    app = app_body()
    app["metadata"]["name"] = name
    return app


def cut_watches(api: standin.KubernetesApi) -> int:
    """Cut the open watches once kopf has (re)connected, so that there is a watch to cut."""
    eventually(lambda: api.watching)
    return api.drop_watches()


@pytest.fixture
def api(cluster: Cluster) -> standin.KubernetesApi:
    """The stand-in's API, whose faults the tests inject."""
    return cluster.server.api


def test_watches_cut_while_alarms_change_lose_no_change(
    operator: Cluster, cloudwatch: Any, api: standin.KubernetesApi
) -> None:
    dropped = 0
    for index in range(6):
        operator.create(alarm_object(f"a{index}"))
        dropped += cut_watches(api)
    for index in range(3):
        operator.patch(crds.METRIC_ALARMS, f"a{index}", {"spec": {"threshold": 20 + index}})
        dropped += cut_watches(api)
    for index in range(3, 6):
        operator.delete(crds.METRIC_ALARMS, f"a{index}")
        dropped += cut_watches(api)
    settles(operator, cloudwatch, expected(alarm_objects=("a0", "a1", "a2")))
    eventually(lambda: aws_alarms(cloudwatch) == {f"prod/default/a{index}": 20.0 + index for index in range(3)})
    assert dropped >= 12  # kopf was watching each time, and lost the connection
    delete_everything(operator, cloudwatch)


def test_watches_cut_while_apps_change_leave_exactly_their_children(
    operator: Cluster, cloudwatch: Any, api: standin.KubernetesApi
) -> None:
    for name in ("web", "worker"):
        operator.create(app_named(name))
        api.drop_watches()
    settles(operator, cloudwatch, expected(("web", "worker")))
    operator.patch(crds.APPS, "web", {"spec": {"alarms": app_body()["spec"]["alarms"][1:]}})
    assert cut_watches(api) > 0
    operator.delete(crds.APPS, "worker")
    api.drop_watches()
    settles(operator, cloudwatch, expected(("web",), APP_ALARMS[1:]))
    delete_everything(operator, cloudwatch)


def test_conflicts_on_kopfs_patches_and_on_the_childrens_writes_neither_duplicate_nor_orphan(
    operator: Cluster, cloudwatch: Any, api: standin.KubernetesApi
) -> None:
    faults = [
        api.fail(
            409, action=kmock.action.UPDATE, plural=crds.METRIC_ALARMS.plural, subresource="status"
        ),  # kopf's status: lost
        api.fail(409, action=kmock.action.UPDATE, plural=crds.APPS.plural),  # kopf's finalizer and progress
        api.fail(
            409, action=kmock.action.CREATE, plural=crds.SCALED_OBJECTS.plural
        ),  # created by someone since we looked
    ]
    operator.create(alarm_object())
    operator.create(app_named("web"))
    settles(operator, cloudwatch, expected(("web",), alarm_objects=("pods",)))
    faults.append(
        api.fail(409, action=kmock.action.UPDATE, plural=crds.SCALED_OBJECTS.plural)
    )  # changed since we looked
    operator.patch(crds.APPS, "web", {"spec": {"scaling": {"maxReplicas": 12}}})
    eventually(lambda: (operator.get(crds.SCALED_OBJECTS, "web") or {})["spec"]["maxReplicaCount"] == 12)
    assert [fault.remaining for fault in faults] == [0, 0, 0, 0]
    settles(operator, cloudwatch, expected(("web",), alarm_objects=("pods",)))
    delete_everything(operator, cloudwatch)  # the alarm object whose status was lost still takes its alarm along


def test_expired_watches_list_again_and_miss_nothing(
    operator: Cluster, cloudwatch: Any, api: standin.KubernetesApi
) -> None:
    operator.create(alarm_object("a0"))
    operator.create(alarm_object("a1"))
    eventually(lambda: synced(operator, "a0") and synced(operator, "a1"))
    expired = api.fail(410, times=3, action=kmock.action.WATCH)
    api.drop_watches()  # every resumption now finds its version compacted away
    operator.patch(crds.METRIC_ALARMS, "a0", {"spec": {"threshold": 30}})
    operator.delete(crds.METRIC_ALARMS, "a1")
    operator.create(alarm_object("a2"))
    operator.create(app_named("web"))
    settles(operator, cloudwatch, expected(("web",), alarm_objects=("a0", "a2")))
    eventually(lambda: aws_alarms(cloudwatch)["prod/default/a0"] == 30.0)
    assert expired.remaining == 0
    delete_everything(operator, cloudwatch)


def test_bursts_of_500_on_watches_lists_and_writes_are_retried(
    operator: Cluster, cloudwatch: Any, api: standin.KubernetesApi
) -> None:
    operator.create(alarm_object())
    eventually(lambda: synced(operator))
    faults = [  # each is spent by the operator's requests before the test makes one of its kind
        api.fail(500, times=2, action=kmock.action.WATCH),  # kopf's reconnections after the cut below
        api.fail(
            500, times=2, action=kmock.action.LIST, plural=crds.METRIC_ALARMS.plural
        ),  # the app listing its alarm objects
        api.fail(500, times=2, action=kmock.action.CREATE, plural=crds.METRIC_ALARMS.plural),  # the app creating them
        api.fail(
            500, times=2, action=kmock.action.UPDATE, plural=crds.METRIC_ALARMS.plural, subresource="status"
        ),  # kopf's status
    ]
    api.drop_watches()
    operator.create(app_named("web"))
    eventually(lambda: all(fault.remaining == 0 for fault in faults))
    settles(operator, cloudwatch, expected(("web",), alarm_objects=("pods",)))
    pruning = api.fail(500, times=2, action=kmock.action.DELETE, plural=crds.METRIC_ALARMS.plural)
    operator.patch(crds.APPS, "web", {"spec": {"alarms": app_body()["spec"]["alarms"][1:]}})
    eventually(lambda: pruning.remaining == 0)
    settles(operator, cloudwatch, expected(("web",), APP_ALARMS[1:], alarm_objects=("pods",)))
    delete_everything(operator, cloudwatch)


def test_an_operator_stopped_mid_reconcile_and_restarted_leaves_one_alarm_per_object(
    cluster: Cluster, moto: aws.AwsStandIn, cloudwatch: Any
) -> None:
    objects = tuple(f"a{index}" for index in range(8))
    with operating(cluster, SLOW):
        for name in objects:
            cluster.create(alarm_object(name))
        eventually(lambda: aws_alarms(cloudwatch))  # stopped while the rest wait for their writes
    with operating(cluster, SLOW):
        settles(cluster, cloudwatch, expected(alarm_objects=objects))
        eventually(lambda: all(synced(cluster, name) for name in objects))
        for name in objects:
            cluster.delete(crds.METRIC_ALARMS, name)
        eventually(lambda: len(aws_alarms(cloudwatch)) < len(objects))  # stopped mid-deletion
    with operating(cluster):
        settles(cluster, cloudwatch, expected())


def test_an_operator_stopped_mid_reconcile_of_apps_and_restarted_leaves_exactly_their_children(
    cluster: Cluster, moto: aws.AwsStandIn, cloudwatch: Any
) -> None:
    apps = ("a", "b")
    with operating(cluster, SLOW):
        for name in apps:
            cluster.create(app_named(name))
        eventually(lambda: names(cluster, crds.SCALED_OBJECTS))
    with operating(cluster, SLOW):
        settles(cluster, cloudwatch, expected(apps))
        delete(cluster, crds.APPS, "a")
        eventually(lambda: len(aws_dashboards(cloudwatch)) < len(apps))  # stopped mid-deletion
    with operating(cluster):
        settles(cluster, cloudwatch, expected(("b",)))
        delete_everything(cluster, cloudwatch)


@contextlib.contextmanager
def operator_process(cluster: Cluster) -> Iterator[subprocess.Popen[bytes]]:
    """`kedawatch operator` as a user runs it, in a process of its own that a test can SIGKILL."""
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.server.kubeconfig),
        "KEDAWATCH_CLUSTER_NAME": "prod",
        "KEDAWATCH_REGION": "us-east-1",
        "KEDAWATCH_STANDALONE": "true",
        "KEDAWATCH_WRITE_RATE": "2",
        "KEDAWATCH_METRICS_PORT": "0",
        "KEDAWATCH_POLICY": str(POLICY),
        "KEDAWATCH_LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen([sys.executable, "-m", "kedawatch", "operator"], env=env)
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def test_an_operator_killed_mid_reconcile_and_restarted_leaves_exactly_one_of_each(
    cluster: Cluster, moto: aws.AwsStandIn, cloudwatch: Any
) -> None:
    objects = tuple(f"k{index}" for index in range(10))
    with operator_process(cluster) as operator:
        for name in objects:
            cluster.create(alarm_object(name))
        cluster.create(app_named("app"))
        eventually(lambda: len(aws_alarms(cloudwatch)) >= 3)
        operator.send_signal(signal.SIGKILL)  # no graceful stop: handlers die wherever they are
        operator.wait(timeout=10)
    assert len(aws_alarms(cloudwatch)) < len(objects), "killed part-way through the writes"
    with operating(cluster):
        settles(cluster, cloudwatch, expected(("app",), alarm_objects=objects))
        delete_everything(cluster, cloudwatch)
