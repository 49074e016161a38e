"""The in-memory alarm service: CloudWatch's alarm operations and the tagging API's GetResources for alarms.

`AlarmService.handle` takes one call's decoded parameters (`serving` decodes them) and returns its answer, or
None when the call is not for it after all (tags of an insight rule, GetResources of other resource types):
moto answers those. One lock serialises every call; descriptions are replaced, never changed in place, so an answer
can be encoded after the lock is released.

Behaviour, per account (moto's, 123456789012, unless the access key is 12 digits) and region (the signature's):

- Put*Alarm creates an alarm in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"; a PromQL alarm in OK,
  as the API reference says) or replaces the whole configuration of the alarm of that name, keeping its state
  and its tags: Tags apply only on creation (TagResource/UntagResource after). An alarm name is one kind's:
  putting another kind under it is a 409 ResourceConflict. ActionsEnabled and the three action lists are
  answered with their defaults (true, []), metric alarms' Dimensions too, and each query's ReturnData.
- DescribeAlarms: AlarmNames or AlarmNamePrefix (not both: InvalidParameterCombination), StateValue and
  ActionPrefix combined; AlarmTypes MetricAlarm by default, CompositeAlarm and LogAlarm only when asked;
  ChildrenOfAlarmName / ParentsOfAlarmName alone (with MaxRecords and NextToken only) and answering only the
  fields the API reference lists for them. Pages of MaxRecords (default 50) alarms of every asked type together,
  in name order; without the members `leave_out` names, for clients that must cope with AWS not answering them.
- DeleteAlarms ignores unknown names, deletes at most one composite alarm, and a log alarm only on its own.
- SetAlarmState needs an existing alarm (404 ResourceNotFound) and StateReasonData in JSON (InvalidFormat);
  it sets StateUpdatedTimestamp, and StateTransitionedTimestamp when the state changes.
- Tags of alarms and mute rules, and the tagging API's GetResources for them: `tagging`.
- Mute rules (`mute_rules`), EnableAlarmActions/DisableAlarmActions, DescribeAlarmsForMetric (single-metric
  alarms on exactly that metric), and DescribeAlarmContributors, which answers what `set_contributors` set.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kedawatch.standins.alarms import (
    checks,
    composite_alarms,
    log_alarms,
    metric_alarms,
    mute_rules,
    paging,
    store,
    tagging,
)
from kedawatch.standins.alarms.checks import refuse

__all__ = ["OPERATIONS", "AlarmService"]

OPERATIONS = {
    "cloudwatch": frozenset({
        "PutMetricAlarm", "PutCompositeAlarm", "PutLogAlarm", "DescribeAlarms", "DescribeAlarmsForMetric",
        "DeleteAlarms", "SetAlarmState", "EnableAlarmActions", "DisableAlarmActions", "TagResource",
        "UntagResource", "ListTagsForResource", "PutAlarmMuteRule", "GetAlarmMuteRule", "ListAlarmMuteRules",
        "DeleteAlarmMuteRule", "DescribeAlarmContributors",
    }),
    "resourcegroupstaggingapi": frozenset({"GetResources"}),
}  # fmt: skip
"""The operations this service answers, by botocore service name; moto answers every other."""
PAGE, CONTRIBUTORS_PAGE = 50, 100
STATE_KEYS = ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp")
_ALARM_DEFAULTS: dict[str, Any] = {
    "ActionsEnabled": True, "OKActions": [], "AlarmActions": [], "InsufficientDataActions": [],
}  # fmt: skip


Handler = Callable[[store.Call, dict[str, Any]], dict[str, Any] | None]


class AlarmService:
    """CloudWatch's alarms of every account and region, in memory; safe to call from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._regions: dict[tuple[str, str], store.Region] = {}
        self._unanswered: frozenset[str] = frozenset()
        self._handlers: dict[str, Handler] = {
            "PutMetricAlarm": self._put_metric_alarm,
            "PutCompositeAlarm": self._put_composite_alarm,
            "PutLogAlarm": self._put_log_alarm,
            "DescribeAlarms": self._describe_alarms,
            "DescribeAlarmsForMetric": self._describe_alarms_for_metric,
            "DeleteAlarms": self._delete_alarms,
            "SetAlarmState": self._set_alarm_state,
            "EnableAlarmActions": lambda call, params: self._enable_actions(call, params, True),
            "DisableAlarmActions": lambda call, params: self._enable_actions(call, params, False),
            "TagResource": tagging.tag_resource,
            "UntagResource": tagging.untag_resource,
            "ListTagsForResource": tagging.list_tags_for_resource,
            "GetResources": tagging.get_resources,
            "PutAlarmMuteRule": self._put_alarm_mute_rule,
            "GetAlarmMuteRule": self._get_alarm_mute_rule,
            "ListAlarmMuteRules": self._list_alarm_mute_rules,
            "DeleteAlarmMuteRule": self._delete_alarm_mute_rule,
            "DescribeAlarmContributors": self._describe_alarm_contributors,
        }

    @staticmethod
    def serves(service: str, operation: str) -> bool:
        return operation in OPERATIONS.get(service, ())

    def handle(self, operation: str, params: dict[str, Any], region: str, access_key: str) -> dict[str, Any] | None:
        """The answer to one call; `wire.Refusal` as AWS refuses it; None to leave the call to moto."""
        account = store.account_of(access_key)
        with self._lock:
            call = store.Call(region, account, self._region(account, region), datetime.datetime.now(datetime.UTC))
            return self._handlers[operation](call, params)

    def reset(self) -> None:
        with self._lock:
            self._regions.clear()
            self._unanswered = frozenset()

    def leave_out(self, *members: str) -> None:
        """DescribeAlarms answers without these members from now on (until `reset`): whether AWS answers the members
        it added lately (WarmUpConfiguration, ActionConfiguration, ...) is not on record, so clients must cope."""
        with self._lock:
            self._unanswered = frozenset(members)

    def set_contributors(
        self,
        alarm_name: str,
        contributors: Sequence[Mapping[str, Any]],
        region: str = "us-east-1",
        account: str = store.DEFAULT_ACCOUNT,
    ) -> None:
        """What DescribeAlarmContributors answers for the alarm: AlarmContributor structures (ContributorId,
        ContributorAttributes, StateReason, optionally StateTransitionedTimestamp), which CloudWatch would compute."""
        with self._lock:
            self._region(account, region).contributors[alarm_name] = [dict(item) for item in contributors]

    def _region(self, account: str, region: str) -> store.Region:
        return self._regions.setdefault((account, region), store.Region())

    # --- alarms ---------------------------------------------------------------------------------------------

    def _put_metric_alarm(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        metric_alarms.check(params, call.region)
        initial = "OK" if metric_alarms.is_promql(params) else "INSUFFICIENT_DATA"
        self._put(call, "MetricAlarm", params, metric_alarms.configuration(_settings(params)), initial)
        return {}

    def _put_composite_alarm(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        composite_alarms.check(params, call.region, call.exists)
        self._put(call, "CompositeAlarm", params, _settings(params), "INSUFFICIENT_DATA")
        return {}

    def _put_log_alarm(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        log_alarms.check(params, call.region)
        previous = call.state.alarms.get(params["AlarmName"])
        settings = log_alarms.configuration(
            _settings(params), call.region, call.account, previous.description if previous else None
        )
        self._put(call, "LogAlarm", params, settings, "INSUFFICIENT_DATA")
        return {}

    def _put(
        self, call: store.Call, kind: store.AlarmType, params: Mapping[str, Any], settings: dict[str, Any], initial: str
    ) -> None:
        name = params["AlarmName"]
        existing = call.state.alarms.get(name)
        if existing is not None and existing.kind != kind:
            refuse(f"An alarm named {name} exists and is a {existing.kind}, not a {kind}", "ResourceConflict")
        arn = store.alarm_arn(call.region, call.account, name)
        if existing is not None:
            state = {key: existing.description[key] for key in STATE_KEYS if key in existing.description}
        else:
            state = {"StateValue": initial, "StateReason": "Unchecked: Initial alarm creation",
                     "StateUpdatedTimestamp": call.now, "StateTransitionedTimestamp": call.now}  # fmt: skip
        description = {**settings, **state, "AlarmArn": arn, "AlarmConfigurationUpdatedTimestamp": call.now}
        if existing is not None:
            existing.description = description
            return
        tags = tagging.added(params.get("Tags", []), {})
        call.state.alarms[name] = store.Resource(kind, description, arn, tags, bool(tags))

    def _describe_alarms(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        relative = [key for key in ("ChildrenOfAlarmName", "ParentsOfAlarmName") if key in params]
        if relative:
            others = sorted(set(params) - {relative[0], "MaxRecords", "NextToken"})
            if others:
                refuse(f"{relative[0]} takes no other parameter than MaxRecords and NextToken: {', '.join(others)}")
            found, fields = self._relatives(call, relative[0], params[relative[0]])
        else:
            found, fields = self._matching(call, params), None
        alarms, token = paging.page(
            found, _name, params.get("MaxRecords", PAGE), params.get("NextToken"), "DescribeAlarms", "InvalidNextToken"
        )
        answer: dict[str, Any] = {f"{kind}s": [] for kind in ("MetricAlarm", "CompositeAlarm", "LogAlarm")}
        for alarm in alarms:
            described = {k: v for k, v in alarm.description.items() if k not in self._unanswered}
            answer[f"{alarm.kind}s"].append(
                {k: described[k] for k in fields if k in described} if fields else described
            )
        return {**answer, "NextToken": token} if token else answer

    def _matching(self, call: store.Call, params: Mapping[str, Any]) -> list[store.Resource]:
        if "AlarmNames" in params and "AlarmNamePrefix" in params:
            refuse("AlarmNames and AlarmNamePrefix cannot be specified together", "InvalidParameterCombination")
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        names = set(params.get("AlarmNames", ()))
        prefix, state, action = params.get("AlarmNamePrefix", ""), params.get("StateValue"), params.get("ActionPrefix")
        return [
            alarm for alarm in call.state.alarms.values()
            if alarm.kind in types
            and (not names or alarm.name in names)
            and alarm.name.startswith(prefix)
            and (state is None or alarm.description["StateValue"] == state)
            and (action is None or any(a.startswith(action) for a in _actions(alarm.description)))
        ]  # fmt: skip

    def _relatives(self, call: store.Call, key: str, name: str) -> tuple[list[store.Resource], tuple[str, ...]]:
        """A composite alarm's children, or an alarm's parents, and the fields DescribeAlarms gives of them."""
        if key == "ChildrenOfAlarmName":
            alarm = call.state.alarms.get(name)
            children = _children(call, alarm) if alarm is not None else {}
            return list(children.values()), ("AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp")
        parents = [alarm for alarm in call.state.alarms.values() if name in _children(call, alarm)]
        return parents, ("AlarmName", "AlarmArn")

    def _describe_alarms_for_metric(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        keys = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit")
        wanted = {key: params[key] for key in keys if key in params}
        alarms = [
            alarm.description for alarm in sorted(call.state.alarms.values(), key=_name)
            if alarm.kind == "MetricAlarm"
            and all(alarm.description.get(key) == value for key, value in wanted.items())
            and ("Dimensions" not in params or _dimensions(alarm.description) == _dimensions(params))
        ]  # fmt: skip
        return {"MetricAlarms": alarms}

    def _delete_alarms(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        names = params["AlarmNames"]
        found = [call.state.alarms[name] for name in dict.fromkeys(names) if name in call.state.alarms]
        if sum(alarm.kind == "CompositeAlarm" for alarm in found) > 1:
            refuse("DeleteAlarms deletes at most one composite alarm a call")
        if len(names) > 1 and any(alarm.kind == "LogAlarm" for alarm in found):
            refuse("Log alarms cannot be batch deleted: delete a log alarm on its own")
        for alarm in found:
            del call.state.alarms[alarm.name]
            call.state.contributors.pop(alarm.name, None)
        return {}

    def _set_alarm_state(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        alarm = call.state.alarms.get(params["AlarmName"])
        if alarm is None:
            refuse(f"Alarm {params['AlarmName']} not found", "ResourceNotFound")
        data = params.get("StateReasonData")
        if data is not None:
            try:
                json.loads(data)
            except ValueError as exc:
                refuse(f"StateReasonData is not valid JSON: {exc}", "InvalidFormat")
        previous = {key: value for key, value in alarm.description.items() if key != "StateReasonData"}
        changed = previous["StateValue"] != params["StateValue"]
        alarm.description = {
            **previous,
            "StateValue": params["StateValue"],
            "StateReason": params["StateReason"],
            **({"StateReasonData": data} if data is not None else {}),
            "StateUpdatedTimestamp": call.now,
            **({"StateTransitionedTimestamp": call.now} if changed else {}),
        }
        return {}

    def _enable_actions(self, call: store.Call, params: dict[str, Any], enabled: bool) -> dict[str, Any]:
        for name in params["AlarmNames"]:
            alarm = call.state.alarms.get(name)
            if alarm is not None:
                alarm.description = {**alarm.description, "ActionsEnabled": enabled}
        return {}

    # --- mute rules and contributors --------------------------------------------------------------------------

    def _put_alarm_mute_rule(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        schedule = mute_rules.check(params, call.exists)
        name = params["Name"]
        arn = store.alarm_arn(call.region, call.account, name, "alarm-mute-rule")
        description = {
            **{key: value for key, value in params.items() if key != "Tags"},
            "AlarmMuteRuleArn": arn, "LastUpdatedTimestamp": call.now, "MuteType": mute_rules.mute_type(schedule),
        }  # fmt: skip
        existing = call.state.mute_rules.get(name)
        if existing is not None:
            existing.description = description
        else:
            tags = tagging.added(params.get("Tags", []), {})
            call.state.mute_rules[name] = store.Resource("AlarmMuteRule", description, arn, tags, bool(tags))
        return {}

    def _get_alarm_mute_rule(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        rule = call.state.mute_rules.get(params["AlarmMuteRuleName"])
        if rule is None:
            refuse(f"The alarm mute rule {params['AlarmMuteRuleName']} does not exist", "ResourceNotFoundException")
        return {**rule.description, "Status": mute_rules.status(rule.description, call.now)}

    def _list_alarm_mute_rules(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        alarm, statuses = params.get("AlarmName"), params.get("Statuses")
        found = [
            (rule, mute_rules.status(rule.description, call.now)) for rule in call.state.mute_rules.values()
            if alarm is None or alarm in rule.description.get("MuteTargets", {}).get("AlarmNames", [])
        ]  # fmt: skip
        found = [(rule, status) for rule, status in found if not statuses or status in statuses]
        chosen, token = paging.page(
            found, lambda pair: pair[0].name, params.get("MaxRecords", PAGE), params.get("NextToken"),
            "ListAlarmMuteRules", "InvalidNextToken",
        )  # fmt: skip
        keys = ("AlarmMuteRuleArn", "ExpireDate", "MuteType", "LastUpdatedTimestamp")
        summaries = [
            {**{key: rule.description[key] for key in keys if key in rule.description}, "Status": status}
            for rule, status in chosen
        ]
        return {"AlarmMuteRuleSummaries": summaries, **({"NextToken": token} if token else {})}

    def _delete_alarm_mute_rule(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        call.state.mute_rules.pop(params["AlarmMuteRuleName"], None)
        return {}

    def _describe_alarm_contributors(self, call: store.Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AlarmName"]
        if name not in call.state.alarms:
            refuse(f"The alarm {name} does not exist", "ResourceNotFoundException")
        contributors = call.state.contributors.get(name, [])
        chosen, token = paging.page(
            contributors, lambda c: str(c["ContributorId"]), CONTRIBUTORS_PAGE, params.get("NextToken"),
            f"DescribeAlarmContributors {name}", "InvalidNextToken",
        )  # fmt: skip
        return {"AlarmContributors": chosen, **({"NextToken": token} if token else {})}


def _settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """An alarm's configuration from its Put*Alarm parameters: all but its tags, with AWS's defaults."""
    return {**_ALARM_DEFAULTS, **{key: value for key, value in params.items() if key != "Tags"}}


def _name(alarm: store.Resource) -> str:
    return alarm.name


def _children(call: store.Call, alarm: store.Resource) -> dict[str, store.Resource]:
    """The existing alarms a composite alarm's rule names, by name; none for other alarms."""
    if alarm.kind != "CompositeAlarm":
        return {}
    found = (call.find(child) for child in composite_alarms.children(alarm.description["AlarmRule"]))
    return {child.name: child for child in found if child is not None}


def _dimensions(described: Mapping[str, Any]) -> list[tuple[str, str]]:
    return sorted((dimension["Name"], dimension["Value"]) for dimension in described.get("Dimensions", []))


def _actions(description: Mapping[str, Any]) -> list[str]:
    return [action for key in checks.ACTION_LISTS for action in description.get(key, ())]
