"""Any CloudWatch metric or expression, with the metadata and semantics of KEDA's `aws-cloudwatch` scaler."""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar

from kedawatch.aws import cloudwatch, identities, vocabulary
from kedawatch.scaler import metadata, reads
from kedawatch.scaler.sources import base

__all__ = ["CloudWatchMetric", "EmptyMetricData"]

_EXTENDED = re.compile(vocabulary.EXTENDED_STATISTIC)


class EmptyMetricData(Exception):
    """CloudWatch returned no datapoint and `ignoreNullValues` is false: KEDA's built-in errors too."""


def _statistic(value: str) -> str | None:
    if value in vocabulary.STATISTICS or _EXTENDED.match(value):
        return None
    return f"must be one of {', '.join(vocabulary.STATISTICS)} or a percentile/extended statistic such as p99"


def _period(value: int) -> str | None:
    if value in (1, 5, 10, 30) or (value > 0 and value % 60 == 0):
        return None
    return "must be 1, 5, 10, 30, 60 or a multiple of 60"


def _account(value: str) -> str | None:
    return None if re.fullmatch(r"\d{12}", value) else "must be a 12-digit AWS account id"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CloudWatchMetric(base.AwsParams):
    name: ClassVar[str] = "aws-cloudwatch"

    namespace: str | None = metadata.param("namespace", default=None)
    metric: str | None = metadata.param("metricName", default=None)
    dimension_names: tuple[str, ...] = metadata.param("dimensionName", default=())
    dimension_values: tuple[str, ...] = metadata.param("dimensionValue", default=())
    expression: str | None = metadata.param("expression", default=None)

    target_value: float = metadata.param("targetMetricValue", check=metadata.positive)
    activation_value: float = metadata.param("activationTargetMetricValue", default=0.0)
    min_value: float = metadata.param("minMetricValue", default=0.0)
    """The value when the window holds no datapoint (and `ignoreNullValues` is true)."""
    ignore_null_values: bool = metadata.param("ignoreNullValues", default=True)

    collection_time: int = metadata.param("metricCollectionTime", default=300, check=metadata.positive)
    statistic: str = metadata.param("metricStat", default="Average", check=_statistic)
    unit: str | None = metadata.param("metricUnit", default=None, check=metadata.one_of(*vocabulary.STANDARD_UNITS))
    period: int = metadata.param("metricStatPeriod", default=300, check=_period)
    end_offset: int = metadata.param("metricEndTimeOffset", default=0, check=metadata.not_negative)
    account_id: str | None = metadata.param("awsAccountId", default=None, check=_account)

    def validate(self) -> list[metadata.Problem]:
        problems = []
        if not self.expression:
            problems += [
                metadata.Problem(key, None, "is required unless expression is set")
                for key, value in (
                    ("namespace", self.namespace),
                    ("metricName", self.metric),
                    ("dimensionName", self.dimension_names),
                    ("dimensionValue", self.dimension_values),
                )
                if not value
            ]
            if len(self.dimension_names) != len(self.dimension_values):
                reason = f"has {len(self.dimension_values)} values for {len(self.dimension_names)} dimensionName"
                problems.append(metadata.Problem("dimensionValue", ";".join(self.dimension_values), reason))
        if self.collection_time % self.period:
            reason = f"must be a multiple of metricStatPeriod ({self.period})"
            problems.append(metadata.Problem("metricCollectionTime", str(self.collection_time), reason))
        return problems

    def metric_name(self) -> str:
        return base.metric_name("aws-cloudwatch", self.metric or "expression")

    def target(self) -> float:
        return self.target_value

    def activation(self) -> float:
        return self.activation_value

    def read(self, identity: identities.AwsIdentity) -> reads.MetricRead:
        if self.expression:
            query = cloudwatch.MetricQuery(self.period, expression=self.expression, account_id=self.account_id)
        else:
            query = cloudwatch.MetricQuery(
                self.period,
                namespace=self.namespace or "",
                metric_name=self.metric or "",
                dimensions=tuple(zip(self.dimension_names, self.dimension_values, strict=True)),
                stat=self.statistic,
                unit=self.unit,
                account_id=self.account_id,
            )
        return reads.MetricRead(identity, query, self.collection_time, self.end_offset)

    def value(self, answer: tuple[float, ...]) -> float:
        """The newest datapoint, as KEDA takes it; `minMetricValue` when there is none."""
        if answer:
            return answer[0]
        if not self.ignore_null_values:
            raise EmptyMetricData("CloudWatch returned no datapoints in the window and ignoreNullValues is false")
        return self.min_value
