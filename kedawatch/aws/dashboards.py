"""CloudWatch dashboards: one per AppObservability, put whole and deleted by name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kedawatch.aws import errors

__all__ = ["delete", "put"]


def put(client: Any, name: str, body: Mapping[str, Any]) -> None:
    try:
        answer = client.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body, sort_keys=True))
    except Exception as exc:
        raise errors.translate(exc) from exc
    problems = answer.get("DashboardValidationMessages", [])
    if problems:
        detail = "; ".join(f"{p.get('DataPath', '')}: {p.get('Message', '')}" for p in problems)
        raise errors.AwsError(errors.Failure.INVALID, "InvalidParameterInput", detail)


def delete(client: Any, name: str) -> None:
    """Delete the dashboard; one already gone is fine."""
    try:
        client.delete_dashboards(DashboardNames=[name])
    except Exception as exc:
        error = errors.translate(exc)
        if error.failure is not errors.Failure.NOT_FOUND and error.code != "ResourceNotFound":
            raise error from exc
