"""The cluster admin's tenant policy: which roles, regions, endpoints, alarm actions and log groups each namespace
may use.

Both components act with their own pod identity on behalf of every namespace: the scaler assumes a trigger's
`awsRoleArn` and reads through its `awsEndpoint`; the operator writes alarms whose actions publish to SNS
topics, invoke Lambdas or scale groups. Without a policy, any team could borrow another's role or page
another's on-call. The policy is a JSON file read once at start (the Helm chart renders it from its
`tenancy` values). A namespace gets the first rule whose `namespaces` patterns match it; what that rule
leaves out comes from `default`. Patterns are shell globs (`*`, `?`, `[...]`), matched case-sensitively;
`{account}` in a pattern stands for the cluster's own AWS account, `{cluster}` for the operator's cluster name.

The defaults allow any region, no role assumption, no per-trigger endpoint, alarm actions only in the
cluster's own account (so neither another account's topics nor `arn:aws:automate:` EC2 actions, which
could stop any team's instance), and log alarms only on the cluster's own Container Insights application log
group (where every namespace's container logs land; a log alarm's query filters them by namespace).

`roles` says how the scaler assumes the roles a namespace may use (it grants none): the first entry whose
`match` fits the role's ARN may require an external id (`true` for `{cluster}/{namespace}`, or a template
of those two) and session tags, so that the role's trust policy can admit one namespace of one cluster.
A role no entry matches is assumed with neither.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["APPLICATION_LOG_GROUP", "Denied", "PolicyError", "TenantPolicy", "load", "parse"]

_KEYS = ("roleArns", "regions", "endpoints", "actionArns", "logGroups")
APPLICATION_LOG_GROUP = "/aws/containerinsights/{cluster}/application"
"""Container Insights' log group of a cluster's container logs (Fluent Bit's `log_group_name`)."""
_DEFAULT = {
    "roleArns": (),
    "regions": ("*",),
    "endpoints": (),
    "actionArns": ("arn:*:*:*:{account}:*",),
    "logGroups": (APPLICATION_LOG_GROUP, f"arn:*:logs:*:{{account}}:log-group:{APPLICATION_LOG_GROUP}"),
}
_ROLE_KEYS = ("match", "externalId", "sessionTags")
_DEFAULT_EXTERNAL_ID = "{cluster}/{namespace}"
"""The external id of `externalId: true`."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class PolicyError(ValueError):
    """The policy file is malformed: the message names the key."""


class Denied(Exception):
    """A namespace asked for something its rule does not allow. The message names the rule and what it allows."""

    def __init__(self, namespace: str, what: str, value: str, rule: Rule) -> None:
        allowed = getattr(rule, _FIELDS[what])
        listed = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"namespace {namespace!r} may not use {what} {value!r}: tenancy rule {rule.name} allows {listed}"
        )
        self.rule = rule


_FIELDS = {
    "awsRoleArn": "role_arns",
    "awsRegion": "regions",
    "awsEndpoint": "endpoints",
    "action": "action_arns",
    "role": "role_arns",
    "log group": "log_groups",
}


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    """How messages name it: `default`, or `namespaces[0] (team-a-*)`."""
    role_arns: tuple[str, ...]
    regions: tuple[str, ...]
    endpoints: tuple[str, ...]
    action_arns: tuple[str, ...]
    log_groups: tuple[str, ...]

    def check(self, namespace: str, what: str, value: str) -> None:
        if not any(fnmatch.fnmatchcase(value, pattern) for pattern in getattr(self, _FIELDS[what])):
            raise Denied(namespace, what, value, self)


@dataclasses.dataclass(frozen=True)
class RoleRule:
    """How the scaler assumes the roles a `roles` entry matches."""

    name: str
    """How messages name it: `roles[0] (arn:aws:iam::444455556666:role/*)`."""
    external_id: str | None = None
    """A template of `{cluster}` and `{namespace}`; None: AssumeRole carries no ExternalId."""
    session_tags: bool = False
    """AssumeRole carries the cluster and the namespace as session tags (the role must allow sts:TagSession)."""

    def external_id_for(self, cluster: str, namespace: str) -> str | None:
        if self.external_id is None:
            return None
        return self.external_id.replace("{cluster}", cluster).replace("{namespace}", namespace)


_NO_ROLE_RULE = RoleRule("no roles entry")


T = TypeVar("T")


def _first_match(value: str, table: tuple[tuple[tuple[str, ...], T], ...], otherwise: T) -> T:
    """The entry of the first (glob patterns, entry) pair of `table` with a pattern matching `value`."""
    return next((entry for patterns, entry in table if any(fnmatch.fnmatchcase(value, p) for p in patterns)), otherwise)


@dataclasses.dataclass(frozen=True)
class TenantPolicy:
    default: Rule
    rules: tuple[tuple[tuple[str, ...], Rule], ...] = ()
    """(namespace patterns, rule) pairs, in the file's order."""
    roles: tuple[tuple[tuple[str, ...], RoleRule], ...] = ()
    """(role ARN patterns, how to assume them) pairs, in the file's order."""

    def role_rule(self, role_arn: str) -> RoleRule:
        """How the scaler assumes `role_arn`: the first `roles` entry that matches it, else with neither an
        external id nor session tags."""
        return _first_match(role_arn, self.roles, _NO_ROLE_RULE)

    @functools.lru_cache(maxsize=4096)  # noqa: B019  # the policy lives as long as the process
    def rule_for(self, namespace: str) -> Rule:
        return _first_match(namespace, self.rules, self.default)

    def check_identity(self, namespace: str, region: str, role_arn: str | None, endpoint: str | None) -> None:
        """Raise `Denied` unless `namespace` may read AWS in `region`, as `role_arn`, through `endpoint`."""
        rule = self.rule_for(namespace)
        rule.check(namespace, "awsRegion", region)
        if role_arn is not None:
            rule.check(namespace, "awsRoleArn", role_arn)
        if endpoint is not None:
            rule.check(namespace, "awsEndpoint", endpoint)

    def check_actions(self, namespace: str, arns: Iterable[str]) -> None:
        """Raise `Denied` unless `namespace`'s alarms may call every one of `arns`."""
        self._check_all(namespace, "action", arns)

    def check_log_groups(self, namespace: str, identifiers: Iterable[str]) -> None:
        """Raise `Denied` unless `namespace`'s log alarms may query every one of these log groups (names or ARNs)."""
        self._check_all(namespace, "log group", identifiers)

    def check_roles(self, namespace: str, arns: Iterable[str]) -> None:
        """Raise `Denied` unless `namespace` may have CloudWatch act as each of these roles for it (a log alarm's
        query and log-line roles)."""
        self._check_all(namespace, "role", arns)

    def _check_all(self, namespace: str, what: str, values: Iterable[str]) -> None:
        rule = self.rule_for(namespace)
        for value in values:
            rule.check(namespace, what, value)


def load(path: Path | None, account: str | None = None, cluster: str | None = None) -> TenantPolicy:
    """The policy in `path` (None: the defaults), with `{account}` made `account` and `{cluster}` made `cluster`
    (None: matches no account, no cluster)."""
    data: Mapping[str, Any] = {}
    if path is not None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise PolicyError(f"tenant policy {path}: {exc}") from exc
    return parse(data, account, cluster)


def parse(data: Any, account: str | None, cluster: str | None = None) -> TenantPolicy:
    _require(isinstance(data, Mapping), "the policy", "must be an object")
    _unknown(data, ("default", "namespaces", "roles"), "the policy")
    fill = functools.partial(_fill, account=account or "{no account}", cluster=cluster or "{no cluster}")
    default_data = data.get("default", {})
    _require(isinstance(default_data, Mapping), "default", "must be an object")
    _unknown(default_data, _KEYS, "default")
    base = {key: fill(_patterns(default_data, key, "default", _DEFAULT[key])) for key in _KEYS}
    default = _rule("default", base)
    entries = data.get("namespaces", [])
    _require(isinstance(entries, list), "namespaces", "must be a list")
    rules = []
    for index, entry in enumerate(entries):
        where = f"namespaces[{index}]"
        _require(isinstance(entry, Mapping), where, "must be an object")
        _unknown(entry, ("match", *_KEYS), where)
        match = _patterns(entry, "match", where, None)
        _require(bool(match), f"{where}.match", "must list at least one namespace pattern")
        own = {key: fill(_patterns(entry, key, where, base[key])) for key in _KEYS}
        rules.append((match, _rule(f"{where} ({', '.join(match)})", own)))
    return TenantPolicy(default, tuple(rules), _role_rules(data.get("roles", []), fill))


def _role_rules(
    entries: Any, fill: Callable[[tuple[str, ...]], tuple[str, ...]]
) -> tuple[tuple[tuple[str, ...], RoleRule], ...]:
    _require(isinstance(entries, list), "roles", "must be a list")
    rules = []
    for index, entry in enumerate(entries):
        where = f"roles[{index}]"
        _require(isinstance(entry, Mapping), where, "must be an object")
        _unknown(entry, _ROLE_KEYS, where)
        match = fill(_patterns(entry, "match", where, None))
        _require(bool(match), f"{where}.match", "must list at least one role ARN pattern")
        tags = entry.get("sessionTags", False)
        _require(isinstance(tags, bool), f"{where}.sessionTags", f"must be true or false, not {json.dumps(tags)}")
        external_id = _external_id(entry.get("externalId"), f"{where}.externalId")
        rules.append((match, RoleRule(f"{where} ({', '.join(match)})", external_id, tags)))
    return tuple(rules)


def _external_id(value: Any, where: str) -> str | None:
    """`true`: the default template; a string: a template of `{cluster}` and `{namespace}`; absent or `false`: none."""
    if value is None or value is False:
        return None
    if value is True:
        return _DEFAULT_EXTERNAL_ID
    valid = isinstance(value, str) and value != ""
    _require(valid, where, f"must be true or a template such as {_DEFAULT_EXTERNAL_ID}, not {json.dumps(value)}")
    unknown = [name for name in _PLACEHOLDER.findall(value) if name not in ("cluster", "namespace")]
    _require(
        not unknown, where, f"may name {{cluster}} and {{namespace}} only, not {{{unknown[0] if unknown else ''}}}"
    )
    return str(value)


def _rule(name: str, patterns: Mapping[str, tuple[str, ...]]) -> Rule:
    return Rule(
        name,
        patterns["roleArns"],
        patterns["regions"],
        patterns["endpoints"],
        patterns["actionArns"],
        patterns["logGroups"],
    )


def _patterns(data: Mapping[str, Any], key: str, where: str, default: tuple[str, ...] | None) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default or ()
    valid = isinstance(value, list) and all(isinstance(item, str) and item for item in value)
    _require(valid, f"{where}.{key}", f"must be a list of non-empty strings, not {json.dumps(value)}")
    return tuple(value)


def _fill(patterns: tuple[str, ...], account: str, cluster: str) -> tuple[str, ...]:
    return tuple(pattern.replace("{account}", account).replace("{cluster}", cluster) for pattern in patterns)


def _unknown(data: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    extra = sorted(set(data) - set(known))
    _require(not extra, f"{where}.{extra[0] if extra else ''}", f"is not a policy key (known: {', '.join(known)})")


def _require(ok: bool, key: str, reason: str) -> None:
    if not ok:
        raise PolicyError(f"tenant policy: {key} {reason}")
