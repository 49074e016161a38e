"""What the reference alarms controller did with its `cw.aws.com` objects, which kedawatch keeps for those kinds,
so that a cluster moving from it carries on with the alarms it made rather than writing a second set.

From its source (aws-samples/amazon-cloudwatch-alarms-controller-for-kubernetes, `cwoperator/helpers/obj_parser.py`
and `operator_handler.py`): every alarm, metric or composite, is named `<namespace>-<name>` (a spec's `AlarmName`
was never read), with no check of CloudWatch's 255 characters (AWS refused a longer name at every retry, so no such
alarm exists); its description is always `<AlarmName>: Alarm Made by K8s Cloudwatch Adapter`, and it carries no
tag but the spec's `Tags`. That description, on an alarm of the object's own name and type without kedawatch's
ownership tags, is what tells an alarm that controller made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kedawatch.operator import ownership

__all__ = ["alarm_name", "made_it"]

SIGNATURE = ": Alarm Made by K8s Cloudwatch Adapter"
"""What follows the alarm's name in the description of every alarm the reference controller wrote."""


def alarm_name(namespace: str, name: str) -> str:
    """The name the reference controller gave the object's alarm; shortened as kedawatch's own names are when
    over 255 characters (that controller never got such an alarm written)."""
    return ownership.fitted(f"{namespace}-{name}")


def made_it(alarm: Mapping[str, Any], tags: Mapping[str, str], namespace: str, name: str, composite: bool) -> bool:
    """Whether the reference controller made `alarm` (as DescribeAlarms returns it) for the object `name` in
    `namespace`, a composite alarm or not, and no kedawatch object has claimed it since."""
    made_for = f"{namespace}-{name}"
    return (
        alarm.get("AlarmName") == made_for
        and alarm.get("AlarmDescription") == f"{made_for}{SIGNATURE}"
        and ("AlarmRule" in alarm) == composite
        and not ownership.claimed(tags)
    )
