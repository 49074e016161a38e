"""An adapter `ExternalMetric` (metrics.aws/v1alpha1) as the fields of a kedawatch CloudWatch trigger.

Decided from the adapter's source (awslabs/k8s-cloudwatch-adapter, archived):
- `pkg/apis/metrics/v1alpha1/externalmetric.go`: a query has only `id`, `expression`, `label`, `metricStat`
  and `returnData`; Go's JSON decoding dropped anything else (`accountId`, `period`), so it was never sent.
- `pkg/aws/util.go` (`toCloudWatchQuery`): an `expression` wins over a `metricStat`; `returnData` is sent as
  given (AWS's default, true, when omitted).
- `pkg/aws/client.go` (`QueryCloudWatch`): `spec.region` or the node's region, `spec.roleArn` assumed; the
  window is fixed: it ends at the current whole minute and starts 5 minutes before; newest first.
- `pkg/provider/provider_external.go`: the value is the first result's newest datapoint, truncated to a whole
  number; 0 when there is none (kedawatch's `minMetricValue` default, with `ignoreNullValues` true).

Three forms, the simplest that says the same: one metric (`namespace`, `metricName`, `dimensions`, ...),
one self-contained `expression`, or `metricDataQueries` (AWS's own query list, checked by `metric_math`).
Queries that the returned one does not need are left out. The fields are the AppObservability's camelCase
`cloudwatch` fields, `metricDataQueries` a list of camelCase queries like an alarm's `metrics`;
`autoscalers` maps them onto the scaler's metadata keys.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from kedawatch.aws import metric_math
from kedawatch.migration.results import Document, Note
from kedawatch.operator.resources import common

__all__ = ["convert"]

ADAPTER_WINDOW = 300
"""Seconds: the adapter's fixed window (`pkg/aws/client.go`: `startTime := endTime.Add(-5 * time.Minute)`)."""
_WINDOW_ALIGNMENT = 60
"""The adapter's window ended at the current whole minute; a KEDA window ends at a whole period."""
_SPEC_KEYS = ("name", "roleArn", "region", "queries")
_QUERY_KEYS = ("id", "expression", "label", "metricStat", "returnData")


@dataclasses.dataclass(frozen=True)
class Source:
    """The trigger's fields (None when the metric cannot be converted) and notes: `(field,)` paths name a
    field of `fields`, `()` the trigger."""

    fields: dict[str, Any] | None
    notes: list[Note]


def convert(document: Document) -> Source:
    spec = document.body.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("queries"), list) or not spec["queries"]:
        return Source(None, [Note((), f"{document.describe()}: spec.queries must list the metric's queries", True)])
    notes = _ignored_spec_keys(document, spec)
    queries = []
    for index, raw in enumerate(spec["queries"]):
        query, found = _aws_query(index, raw)
        queries.append(query)
        notes += found
    notes += _choose_returned(queries)
    problems = metric_math.validate(queries)
    if problems:
        lost = [
            Note((), f"not converted, AWS would refuse it: {p.message('spec.queries', camel=True)}", True)
            for p in problems
        ]
        return Source(None, notes + lost)
    needed, dropped = _needed(queries)
    if dropped:
        notes.append(
            Note((), f"spec.queries {', '.join(dropped)}: not carried over, the returned query does not use them")
        )
    fields, found = _fields(needed)
    notes += found
    for key, field in (("region", "region"), ("roleArn", "roleArn")):
        if spec.get(key):
            fields[field] = spec[key]
    if not spec.get("region"):
        reason = (
            "no spec.region: the adapter read in its node's region; kedawatch's scaler reads in its own"
            " (--region or AWS_REGION) unless awsRegion is set"
        )
        notes.append(Note((), reason))
    return Source(fields, notes)


def _ignored_spec_keys(document: Document, spec: Mapping[str, Any]) -> list[Note]:
    notes = []
    for key in spec:
        if key not in _SPEC_KEYS:
            notes.append(Note((), f"spec.{key}: not carried over, the adapter does not know it (it was never used)"))
    if spec.get("name") not in (None, document.name):
        notes.append(Note((), f"spec.name {spec['name']!r}: the adapter served the metric by its object name only"))
    return notes


def _aws_query(index: int, raw: Any) -> tuple[Any, list[Note]]:
    """The MetricDataQuery the adapter sent for one of its queries (`toCloudWatchQuery`), PascalCase."""
    if not isinstance(raw, Mapping):
        return raw, []
    where = f"spec.queries[{index}]"
    notes = [_never_sent(where, key) for key in raw if key not in _QUERY_KEYS]
    query: dict[str, Any] = {"Id": raw["id"]} if "id" in raw else {}
    if raw.get("label"):
        query["Label"] = raw["label"]
    if raw.get("expression"):
        query["Expression"] = raw["expression"]
        if raw.get("metricStat"):
            notes.append(Note((), f"{where}.metricStat: not carried over, the adapter sends the expression instead"))
    elif "metricStat" in raw:
        query["MetricStat"] = _metric_stat(raw["metricStat"])
    if "returnData" in raw:
        query["ReturnData"] = raw["returnData"]
    return query, notes


def _never_sent(where: str, key: str) -> Note:
    text = f"{where}.{key}: not carried over, the adapter's query has no {key} field, so it never sent it"
    if key == "accountId":
        text += (
            ": the metric was read from the account of roleArn (or the adapter's own); set accountId"
            " yourself to read another account through CloudWatch cross-account observability"
        )
    return Note((), text)


