"""AWS's rate quotas of the API operations the operator calls: calls a second per account and region. No calls here.

From CloudWatch's service quotas page ("CloudWatch service quotas", AmazonCloudWatch/latest/monitoring/
cloudwatch_limits): PutMetricAlarm 3 and DescribeAlarms 9 (both adjustable); DeleteAlarms, DescribeAlarmHistory,
SetAlarmState, EnableAlarmActions and DisableAlarmActions 3 each; DescribeAlarmsForMetric 9; PutDashboard,
GetDashboard, ListDashboards and DeleteDashboards 10 each; GetMetricData 50, ListMetrics 25.

AWS publishes no figure for the rest the operator calls (PutCompositeAlarm, PutLogAlarm, TagResource,
UntagResource, ListTagsForResource, DescribeAlarmContributors, the mute rule operations, the tagging API's
GetResources): they are held to the alarm API's lowest published quota, 3, which no documented alarm operation
goes below. An account whose quotas were raised says so with the operator's `--write-rate` and `--read-rate`.
"""

from __future__ import annotations

import dataclasses

__all__ = ["UNPUBLISHED", "quota"]


@dataclasses.dataclass(frozen=True)
class Quota:
    calls: int
    """Calls a second per account and region."""
    write: bool
    """Whether the operation changes anything: `--write-rate` or `--read-rate` replaces the quota."""


UNPUBLISHED = 3
"""Calls a second for an operation AWS publishes no quota for: the alarm API's lowest published one."""

QUOTAS: dict[str, Quota] = {
    "PutMetricAlarm": Quota(3, write=True),
    "DescribeAlarms": Quota(9, write=False),
    "DeleteAlarms": Quota(3, write=True),
    "DescribeAlarmsForMetric": Quota(9, write=False),
    "SetAlarmState": Quota(3, write=True),
    "EnableAlarmActions": Quota(3, write=True),
    "DisableAlarmActions": Quota(3, write=True),
    "DescribeAlarmHistory": Quota(3, write=False),
    "PutDashboard": Quota(10, write=True),
    "GetDashboard": Quota(10, write=False),
    "ListDashboards": Quota(10, write=False),
    "DeleteDashboards": Quota(10, write=True),
    "GetMetricData": Quota(50, write=False),
    "ListMetrics": Quota(25, write=False),
    "PutCompositeAlarm": Quota(UNPUBLISHED, write=True),
    "PutLogAlarm": Quota(UNPUBLISHED, write=True),
    "TagResource": Quota(UNPUBLISHED, write=True),
    "UntagResource": Quota(UNPUBLISHED, write=True),
    "ListTagsForResource": Quota(UNPUBLISHED, write=False),
    "DescribeAlarmContributors": Quota(UNPUBLISHED, write=False),
    "PutAlarmMuteRule": Quota(UNPUBLISHED, write=True),
    "GetAlarmMuteRule": Quota(UNPUBLISHED, write=False),
    "ListAlarmMuteRules": Quota(UNPUBLISHED, write=False),
    "DeleteAlarmMuteRule": Quota(UNPUBLISHED, write=True),
    "GetResources": Quota(UNPUBLISHED, write=False),
}
"""Each operation's default quota, by AWS's operation name."""


def quota(operation: str) -> Quota:
    """The operation's quota; one not in the table is held to UNPUBLISHED, as a write (the cautious side)."""
    return QUOTAS.get(operation, Quota(UNPUBLISHED, write=True))
