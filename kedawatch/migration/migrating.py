"""From the documents of a set of files to their replacements, one output per input object, in input order.

What each kind becomes:
- HorizontalPodAutoscaler (autoscaling/v2beta1, v2beta2, v2) with an External metric: a ScaledObject (or an
  AppObservability) through `autoscalers`. Once KEDA is installed it serves the cluster's external metrics
  API, so every such HPA needs replacing, the adapter's or not. An HPA with no External metric (autoscaling/v1
  has none) does not depend on the adapter: it is left as it is.
- ExternalMetric (metrics.aws/v1alpha1): carried into the triggers of the HPAs that name it; one no HPA names
  is noted (its HPA may be in a file not given).
- cw.aws.com/v1 alarms: kept, through `alarms`.
- Anything else (Deployments, Services ...): skipped with a note, since it needs no change. A `List` (as
  `kubectl get -o yaml` prints) is read item by item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from kedawatch.migration import alarms, autoscalers
from kedawatch.migration.results import Converted, Document, Note

__all__ = ["load", "migrate"]

ADAPTER_GROUP_VERSION = "metrics.aws/v1alpha1"


def load(text: str, file: str) -> tuple[list[Document], list[Converted]]:
    """The objects in one file's text, and a note for what is not an object (bad YAML, a scalar)."""
    documents: list[Document] = []
    try:
        for body in yaml.safe_load_all(text):
            documents += _objects(body, file)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        return documents, [Converted(None, [Note((), f"{file}: not read further, not valid YAML: {reason}", True)])]
    bad = [d for d in documents if not d.kind or not d.api_version]
    notes = [
        Converted(None, [Note((), f"{d.file}: a document without kind or apiVersion, not converted", True)])
        for d in bad
    ]
    return [d for d in documents if d not in bad], notes


def _objects(body: Any, file: str) -> list[Document]:
    if body is None:
        return []
    if not isinstance(body, dict):
        return [Document({}, file)]
    if body.get("kind") == "List" and isinstance(body.get("items"), list):
        return [document for item in body["items"] for document in _objects(item, file)]
    return [Document(body, file)]


def migrate(documents: Sequence[Document], settings: autoscalers.Settings) -> list[Converted]:
    adapter_metrics = {
        (d.namespace, d.name): d
        for d in documents
        if (d.api_version, d.kind) == (ADAPTER_GROUP_VERSION, "ExternalMetric")
    }
    users: dict[tuple[str, str], list[str]] = {}
    for document in documents:
        if _is_adapter_hpa(document):
            for name in autoscalers.external_metric_names(document):
                users.setdefault((document.namespace, name), []).append(document.name)
    results = []
    for document in documents:
        if _is_adapter_hpa(document):
            results.append(autoscalers.convert(document, adapter_metrics, settings))
        elif document.kind == "HorizontalPodAutoscaler" and document.api_version.startswith("autoscaling/"):
            text = f"{document.describe()}: left as it is, it names no External metric and so needs no adapter"
            results.append(Converted(None, [Note((), text)]))
        elif document.api_version.split("/")[0] == ADAPTER_GROUP_VERSION.split("/")[0]:
            results.append(_adapter_object(document, users))
        elif document.api_version.split("/")[0] == alarms.GROUP_VERSION.split("/")[0]:
            results.append(alarms.convert(document))
        else:
            results.append(Converted(None, [Note((), f"{document.describe()}: skipped, nothing to convert")]))
    return results


def _is_adapter_hpa(document: Document) -> bool:
    return (
        document.kind == "HorizontalPodAutoscaler"
        and document.api_version in autoscalers.VERSIONS
        and bool(autoscalers.external_metric_names(document))
    )


def _adapter_object(document: Document, users: dict[tuple[str, str], list[str]]) -> Converted:
    if (document.api_version, document.kind) != (ADAPTER_GROUP_VERSION, "ExternalMetric"):
        return Converted(None, [Note((), f"{document.describe()}: not converted, the adapter has no such kind", True)])
    hpas = users.get((document.namespace, document.name))
    if hpas is None:
        text = (
            f"{document.describe()}: not converted, no HorizontalPodAutoscaler in these files names it;"
            " pass the file of the HPA that uses it"
        )
        return Converted(None, [Note((), text, True)])
    text = (
        f"{document.describe()}: carried into the triggers replacing HorizontalPodAutoscaler"
        f" {', '.join(hpas)}; delete it with the adapter"
    )
    return Converted(None, [Note((), text)])
