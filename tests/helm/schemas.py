"""Checks rendered objects as the API server would: built-in kinds against Kubernetes' own schemas
(`kubernetes-validate`, strict: unknown fields refused), custom kinds against their CRD's openAPIV3Schema,
closed like a structural schema (an unknown field is an error rather than silently pruned).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import yaml

from tests.helm import chart

__all__ = ["KEDA_CRDS", "SchemaMissing", "crd_schemas", "keda_crd_schemas", "validate"]

KEDA_CRDS = chart.REPO.parent / "shared" / "keda"
"""KEDA's CRDs from its main branch, kept in the workplace's shared folder beside the repository."""

Schemas = dict[tuple[str, str], dict[str, Any]]
"""(apiVersion, kind) -> openAPIV3Schema."""


class SchemaMissing(Exception):
    """Neither Kubernetes nor any CRD at hand describes this kind."""


def validate(obj: Mapping[str, Any], custom: Schemas) -> None:
    """Raise jsonschema.ValidationError (or kubernetes_validate's subclass) when `obj` does not match."""
    key = (obj["apiVersion"], obj["kind"])
    if key in custom:
        jsonschema.Draft7Validator(custom[key]).validate(obj)
        return
    try:
        kubernetes_validate.validate(dict(obj), chart.KUBE_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as exc:
        raise SchemaMissing(exc.message) from exc


def crd_schemas(crds: Iterable[Mapping[str, Any]]) -> Schemas:
    """The closed openAPIV3Schema of every served version of each CRD."""
    schemas: Schemas = {}
    for crd in crds:
        spec = crd["spec"]
        for version in spec["versions"]:
            api_version = f"{spec['group']}/{version['name']}"
            schemas[(api_version, spec["names"]["kind"])] = closed(version["schema"]["openAPIV3Schema"])
    return schemas


def keda_crd_schemas(path: Path = KEDA_CRDS) -> Schemas:
    """TriggerAuthentication's schema, also for ClusterTriggerAuthentication (KEDA generates both from one type)."""
    crd = yaml.safe_load((path / "keda.sh_triggerauthentications.yaml").read_text())
    schemas = crd_schemas([crd])
    for (api_version, kind), schema in list(schemas.items()):
        if kind == "TriggerAuthentication":
            schemas[(api_version, "ClusterTriggerAuthentication")] = schema
    return schemas


def closed(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy in which every object with declared properties refuses others, as the API server's pruning
    would drop them; `metadata` keeps its own rules (the API server checks it, not the CRD)."""
    result = copy.deepcopy(dict(schema))
    result.setdefault("properties", {})
    for name, type_ in (("apiVersion", "string"), ("kind", "string"), ("metadata", "object")):
        result["properties"].setdefault(name, {"type": type_})
    _close(result)
    return result


def _close(schema: dict[str, Any]) -> None:
    properties = schema.get("properties")
    if isinstance(properties, dict):
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
        for name, sub in properties.items():
            if name != "metadata" and isinstance(sub, dict):
                _close(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _close(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            _close(sub)
