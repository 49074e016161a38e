"""The alert-routing table: Alertmanager's classic matchers, the first route that matches, the default, and a table
that does not parse refused naming its route and matcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kedawatch.operator import alert_routes

PAGER = "arn:aws:sns:us-east-1:123456789012:pager"
TICKETS = "arn:aws:sns:us-east-1:123456789012:tickets"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:triage"


@pytest.mark.parametrize(
    ("matcher", "labels", "matches"),
    [
        pytest.param('severity="critical"', {"severity": "critical"}, True, id="equal"),
        pytest.param('severity="critical"', {"severity": "warning"}, False, id="equal-other-value"),
        pytest.param("severity=critical", {"severity": "critical"}, True, id="bare-value"),
        pytest.param('  severity  =  "critical"  ', {"severity": "critical"}, True, id="spaces-around-tokens"),
        pytest.param('severity!="critical"', {"severity": "warning"}, True, id="not-equal"),
        pytest.param('severity!="critical"', {}, True, id="not-equal-missing-label"),
        pytest.param('severity=""', {}, True, id="empty-value-matches-a-missing-label"),
        pytest.param('team=~"db|cache"', {"team": "cache"}, True, id="regex"),
        pytest.param('team=~"db"', {"team": "dbadmin"}, False, id="regex-anchored-at-the-end"),
        pytest.param('team=~"admin"', {"team": "dbadmin"}, False, id="regex-anchored-at-the-start"),
        pytest.param('team=~"db|cache"', {"team": "dbx"}, False, id="regex-alternation-anchored-as-a-whole"),
        pytest.param('team!~"db.*"', {"team": "web"}, True, id="not-regex"),
        pytest.param('team!~"db.*"', {"team": "db-eu"}, False, id="not-regex-matching"),
        pytest.param('team=~".*"', {}, True, id="regex-matches-a-missing-label-as-empty"),
        pytest.param(r'summary="say \"hi\", \\o/"', {"summary": 'say "hi", \\o/'}, True, id="escapes"),
        pytest.param(r'summary="a\nb"', {"summary": "a\nb"}, True, id="escaped-line-feed"),
        pytest.param(r'path="C:\temp"', {"path": "C:\\temp"}, True, id="spurious-escape-kept"),
        pytest.param('le:bucket="1"', {"le:bucket": "1"}, True, id="colon-in-name"),
    ],
)
def test_a_matcher_matches_as_alertmanager_matches(matcher: str, labels: dict[str, str], matches: bool) -> None:
    assert alert_routes.parse_matcher(matcher).matches(labels) is matches


@pytest.mark.parametrize(
    ("matcher", "said"),
    [
        pytest.param("severity", "is not a matcher", id="no-operator"),
        pytest.param('severity=="critical"', "is not a matcher", id="double-equals"),
        pytest.param('severity="crit"ical"', "is not a matcher", id="unescaped-quote"),
        pytest.param('severity="critical', "is not a matcher", id="unclosed-quote"),
        pytest.param('1severity="critical"', "is not a matcher", id="name-starting-with-a-digit"),
        pytest.param('severity="critical", team="db"', "is not a matcher", id="two-matchers-in-one-item"),
        pytest.param("team=a,b", "is not a matcher", id="bare-value-with-a-comma"),
        pytest.param('team=~"db|("', "is not a regular expression", id="bad-regex"),
    ],
)
def test_a_matcher_that_does_not_parse_is_refused_saying_why(matcher: str, said: str) -> None:
    with pytest.raises(alert_routes.RoutesError, match=said):
        alert_routes.parse_matcher(matcher)


TABLE: dict[str, Any] = {
    "routes": [
        {"matchers": ['severity="critical"', 'team=~"db|cache"'], "alarmActions": [PAGER], "okActions": [PAGER]},
        {"matchers": ['severity="critical"'], "alarmActions": [PAGER, LAMBDA]},
        {"matchers": ['severity="info"']},
    ],
    "default": {"alarmActions": [TICKETS], "insufficientDataActions": [TICKETS]},
}


@pytest.mark.parametrize(
    ("labels", "actions"),
    [
        pytest.param(
            {"severity": "critical", "team": "db"}, {"alarmActions": [PAGER], "okActions": [PAGER]}, id="first-route"
        ),
        pytest.param({"severity": "critical", "team": "web"}, {"alarmActions": [PAGER, LAMBDA]}, id="second-route"),
        pytest.param({"severity": "info"}, {}, id="a-route-without-actions-calls-none"),
        pytest.param(
            {"severity": "warning"}, {"alarmActions": [TICKETS], "insufficientDataActions": [TICKETS]}, id="default"
        ),
    ],
)
def test_the_first_route_whose_matchers_all_hold_wins_else_the_default(
    labels: dict[str, str], actions: dict[str, list[str]]
) -> None:
    assert alert_routes.parse(TABLE).actions_for(labels).spec() == actions


def test_no_table_routes_nothing() -> None:
    assert alert_routes.parse({}).actions_for({"severity": "critical"}).spec() == {}


@pytest.mark.parametrize(
    ("table", "said"),
    [
        pytest.param([], "must be an object with routes and default", id="not-an-object"),
        pytest.param({"route": []}, "the routing table: unknown key 'route'", id="misspelt-top-key"),
        pytest.param({"routes": {}}, "routes: must be a list", id="routes-not-a-list"),
        pytest.param({"routes": [{"alarmActions": [PAGER]}]}, "routes[0].matchers: must be a list", id="no-matchers"),
        pytest.param({"routes": [{"matchers": []}]}, "routes[0].matchers: must be a list of one or more", id="empty"),
        pytest.param(
            {"routes": [{"matchers": ['a="1"', "severity critical"]}]},
            "routes[0].matchers[1]: 'severity critical' is not a matcher",
            id="bad-matcher-named-by-position",
        ),
        pytest.param(
            {"routes": [{"matchers": ['a="1"'], "receiver": "pager"}]},
            "routes[0]: unknown key 'receiver'",
            id="alertmanager-receiver",
        ),
        pytest.param(
            {"routes": [{"matchers": ['a="1"'], "alarmActions": ["pager"]}]},
            "routes[0].alarmActions: must be a list of ARNs",
            id="not-an-arn",
        ),
        pytest.param(
            {"default": {"okActions": [PAGER] * 6}}, "default.okActions: at most 5 ARNs", id="too-many-actions"
        ),
        pytest.param({"default": {"alarmAction": [PAGER]}}, "default: unknown key 'alarmAction'", id="misspelt-action"),
    ],
)
def test_a_malformed_table_is_refused_naming_the_route_and_key(table: Any, said: str) -> None:
    with pytest.raises(alert_routes.RoutesError) as refused:
        alert_routes.parse(table)
    assert said in str(refused.value)


def test_a_table_file_that_is_no_json_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    path.write_text("routes: [")
    with pytest.raises(alert_routes.RoutesError, match=r"routes\.json: Expecting value"):
        alert_routes.load(path)
    path.write_text(json.dumps(TABLE))
    assert len(alert_routes.load(path).routes) == 3
