"""Rules every kind of alarm shares: its name, its actions, how it treats missing data and what it propagates.

Each rule raises `wire.Refusal` with AWS's code, ValidationError unless said otherwise. The shape's own
limits (lengths, at most 5 actions per list, ranges) are checked before, by `kedawatch.aws.wire`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NoReturn

from kedawatch.aws import wire

__all__ = ["ACTION_LISTS", "check_common", "refuse"]

ACTION_LISTS = ("OKActions", "AlarmActions", "InsufficientDataActions")
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")


def refuse(message: str, code: str = "ValidationError") -> NoReturn:
    raise wire.Refusal(code, message)


def check_common(params: Mapping[str, Any], region: str, services: Collection[str]) -> None:
    """The name, the actions (ARNs of `services` only, in the alarm's region) and ActionConfiguration."""
    name = params["AlarmName"]
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        refuse(f"The alarm name {name!r} contains ASCII control characters, which AWS does not allow")
    for key in ACTION_LISTS:
        for action in params.get(key, ()):
            _check_action(key, action, region, services)
    if params.get("TreatMissingData", "missing") not in TREAT_MISSING_DATA:
        refuse(f"TreatMissingData must be one of {', '.join(TREAT_MISSING_DATA)}, not {params['TreatMissingData']!r}")
    propagation = params.get("ActionConfiguration", {}).get("AlarmTagsPropagation", {})
    if "IncludedTagKeys" in propagation and "ExcludedTagKeys" in propagation:
        refuse("AlarmTagsPropagation takes IncludedTagKeys or ExcludedTagKeys, not both")


def _check_action(key: str, action: str, region: str, services: Collection[str]) -> None:
    """AWS refuses an action in another region: "Invalid region eu-west-1 specified. Only us-east-1 is supported."."""
    parts = action.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        refuse(f"Invalid {key} ARN {action!r}: an action is the ARN of what the alarm calls")
    if parts[2] not in services:
        refuse(f"Invalid {key} ARN {action!r}: this kind of alarm cannot call {parts[2]} actions")
    if parts[3] and parts[3] != region:
        refuse(f"Invalid region {parts[3]} specified. Only {region} is supported.")
