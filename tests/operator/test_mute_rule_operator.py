"""CloudWatchAlarmMuteRule end to end: a real kopf operator, the Kubernetes stand-in and the AWS stand-in, over HTTP."""

from __future__ import annotations

import datetime
from typing import Any

from kedawatch.operator import ownership
from kedawatch.operator.resources import crds
from tests.operator.conftest import Cluster, eventually
from tests.operator.test_alarm_operator import alarm_object, in_conflict, synced

NOW = datetime.datetime.now(datetime.UTC)


def at(moment: datetime.datetime) -> str:
    return f"at({moment:%Y-%m-%dT%H:%M})"


def mute_rule(name: str = "nightly", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": crds.MUTE_RULES.api_version,
        "kind": crds.MUTE_RULES.kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"schedule": {"expression": "cron(0 2 * * *)", "duration": "PT2H"}, **spec},
    }


def labelled(name: str, **labels: str) -> dict[str, Any]:
    obj = alarm_object(name)
    obj["metadata"]["labels"] = labels
    return obj


def targets_of(cloudwatch: Any, name: str = "prod/default/nightly") -> list[str]:
    rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=name)
    return sorted(rule.get("MuteTargets", {}).get("AlarmNames", []))


def test_a_selectors_targets_follow_the_alarms_as_they_come_and_go(operator: Cluster, cloudwatch: Any) -> None:
    operator.create(labelled("pods", team="otlp"))
    operator.create(labelled("other", team="web"))
    operator.create(mute_rule(targets={"selector": {"matchLabels": {"team": "otlp"}}}))
    eventually(lambda: synced(operator, "nightly", crds.MUTE_RULES))
    eventually(lambda: targets_of(cloudwatch) == ["prod/default/pods"])
    operator.create(labelled("queue", team="otlp"))
    eventually(lambda: targets_of(cloudwatch) == ["prod/default/pods", "prod/default/queue"])
    rule = eventually(lambda: (o := operator.get(crds.MUTE_RULES, "nightly")) and o["status"].get("targetCount") == 2 and o)  # fmt: skip
    assert rule["status"]["targets"] == ["prod/default/pods", "prod/default/queue"]
    operator.delete(crds.METRIC_ALARMS, "pods")
    eventually(lambda: targets_of(cloudwatch) == ["prod/default/queue"])
    operator.patch(crds.METRIC_ALARMS, "queue", {"metadata": {"labels": {"team": "web"}}})
    eventually(lambda: targets_of(cloudwatch) == [])


def test_a_window_opening_and_closing_is_shown_and_told_in_events_and_deletion_removes_the_rule(
    operator: Cluster, cloudwatch: Any
) -> None:
    operator.create(alarm_object("pods"))
    eventually(lambda: synced(operator, "pods"))
    window = {"expression": at(NOW - datetime.timedelta(minutes=10)), "duration": "PT1H"}
    operator.create(mute_rule(schedule=window, targets={"alarms": [{"name": "pods"}]}))
    rule = eventually(lambda: synced(operator, "nightly", crds.MUTE_RULES))
    assert (rule["status"]["state"], rule["status"]["active"]) == ("ACTIVE", True)
    events = eventually(lambda: [e for e in operator.events("nightly") if e["reason"] == "MuteState"])
    assert "is ACTIVE: 1 alarms' actions muted until" in events[0]["message"]
    later = {"expression": at(NOW + datetime.timedelta(days=2)), "duration": "PT1H"}
    operator.patch(crds.MUTE_RULES, "nightly", {"spec": {"schedule": later}})
    rule = eventually(lambda: (o := operator.get(crds.MUTE_RULES, "nightly")) and o["status"]["state"] == "SCHEDULED" and o)  # fmt: skip
    assert rule["status"]["nextWindowStart"] == f"{NOW + datetime.timedelta(days=2):%Y-%m-%dT%H:%M}:00Z"
    eventually(lambda: [e for e in operator.events("nightly") if e["message"].endswith("is SCHEDULED")])
    operator.delete(crds.MUTE_RULES, "nightly")
    eventually(lambda: operator.get(crds.MUTE_RULES, "nightly") is None)
    assert cloudwatch.list_alarm_mute_rules()["AlarmMuteRuleSummaries"] == []


def test_annotating_a_conflicting_mute_rule_adopts_it_at_the_next_refresh(operator: Cluster, cloudwatch: Any) -> None:
    by_hand = {"Schedule": {"Expression": "cron(0 9 * * *)", "Duration": "PT8H"}}
    cloudwatch.put_alarm_mute_rule(Name="prod/default/nightly", Rule=by_hand)
    operator.create(mute_rule(targets={"selector": {"matchLabels": {"team": "otlp"}}}))
    conflict = eventually(lambda: in_conflict(operator, crds.MUTE_RULES, "nightly"))
    assert "annotate kedawatch.io/adopt=true to adopt it (at the next refresh, within 0.5 s" in conflict["message"]
    operator.patch(crds.MUTE_RULES, "nightly", {"metadata": {"annotations": {ownership.ADOPT_ANNOTATION: "true"}}})
    eventually(lambda: synced(operator, "nightly", crds.MUTE_RULES))
    rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName="prod/default/nightly")
    assert rule["Rule"]["Schedule"]["Expression"] == "cron(0 2 * * *)"
