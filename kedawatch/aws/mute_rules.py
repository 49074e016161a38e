"""CloudWatch alarm mute rules: put, read, delete. Their tags go through `alarms.tags_of` and `alarms.set_tags`,
which take any CloudWatch ARN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kedawatch.aws import calls, errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

__all__ = ["delete", "get", "put"]


def put(client: CloudWatchClient, params: Mapping[str, Any]) -> None:
    """Create the rule, or replace the whole of the rule of that name (its tags apply on creation only)."""
    calls.call(client.put_alarm_mute_rule, **params)


def get(client: CloudWatchClient, name: str) -> dict[str, Any] | None:
    """The rule as AWS holds it, with its Status now (SCHEDULED, ACTIVE, EXPIRED); None when there is none."""
    try:
        answer = calls.call(client.get_alarm_mute_rule, AlarmMuteRuleName=name)
    except errors.AwsError as exc:
        if exc.failure is errors.Failure.NOT_FOUND:
            return None
        raise
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def delete(client: CloudWatchClient, name: str) -> None:
    """Deleting a rule that does not exist succeeds."""
    calls.call(client.delete_alarm_mute_rule, AlarmMuteRuleName=name)