def _metric_stat(raw: Any) -> Any:
    if not isinstance(raw, Mapping):
        return raw
    metric = raw.get("metric")
    stat: dict[str, Any] = {}
    if isinstance(metric, Mapping):
        dimensions = metric.get("dimensions") or []
        stat["Metric"] = {
            "Namespace": metric.get("namespace"),
            "MetricName": metric.get("metricName"),
            "Dimensions": [_dimension(d) for d in dimensions] if isinstance(dimensions, list) else dimensions,
        }
    elif metric is not None:
        stat["Metric"] = metric
    for key, aws_key in (("period", "Period"), ("stat", "Stat")):
        if key in raw:
            stat[aws_key] = raw[key]
    if raw.get("unit"):  # the adapter sends "" when omitted, which AWS reads as no unit
        stat["Unit"] = raw["unit"]
    return stat


def _dimension(raw: Any) -> Any:
    return {"Name": raw.get("name"), "Value": raw.get("value")} if isinstance(raw, Mapping) else raw


def _choose_returned(queries: list[Any]) -> list[Note]:
    """The adapter scaled on the first result CloudWatch returned; with several, keep only that one."""
    returning = [q for q in queries if isinstance(q, dict) and q.get("ReturnData", True) is True]
    if len(returning) <= 1:
        return []
    first, *others = returning
    for query in others:
        query["ReturnData"] = False
    text = (
        f"{len(returning)} queries return data (returnData true or omitted); the adapter scaled on the first"
        f" result CloudWatch returned, in practice the first of them in the list: {first.get('Id')}. The others are"
        " set to returnData false here: check that is the metric you scale on"
    )
    return [Note((), text, True)]


def _needed(queries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The queries the returned one needs, in their order, and the ids of the others."""
    needs = metric_math.depends_on(queries)
    wanted = {str(metric_math.returned(queries)["Id"])}
    pending = list(wanted)
    while pending:
        for needed in needs[pending.pop()] - wanted:
            wanted.add(needed)
            pending.append(needed)
    kept = [q for q in queries if q["Id"] in wanted]
    return kept, [str(q["Id"]) for q in queries if q["Id"] not in wanted]


def _fields(queries: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Note]]:
    if len(queries) == 1 and "MetricStat" in queries[0]:
        reason = _not_single(queries[0]["MetricStat"])
        if reason is None:
            return _single_metric(queries[0]["MetricStat"])
        return _query_list(queries, f"written as metricDataQueries: {reason}")
    if len(queries) == 1:
        query = queries[0]
        fields = {"expression": query["Expression"], "period": _WINDOW_ALIGNMENT, "collectionTime": ADAPTER_WINDOW}
        text = (
            "the adapter's window: 300 s to the last whole minute; the adapter sent no Period with an"
            " expression, so period 60 only aligns the window (the expression's own periods still apply)"
        )
        return fields, [Note(("period",), text)]
    return _query_list(queries, None)


def _not_single(stat: Mapping[str, Any]) -> str | None:
    """Why one MetricStat needs metricDataQueries rather than the scaler's single-metric keys, if it does."""
    dimensions = stat["Metric"].get("Dimensions") or []
    if not dimensions:
        return "the metric has no dimensions, which dimensionName/dimensionValue require"
    if any(";" in d["Name"] or ";" in d["Value"] for d in dimensions):
        return "a dimension holds ';', which separates dimensionName/dimensionValue"
    if stat["Period"] == 20:
        return "period 20, which AWS takes and KEDA's metricStatPeriod does not"
    return None


def _single_metric(stat: Mapping[str, Any]) -> tuple[dict[str, Any], list[Note]]:
    metric, period = stat["Metric"], int(stat["Period"])
    fields: dict[str, Any] = {
        "namespace": metric["Namespace"],
        "metricName": metric["MetricName"],
        "dimensions": [{"name": d["Name"], "value": d["Value"]} for d in metric["Dimensions"]],
        "statistic": stat["Stat"],
        "period": period,
        "collectionTime": math.ceil(ADAPTER_WINDOW / period) * period,
    }
    if "Unit" in stat:
        fields["unit"] = stat["Unit"]
    return fields, _window_notes(period, fields["collectionTime"])


def _window_notes(period: int, collection: int) -> list[Note]:
    """How KEDA's window (its end truncated to the period) differs from the adapter's (to the minute)."""
    if collection != ADAPTER_WINDOW:
        text = (
            f"the adapter read a fixed 300 s window; KEDA's must be a multiple of the period ({period}):"
            f" {collection} is the smallest that still looks back 300 s (only the newest datapoint counts, so"
            " a longer window only reaches further back when the newest period has no data). It ends at the"
            " last whole period, not the last whole minute"
        )
        return [Note(("collectionTime",), text)]
    if period > _WINDOW_ALIGNMENT:
        text = (
            f"the window now ends at the last whole {period} s, not the last whole minute as the adapter's"
            f" did: the value can be up to {period - _WINDOW_ALIGNMENT} s older"
        )
        return [Note(("period",), text)]
    if period < _WINDOW_ALIGNMENT:
        text = (
            f"the window now ends at the last whole {period} s, not the last whole minute: values up to a minute newer"
        )
        return [Note(("period",), text)]
    return []


def _query_list(queries: list[dict[str, Any]], reason: str | None) -> tuple[dict[str, Any], list[Note]]:
    fields = {
        "metricDataQueries": common.recased(queries, str.lower),
        "period": _WINDOW_ALIGNMENT,
        "collectionTime": ADAPTER_WINDOW,
    }
    notes = [Note(("metricDataQueries",), reason)] if reason else []
    text = (
        "the adapter's own window, 300 s to the last whole minute: with metricDataQueries, period only aligns"
        " the window; each query keeps its own"
    )
    return fields, [*notes, Note(("period",), text)]
