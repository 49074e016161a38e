"""CloudWatch alarms: batched reads, writes, and the tags that mark an alarm as kedawatch's.

Reads are batched to AWS's limits: 100 names per DescribeAlarms and DeleteAlarms call, pages of 100
from the tagging API. Every botocore exception is translated into `errors.AwsError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from kedawatch.aws import errors

__all__ = [
    "delete",
    "describe",
    "put_composite_alarm",
    "put_metric_alarm",
    "set_tags",
    "tags_by_arn",
    "tags_of",
]

BATCH = 100
"""DescribeAlarms takes up to 100 AlarmNames, DeleteAlarms up to 100 names."""

T = TypeVar("T")


def _calling(call: Callable[..., T], **params: Any) -> T:
    try:
        return call(**params)
    except Exception as exc:
        raise errors.translate(exc) from exc


def _chunks(names: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(names), BATCH):
        yield names[start : start + BATCH]


def describe(client: Any, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each existing alarm's description, metric or composite, by name: ceil(len(names) / 100) calls."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(names))):
        answer = _calling(client.describe_alarms, AlarmNames=list(chunk), AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        for alarm in [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]:
            found[alarm["AlarmName"]] = alarm
    return found


def put_metric_alarm(client: Any, params: Mapping[str, Any]) -> None:
    _calling(client.put_metric_alarm, **params)


def put_composite_alarm(client: Any, params: Mapping[str, Any]) -> None:
    _calling(client.put_composite_alarm, **params)


def delete(client: Any, names: Sequence[str]) -> None:
    for chunk in _chunks(list(names)):
        _calling(client.delete_alarms, AlarmNames=list(chunk))


def tags_by_arn(tagging: Any, key: str, value: str) -> dict[str, dict[str, str]]:
    """Every alarm tagged `key=value`, with all its tags: pages of 100 from the tagging API."""
    found: dict[str, dict[str, str]] = {}
    token = ""
    while True:
        answer = _calling(
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


def tags_of(client: Any, arn: str) -> dict[str, str]:
    answer = _calling(client.list_tags_for_resource, ResourceARN=arn)
    return {tag["Key"]: tag["Value"] for tag in answer.get("Tags", [])}


def set_tags(client: Any, arn: str, current: Mapping[str, str], desired: Mapping[str, str]) -> bool:
    """Make the alarm's tags `desired`: TagResource for new or changed, UntagResource for removed."""
    changed = {key: value for key, value in desired.items() if current.get(key) != value}
    removed = [key for key in current if key not in desired]
    if changed:
        tags = [{"Key": key, "Value": value} for key, value in sorted(changed.items())]
        _calling(client.tag_resource, ResourceARN=arn, Tags=tags)
    if removed:
        _calling(client.untag_resource, ResourceARN=arn, TagKeys=sorted(removed))
    return bool(changed or removed)
