"""The tenant policy file: rules per namespace, its defaults, and errors that name the key at fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kedawatch import tenancy

ACCOUNT = "111122223333"
POLICY = {
    "default": {"regions": ["us-east-1", "eu-*"]},
    "namespaces": [
        {
            "match": ["team-a", "team-a-*"],
            "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/team-a-*"],
            "actionArns": ["arn:aws:sns:*:{account}:team-a-*", "arn:aws:sns:*:444455556666:shared-pager"],
        },
        {"match": ["sandbox-*"], "regions": ["*"], "endpoints": ["http://localstack.sandbox:4566"]},
    ],
}


@pytest.fixture
def policy() -> tenancy.TenantPolicy:
    return tenancy.parse(POLICY, ACCOUNT)


def denial(check: Any, *args: Any) -> str:
    with pytest.raises(tenancy.Denied) as raised:
        check(*args)
    return str(raised.value)


def test_defaults_allow_any_region_and_nothing_else() -> None:
    defaults = tenancy.load(None, ACCOUNT)
    defaults.check_identity("anyone", "ap-south-2", None, None)
    message = denial(defaults.check_identity, "anyone", "us-east-1", "arn:aws:iam::1:role/x", None)
    assert message == (
        "namespace 'anyone' may not use awsRoleArn 'arn:aws:iam::1:role/x': tenancy rule default allows none"
    )
    assert "awsEndpoint 'http://evil:80'" in denial(
        defaults.check_identity, "anyone", "us-east-1", None, "http://evil:80"
    )


def test_default_actions_are_those_of_the_clusters_own_account_only() -> None:
    defaults = tenancy.load(None, ACCOUNT)
    defaults.check_actions(
        "anyone", [f"arn:aws:sns:us-east-1:{ACCOUNT}:pager", f"arn:aws:lambda:eu-west-1:{ACCOUNT}:fn"]
    )
    assert "444455556666" in denial(defaults.check_actions, "anyone", ["arn:aws:sns:us-east-1:444455556666:pager"])
    assert "automate" in denial(defaults.check_actions, "anyone", ["arn:aws:automate:us-east-1:ec2:stop"])


def test_an_unknown_account_allows_no_action() -> None:
    defaults = tenancy.load(None, None)
    assert "tenancy rule default" in denial(defaults.check_actions, "x", [f"arn:aws:sns:us-east-1:{ACCOUNT}:pager"])


def test_by_default_log_alarms_query_only_the_clusters_own_application_log_group() -> None:
    defaults = tenancy.load(None, ACCOUNT, "prod-eu")
    defaults.check_log_groups(
        "anyone",
        ["/aws/containerinsights/prod-eu/application",
         f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/containerinsights/prod-eu/application"],
    )  # fmt: skip
    assert denial(defaults.check_log_groups, "anyone", ["/aws/containerinsights/prod-eu/host"]) == (
        "namespace 'anyone' may not use log group '/aws/containerinsights/prod-eu/host': tenancy rule default allows"
        f" /aws/containerinsights/prod-eu/application, arn:*:logs:*:{ACCOUNT}:log-group:/aws/containerinsights/prod-eu/application"
    )
    assert "444455556666" in denial(
        defaults.check_log_groups, "x", ["arn:aws:logs:eu-west-1:444455556666:log-group:/aws/containerinsights/prod-eu/application"]
    )  # fmt: skip
    assert "prod-eu" in denial(tenancy.load(None, ACCOUNT).check_log_groups, "x", ["/aws/containerinsights/prod-eu/application"])  # fmt: skip


def test_a_rule_gives_its_namespaces_their_log_groups_and_roles_for_log_alarms() -> None:
    policy = tenancy.parse(
        {"namespaces": [{"match": ["team-a"], "logGroups": ["/aws/{cluster}/team-a/*"], "roleArns": ["*:role/team-a-*"]}]},
        ACCOUNT,
        "prod",
    )  # fmt: skip
    policy.check_log_groups("team-a", ["/aws/prod/team-a/api"])
    policy.check_roles("team-a", [f"arn:aws:iam::{ACCOUNT}:role/team-a-logs"])
    assert "allows /aws/prod/team-a/*" in denial(policy.check_log_groups, "team-a", ["/aws/containerinsights/prod/application"])  # fmt: skip
    assert denial(policy.check_roles, "team-b", [f"arn:aws:iam::{ACCOUNT}:role/team-a-logs"]) == (
        f"namespace 'team-b' may not use role 'arn:aws:iam::{ACCOUNT}:role/team-a-logs': tenancy rule default allows none"
    )


def test_the_first_matching_rule_applies_and_inherits_what_it_leaves_out(policy: tenancy.TenantPolicy) -> None:
    policy.check_identity("team-a-batch", "eu-west-1", f"arn:aws:iam::{ACCOUNT}:role/team-a-reader", None)
    region = denial(policy.check_identity, "team-a", "ap-south-1", None, None)
    assert region == (
        "namespace 'team-a' may not use awsRegion 'ap-south-1':"
        " tenancy rule namespaces[0] (team-a, team-a-*) allows us-east-1, eu-*"
    )
    policy.check_actions(
        "team-a", [f"arn:aws:sns:eu-west-1:{ACCOUNT}:team-a-pager", "arn:aws:sns:us-east-1:444455556666:shared-pager"]
    )


def test_one_namespace_cannot_use_another_namespaces_role_or_topic(policy: tenancy.TenantPolicy) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/team-a-reader"
    assert "tenancy rule default allows none" in denial(policy.check_identity, "team-b", "us-east-1", role, None)
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:team-b-pager"
    assert "namespaces[0]" in denial(policy.check_actions, "team-a", [topic])


def test_endpoints_are_allowed_only_where_a_rule_lists_them(policy: tenancy.TenantPolicy) -> None:
    policy.check_identity("sandbox-1", "mars-1", None, "http://localstack.sandbox:4566")
    assert "namespaces[1] (sandbox-*)" in denial(policy.check_identity, "sandbox-1", "us-east-1", None, "http://x:1")


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ([], "the policy must be an object"),
        ({"defaults": {}}, "the policy.defaults is not a policy key"),
        ({"default": {"roleArn": []}}, "default.roleArn is not a policy key"),
        ({"default": {"regions": "us-east-1"}}, 'default.regions must be a list of non-empty strings, not "us-east-1"'),
        ({"namespaces": {}}, "namespaces must be a list"),
        ({"namespaces": [{"roleArns": ["*"]}]}, "namespaces[0].match must list at least one namespace pattern"),
        ({"namespaces": [{"match": ["a"], "actionArns": [""]}]}, "namespaces[0].actionArns must be a list"),
        ({"roles": {}}, "roles must be a list"),
        ({"roles": [{"externalId": True}]}, "roles[0].match must list at least one role ARN pattern"),
        ({"roles": [{"match": ["*"], "roleArns": ["*"]}]}, "roles[0].roleArns is not a policy key"),
        ({"roles": [{"match": ["*"], "sessionTags": "yes"}]}, 'roles[0].sessionTags must be true or false, not "yes"'),
        ({"roles": [{"match": ["*"], "externalId": 7}]}, "roles[0].externalId must be true or a template such as"),
        ({"roles": [{"match": ["*"], "externalId": "{namspace}"}]}, "may name {cluster} and {namespace} only"),
        ({"default": {"logGroups": "/aws/x"}}, 'default.logGroups must be a list of non-empty strings, not "/aws/x"'),
    ],
)
def test_a_malformed_policy_names_the_key(data: Any, named: str) -> None:
    with pytest.raises(tenancy.PolicyError) as raised:
        tenancy.parse(data, ACCOUNT)
    assert named in str(raised.value)


def test_a_policy_file_that_is_not_json_is_refused_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "policy.json"
    broken.write_text("default: {}")
    with pytest.raises(tenancy.PolicyError, match=r"policy\.json"):
        tenancy.load(broken)
    broken.write_text(json.dumps(POLICY))
    assert tenancy.load(broken, ACCOUNT) == tenancy.parse(POLICY, ACCOUNT)


def test_roles_entries_say_how_a_role_is_assumed_and_grant_none() -> None:
    policy = tenancy.parse(
        {
            "roles": [
                {"match": ["arn:aws:iam::{account}:role/team-*"], "externalId": True, "sessionTags": True},
                {"match": ["arn:aws:iam::444455556666:role/*"], "externalId": "kw:{cluster}:{namespace}"},
            ]
        },
        ACCOUNT,
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/team-a-reader"
    own = policy.role_rule(role)
    assert (own.external_id_for("prod-eu", "team-a"), own.session_tags) == ("prod-eu/team-a", True)
    partner = policy.role_rule("arn:aws:iam::444455556666:role/reader")
    assert (partner.external_id_for("prod-eu", "team-a"), partner.session_tags) == ("kw:prod-eu:team-a", False)
    unlisted = policy.role_rule("arn:aws:iam::999999999999:role/reader")
    assert (unlisted.external_id_for("prod-eu", "team-a"), unlisted.session_tags) == (None, False)
    assert "allows none" in denial(policy.check_identity, "team-a", "us-east-1", role, None), "roles grant none"
