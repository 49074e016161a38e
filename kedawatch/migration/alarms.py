"""The reference alarms controller's `cw.aws.com/v1` objects, kept as they are, with what keeps their alarms.

kedawatch serves these kinds as written (README, "Moving from the reference alarms controller"), so they are
not turned into kedawatch.io kinds: that would mean deleting the old objects, and a deleted object deletes its
alarm. Two things still change, from the controller's source (`cwoperator/helpers/obj_parser.py`): it named
every alarm `<namespace>-<name>` whatever the spec said, where kedawatch names it `AlarmName` or
`<cluster>/<namespace>/<name>`, so `AlarmName` is pinned to the old name (composite rules keep naming it);
and that alarm carries none of kedawatch's tags, so `kedawatch.io/adopt: "true"` lets kedawatch take it over
rather than report a Conflict. Fields the controller mishandled, and kedawatch sends as written, get a note.
Each object is checked as the operator will check it (`crds.Definition.checked`, with the operator's defaults).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kedawatch import settings
from kedawatch.migration.results import Converted, Document, Note
from kedawatch.operator import ownership
from kedawatch.operator.resources import crds

__all__ = ["GROUP_VERSION", "convert"]

GROUP_VERSION = "cw.aws.com/v1"
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")
_DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
_CHANGED = {
    "OkActions": "the reference controller sent OkActions, a parameter PutMetricAlarm does not know, so boto3"
    " refused every call and this alarm was never written; kedawatch sends OKActions: it will exist, and notify on OK",
    "OKActions": "the reference controller ignored OKActions (it read only OkActions); kedawatch sends them: OK"
    " notifications start",
    "ExtendedStatistic": "the reference controller sent it misspelt (EtendedStatistic), which boto3 refused, so this"
    " alarm was never written; kedawatch sends it",
    "ActionsEnabled": "the reference controller always sent ActionsEnabled true; kedawatch sends this value",
    "AlarmDescription": "the reference controller always sent its own description; kedawatch sends this one",
}


def convert(document: Document) -> Converted:
    definition = next((d for d in crds.ALARM_DEFINITIONS if d.legacy and d.kind == document.kind), None)
    if definition is None or document.api_version != GROUP_VERSION:
        return Converted(None, [Note((), f"{document.describe()}: not converted, no such cw.aws.com kind", True)])
    obj = _cleaned(document.body)
    spec: dict[str, Any] = obj.setdefault("spec", {})
    old_name = f"{document.namespace}-{document.name}"
    notes = [Note((), f"kept from {document.describe()}: kedawatch reconciles cw.aws.com objects as written")]
    notes += _pinned_name(spec, old_name, document)
    annotations = obj["metadata"].setdefault("annotations", {})
    annotations[ownership.ADOPT_ANNOTATION] = "true"
    text = (
        f"the alarm {old_name} exists, written by the reference controller without kedawatch's tags:"
        " kedawatch adopts it rather than reporting a Conflict"
    )
    notes.append(Note(("metadata", "annotations", ownership.ADOPT_ANNOTATION), text))
    notes += [Note(("spec", key), _CHANGED[key]) for key in spec if key in _CHANGED]
    if spec.get("Threshold") == 0 and "Threshold" in spec:
        text = "the reference controller dropped a Threshold of 0, so AWS refused the alarm; kedawatch sends 0"
        notes.append(Note(("spec", "Threshold"), text))
    notes += _finalizers(document)
    _, problems = definition.checked(spec, settings.OperatorSettings())
    notes += [Note(("spec",), f"the operator will refuse this object: {problem}", True) for problem in problems]
    return Converted(obj, notes)


def _cleaned(body: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest without what the API server adds (status, uid, resourceVersion ...), as read back by
    `kubectl get -o yaml`."""
    obj = {key: copy.deepcopy(value) for key, value in body.items() if key != "status"}
    meta = {key: value for key, value in (obj.get("metadata") or {}).items() if key in _KEPT_METADATA}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _DROPPED_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    obj["metadata"] = meta
    return obj


def _pinned_name(spec: dict[str, Any], old_name: str, document: Document) -> list[Note]:
    if "AlarmName" in spec and spec["AlarmName"] != old_name:
        text = (
            f"the reference controller ignored AlarmName and wrote the alarm {old_name}; kedawatch writes"
            f" {spec['AlarmName']!r}, a second alarm: delete {old_name} in CloudWatch, or set AlarmName to it"
        )
        return [Note(("spec", "AlarmName"), text, True)]
    if "AlarmName" in spec:
        return []
    spec["AlarmName"] = old_name
    text = (
        "the name the reference controller gave the alarm (<namespace>-<name>): kedawatch keeps that alarm"
        " rather than writing a second one"
    )
    notes = [Note(("spec", "AlarmName"), text)]
    if not (document.body.get("metadata") or {}).get("namespace"):
        text = "the file names no namespace, so `default` is assumed in AlarmName: set it if you apply elsewhere"
        notes.append(Note(("spec", "AlarmName"), text, True))
    return notes


def _finalizers(document: Document) -> list[Note]:
    found = (document.body.get("metadata") or {}).get("finalizers") or []
    if not any(str(f).startswith("kopf.zalando.org/") for f in found):
        return []
    text = (
        "the live object holds the reference controller's finalizer (kopf.zalando.org/KopfFinalizerMarker):"
        " with that controller gone, deleting it waits forever; remove the finalizer with kubectl patch"
    )
    return [Note(("metadata",), text)]
