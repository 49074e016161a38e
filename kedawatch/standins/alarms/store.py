"""The alarm service's state: one `Region` per account and region, holding alarms, mute rules and their tags.

Plain data and the ARN forms; no rules and no locking here (the service holds one lock around every call).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any, Literal

__all__ = ["DEFAULT_ACCOUNT", "AlarmType", "Call", "Region", "Resource", "account_of", "alarm_arn", "parse_arn"]

DEFAULT_ACCOUNT = "123456789012"
"""moto's account, and this service's unless a request says otherwise."""
AlarmType = Literal["MetricAlarm", "CompositeAlarm", "LogAlarm"]
_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):(alarm|alarm-mute-rule):(.+)$", re.DOTALL)


def account_of(access_key: str) -> str:
    """moto's convention: an access key of 12 digits is the account it signs for; any other is moto's account."""
    return access_key if re.fullmatch(r"\d{12}", access_key) else DEFAULT_ACCOUNT


@dataclasses.dataclass(frozen=True)
class Arn:
    region: str
    account: str
    kind: Literal["alarm", "alarm-mute-rule"]
    name: str


def parse_arn(arn: str) -> Arn | None:
    """An alarm's or mute rule's ARN, or None for any other (a dashboard, another service's resource)."""
    found = _ARN.match(arn)
    return Arn(found[1], found[2], found[3], found[4]) if found else None  # type: ignore[arg-type]


def alarm_arn(region: str, account: str, name: str, kind: str = "alarm") -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:{kind}:{name}"


@dataclasses.dataclass
class Resource:
    """An alarm or a mute rule: its description as AWS answers it, and its tags (not part of the description)."""

    kind: AlarmType | Literal["AlarmMuteRule"]
    description: dict[str, Any]
    arn: str
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    ever_tagged: bool = False
    """The tagging API lists a resource that has had tags, with no tags, once they are all removed."""

    @property
    def name(self) -> str:
        return str(self.description.get("AlarmName") or self.description["Name"])

    def tag(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)
        self.ever_tagged = self.ever_tagged or bool(tags)


@dataclasses.dataclass
class Region:
    alarms: dict[str, Resource] = dataclasses.field(default_factory=dict)
    mute_rules: dict[str, Resource] = dataclasses.field(default_factory=dict)
    contributors: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    """DescribeAlarmContributors' answer by alarm name: CloudWatch computes it; tests set it."""


@dataclasses.dataclass(frozen=True)
class Call:
    """One call's view of the store: its account and region, and the time it is answered at."""

    region: str
    account: str
    state: Region
    now: datetime.datetime

    def find(self, name_or_arn: str) -> Resource | None:
        """An alarm of this account and region, by name or ARN."""
        arn = parse_arn(name_or_arn)
        if arn is None:
            return self.state.alarms.get(name_or_arn)
        if (arn.region, arn.account, arn.kind) != (self.region, self.account, "alarm"):
            return None
        return self.state.alarms.get(arn.name)

    def exists(self, name_or_arn: str) -> bool:
        return self.find(name_or_arn) is not None
