"""The IAM policies grant exactly the AWS operations each component's code calls: nothing missing, nothing more.

The calls are found in the source: every boto3 client method called in the `kedawatch.aws` modules that a
component imports, mapped to its API operation by botocore's own service models; the permission-only
actions that a parameter of a call needs (an AssumeRole with `Tags` needs `sts:TagSession`); and, for the HTTP
APIs botocore has no client for (CloudWatch's PromQL API), the IAM actions such a module declares in
`IAM_ACTIONS` for the operation it sends, as AWS documents them.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kedawatch"
SERVICES = {"sqs": "sqs", "cloudwatch": "cloudwatch", "sts": "sts", "resourcegroupstaggingapi": "tag"}
"""botocore service name -> IAM action prefix."""


def method_actions() -> dict[str, set[str]]:
    """Each boto3 client method name -> the IAM actions it may be (a name can exist in several services)."""
    session = botocore.session.get_session()
    actions: dict[str, set[str]] = {}
    for service, prefix in SERVICES.items():
        model = session.get_service_model(service)
        for operation in model.operation_names:
            method = botocore.xform_name(operation)
            actions.setdefault(method, set()).add(f"{prefix}:{operation}")
    return actions


def imported_aws_modules(component: str) -> set[str]:
    """The `kedawatch.aws` modules imported anywhere in the component's package (or by what it imports)."""
    seen: set[str] = set()
    todo = [path for path in (PACKAGE / component).rglob("*.py")]
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "kedawatch.aws":
                for alias in node.names:
                    if alias.name not in seen:
                        seen.add(alias.name)
                        todo.append(PACKAGE / "aws" / f"{alias.name}.py")
    return seen


def called_actions(modules: set[str]) -> set[str]:
    known = method_actions()
    found: set[str] = set()
    for module in modules:
        tree = ast.parse((PACKAGE / "aws" / f"{module}.py").read_text())
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and node.attr in known:
                name = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
                name = node.value  # get_paginator("get_metric_data")
            if name:
                found |= _resolve(known[name], module)
        found |= declared_actions(tree)
    return found


PARAMETER_ACTIONS = {("assume_role", "Tags"): "sts:TagSession"}
"""(client method, parameter) -> the permission-only action AWS also checks when the call carries it."""


def parameter_actions(modules: set[str]) -> set[str]:
    """The permission-only actions of the parameters a module names (as a keyword or a key) beside the method."""
    found: set[str] = set()
    for module in modules:
        tree = ast.parse((PACKAGE / "aws" / f"{module}.py").read_text())
        methods = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        named = {node.arg for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg}
        named |= {
            node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        found |= {
            action
            for (method, parameter), action in PARAMETER_ACTIONS.items()
            if {method, parameter} <= methods | named
        }
    return found


def declared_actions(tree: ast.Module) -> set[str]:
    """The actions a module declares at its top level as `IAM_ACTIONS = (...)` for an HTTP API of its own."""
    return {
        action
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "IAM_ACTIONS" for t in node.targets)
        for action in ast.literal_eval(node.value)
    }


def _resolve(candidates: set[str], module: str) -> set[str]:
    """Pick the service a module talks to when a method name exists in several (tag_resource, ...)."""
    prefix = {"sqs": "sqs", "cloudwatch": "cloudwatch", "alarms": "cloudwatch", "dashboards": "cloudwatch"}.get(module)
    if len(candidates) == 1 or prefix is None:
        return candidates if len(candidates) == 1 else {c for c in candidates if c.startswith("sts:")}
    chosen = {c for c in candidates if c.startswith(f"{prefix}:")}
    return chosen or candidates


def granted(policy: str) -> set[str]:
    document = json.loads((ROOT / "deploy" / "iam" / policy).read_text())
    return {action for statement in document["Statement"] for action in statement["Action"]}


NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
"""AWS answers it for any valid credentials, even when an IAM policy denies it explicitly."""


@pytest.mark.parametrize(
    ("component", "policy"), [("scaler", "scaler-policy.json"), ("operator", "operator-policy.json")]
)
def test_policy_grants_exactly_what_the_code_calls(component: str, policy: str) -> None:
    modules = imported_aws_modules(component)
    assert granted(policy) == (called_actions(modules) | parameter_actions(modules)) - NEEDS_NO_PERMISSION


def test_the_scaler_may_tag_exactly_the_sessions_of_the_roles_it_may_assume() -> None:
    """sts:TagSession is checked on the role, as sts:AssumeRole is (and the role's trust policy must allow it)."""
    document = json.loads((ROOT / "deploy" / "iam" / "scaler-policy.json").read_text())
    (statement,) = [s for s in document["Statement"] if "sts:AssumeRole" in s["Action"]]
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]


def test_the_promql_api_s_declared_actions_are_derived_for_the_scaler_only() -> None:
    assert {"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"} <= called_actions(imported_aws_modules("scaler"))
    assert "cloudwatch:ListMetrics" not in called_actions(imported_aws_modules("operator"))


def test_no_policy_grants_a_wildcard_action() -> None:
    for policy in ("scaler-policy.json", "operator-policy.json"):
        assert not [action for action in granted(policy) if "*" in action]
