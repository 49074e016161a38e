"""CloudWatch dashboards: one per AppObservability, put whole and deleted by name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kedawatch.aws import calls, errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

__all__ = ["delete", "put"]


def put(client: CloudWatchClient, name: str, body: Mapping[str, Any]) -> None:
    answer = calls.call(client.put_dashboard, DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True))
    problems = answer.get("DashboardValidationMessages", [])
    if problems:
        detail = "; ".join(f"{p.get('DataPath', '')}: {p.get('Message', '')}" for p in problems)
        raise errors.AwsError(errors.Failure.INVALID, "InvalidParameterInput", detail, "PutDashboard")


def delete(client: CloudWatchClient, name: str) -> None:
    """Delete the dashboard; one already gone is fine."""
    try:
        calls.call(client.delete_dashboards, DashboardNames=[name])
    except errors.AwsError as error:
        if error.failure is not errors.Failure.NOT_FOUND:
            raise
