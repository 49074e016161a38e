"""Tags of alarms and mute rules: CloudWatch's TagResource, UntagResource and ListTagsForResource, and the tagging
API's GetResources for them.

- A resource has at most 50 tags, none with a key of AWS's own (`aws:`): InvalidParameterValue; an alarm or mute
  rule ARN that names nothing is a 404 ResourceNotFoundException. Other ARNs (an insight rule's, a dashboard's)
  are moto's: the handlers answer None for them.
- GetResources answers ResourceTypeFilters cloudwatch:alarm and cloudwatch:alarm-mute-rule (or a
  ResourceARNList of such ARNs, which takes no filter nor pagination), with TagFilters (every filter must match,
  any of a filter's values), in pages of ResourcesPerPage resources (1..100, 100 by default) or, given
  TagsPerPage only (100..500), of whole resources up to that many tags, a resource without tags counting as one;
  the last page's PaginationToken is empty, as AWS's. A resource that had tags and has none left is listed with
  no tags unless a filter asks for tags, one never tagged not at all. Errors are InvalidParameterException.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kedawatch.standins.alarms import paging, store
from kedawatch.standins.alarms.checks import refuse

__all__ = ["added", "get_resources", "list_tags_for_resource", "tag_resource", "untag_resource"]

MAX_TAGS, RESOURCES_PAGE = 50, 100
TAGS_PAGE = (100, 500)
RESOURCE_TYPES = {"cloudwatch:alarm": "alarm", "cloudwatch:alarm-mute-rule": "alarm-mute-rule"}
"""GetResources' resource types held here, and their ARNs' resource type."""
INVALID = "InvalidParameterException"


def added(tags: Sequence[Mapping[str, str]], current: Mapping[str, str]) -> dict[str, str]:
    """Tags to add to a resource that has `current` ones, if AWS takes them."""
    new = {tag["Key"]: tag["Value"] for tag in tags}
    for key in new:
        if key.lower().startswith("aws:"):
            refuse(f"Tag keys starting with 'aws:' are reserved for AWS use: {key}", "InvalidParameterValue")
    if len({**current, **new}) > MAX_TAGS:
        refuse(f"A resource can have at most {MAX_TAGS} tags", "InvalidParameterValue")
    return new


def tag_resource(call: store.Call, params: dict[str, Any]) -> dict[str, Any] | None:
    resource = _tagged(call, params["ResourceARN"])
    if resource is None:
        return None
    resource.tag(added(params["Tags"], resource.tags))
    return {}


def untag_resource(call: store.Call, params: dict[str, Any]) -> dict[str, Any] | None:
    resource = _tagged(call, params["ResourceARN"])
    if resource is None:
        return None
    for key in params["TagKeys"]:
        resource.tags.pop(key, None)
    return {}


def list_tags_for_resource(call: store.Call, params: dict[str, Any]) -> dict[str, Any] | None:
    resource = _tagged(call, params["ResourceARN"])
    return None if resource is None else {"Tags": _tag_list(resource.tags)}


def get_resources(call: store.Call, params: dict[str, Any]) -> dict[str, Any] | None:
    found = _resources_of(call, params)
    if found is None:
        return None
    if params.get("ExcludeCompliantResources"):
        if not params.get("IncludeComplianceDetails"):
            refuse("ExcludeCompliantResources needs IncludeComplianceDetails", INVALID)
        found = []  # no tag policy is modelled: every resource complies
    size, cost = _page_of(params)
    token = params.get("PaginationToken")
    chosen, following = paging.page(found, lambda r: r.arn, size, token, "GetResources", INVALID, cost)
    compliance = {"ComplianceDetails": {"ComplianceStatus": True}} if params.get("IncludeComplianceDetails") else {}
    mappings = [{"ResourceARN": r.arn, "Tags": _tag_list(r.tags), **compliance} for r in chosen]
    return {"ResourceTagMappingList": mappings, "PaginationToken": following or ""}


def _tagged(call: store.Call, arn: str) -> store.Resource | None:
    """The alarm or mute rule of that ARN; None for other ARNs (moto's); 404 if it does not exist."""
    parsed = store.parse_arn(arn)
    if parsed is None:
        return None
    resources = call.state.alarms if parsed.kind == "alarm" else call.state.mute_rules
    resource = resources.get(parsed.name)
    if resource is None or resource.arn != arn:
        refuse(f"The resource {arn} does not exist", "ResourceNotFoundException")
    return resource


def _resources_of(call: store.Call, params: Mapping[str, Any]) -> list[store.Resource] | None:
    """The resources GetResources asks for, when they are alarms and mute rules; None for others (moto's)."""
    if "ResourceARNList" in params:
        if {"TagFilters", "ResourceTypeFilters", "ResourcesPerPage", "TagsPerPage", "PaginationToken"} & set(params):
            refuse("ResourceARNList cannot be combined with TagFilters, ResourceTypeFilters or pagination", INVALID)
        arns = params["ResourceARNList"]
        if any(store.parse_arn(arn) is None for arn in arns):
            return None
        return [resource for resource in _all(call, RESOURCE_TYPES.values()) if resource.arn in arns]
    types = params.get("ResourceTypeFilters") or []
    if not types or any(kind not in RESOURCE_TYPES for kind in types):
        return None
    filters = params.get("TagFilters", [])
    return [
        resource for resource in _all(call, [RESOURCE_TYPES[kind] for kind in types])
        if (resource.tags or resource.ever_tagged) and all(_matches(f, resource.tags) for f in filters)
    ]  # fmt: skip


def _all(call: store.Call, kinds: Iterable[str]) -> list[store.Resource]:
    wanted = set(kinds)
    alarms = list(call.state.alarms.values()) if "alarm" in wanted else []
    return alarms + (list(call.state.mute_rules.values()) if "alarm-mute-rule" in wanted else [])


def _matches(tag_filter: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    key, values = str(tag_filter.get("Key", "")), tag_filter.get("Values") or []
    return key in tags and (not values or tags[key] in values)


def _page_of(params: Mapping[str, Any]) -> tuple[int, Callable[[store.Resource], int]]:
    """A page's size and what each resource costs of it."""
    if "ResourcesPerPage" in params or "TagsPerPage" not in params:
        size = params.get("ResourcesPerPage", RESOURCES_PAGE)
        if not 1 <= size <= RESOURCES_PAGE:
            refuse(f"ResourcesPerPage must be 1 to {RESOURCES_PAGE}, not {size}", INVALID)
        return size, lambda _: 1
    size = params["TagsPerPage"]
    if not TAGS_PAGE[0] <= size <= TAGS_PAGE[1]:
        refuse(f"TagsPerPage must be {TAGS_PAGE[0]} to {TAGS_PAGE[1]}, not {size}", INVALID)
    return size, lambda resource: max(1, len(resource.tags))


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
