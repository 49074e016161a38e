"""CloudWatch alarms: batched reads, writes, and the tags that mark an alarm as kedawatch's.

Reads are batched to AWS's limits: 100 names per DescribeAlarms and DeleteAlarms call, pages of 100
from the tagging API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from kedawatch.aws import calls

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import TagTypeDef
    from mypy_boto3_resourcegroupstaggingapi import ResourceGroupsTaggingAPIClient

__all__ = [
    "contributors",
    "delete",
    "describe",
    "name_of",
    "put_composite_alarm",
    "put_log_alarm",
    "put_metric_alarm",
    "set_tags",
    "tags_by_arn",
    "tags_of",
]

BATCH = 100
"""DescribeAlarms takes up to 100 AlarmNames, DeleteAlarms up to 100 names."""
CONTRIBUTOR_PAGES = 10
"""DescribeAlarmContributors pages read at most for one alarm: a PromQL answer holds at most 500 series."""


def _chunks(names: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(names), BATCH):
        yield names[start : start + BATCH]


def describe(
    client: CloudWatchClient, names: Sequence[str], types: Sequence[str] = ("MetricAlarm",)
) -> dict[str, dict[str, Any]]:
    """Each existing alarm's description by name, of the DescribeAlarms `types` asked (MetricAlarm, CompositeAlarm,
    LogAlarm; metric alarms only by default, as AWS answers): ceil(len(names) / 100) calls."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(names))):
        # AWS answers 50 alarms a page unless MaxRecords says more: without it, half of 100 names go unseen.
        answer = calls.call(
            client.describe_alarms,
            AlarmNames=list(chunk),
            AlarmTypes=list(types),  # type: ignore[arg-type]  # the kinds' declared types: AWS refuses others
            MaxRecords=BATCH,
        )
        listed = cast(dict[str, list[dict[str, Any]]], answer)
        for alarm_type in types:
            for alarm in listed.get(f"{alarm_type}s", []):
                found[alarm["AlarmName"]] = alarm
    return found


def contributors(client: CloudWatchClient, name: str) -> list[dict[str, Any]]:
    """The alarm's contributors in ALARM (a PromQL alarm's breaching series), every page up to `CONTRIBUTOR_PAGES`."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(CONTRIBUTOR_PAGES):
        answer = calls.call(
            client.describe_alarm_contributors, AlarmName=name, **({"NextToken": token} if token else {})
        )
        found += cast(list[dict[str, Any]], answer.get("AlarmContributors", []))
        token = answer.get("NextToken")
        if not token:
            break
    return found


def put_metric_alarm(client: CloudWatchClient, params: Mapping[str, Any]) -> None:
    calls.call(client.put_metric_alarm, **params)


def put_composite_alarm(client: CloudWatchClient, params: Mapping[str, Any]) -> None:
    calls.call(client.put_composite_alarm, **params)


def put_log_alarm(client: CloudWatchClient, params: Mapping[str, Any]) -> None:
    calls.call(client.put_log_alarm, **params)


def delete(client: CloudWatchClient, names: Sequence[str]) -> None:
    for chunk in _chunks(list(names)):
        calls.call(client.delete_alarms, AlarmNames=list(chunk))


def tags_by_arn(tagging: ResourceGroupsTaggingAPIClient, key: str, value: str) -> dict[str, dict[str, str]]:
    """Every alarm tagged `key=value`, with all its tags: pages of 100 from the tagging API."""
    found: dict[str, dict[str, str]] = {}
    token = ""
    while True:
        answer = calls.call(
            tagging.get_resources,
            ResourceTypeFilters=["cloudwatch:alarm"],
            TagFilters=[{"Key": key, "Values": [value]}],
            ResourcesPerPage=100,
            PaginationToken=token,
        )
        for mapping in answer.get("ResourceTagMappingList", []):
            found[mapping["ResourceARN"]] = {tag["Key"]: tag["Value"] for tag in mapping.get("Tags", [])}
        token = answer.get("PaginationToken", "")
        if not token:
            return found


def name_of(arn: str) -> str | None:
    """The alarm's name in its ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`, the name possibly with
    colons of its own); None for an ARN of anything else."""
    parts = arn.split(":", 6)
    return parts[6] if len(parts) == 7 and parts[2] == "cloudwatch" and parts[5] == "alarm" else None


def tags_of(client: CloudWatchClient, arn: str) -> dict[str, str]:
    answer = calls.call(client.list_tags_for_resource, ResourceARN=arn)
    return {tag["Key"]: tag["Value"] for tag in answer.get("Tags", [])}


def set_tags(client: CloudWatchClient, arn: str, current: Mapping[str, str], desired: Mapping[str, str]) -> bool:
    """Make the alarm's tags `desired`: TagResource for new or changed, UntagResource for removed."""
    changed = {key: value for key, value in desired.items() if current.get(key) != value}
    removed = [key for key in current if key not in desired]
    if changed:
        tags: list[TagTypeDef] = [{"Key": key, "Value": value} for key, value in sorted(changed.items())]
        calls.call(client.tag_resource, ResourceARN=arn, Tags=tags)
    if removed:
        calls.call(client.untag_resource, ResourceARN=arn, TagKeys=sorted(removed))
    return bool(changed or removed)
