"""AWS's rules for a GetMetricData `MetricDataQueries` list, in one place: parse, validate, rewrite. No I/O.

A list is written as the AWS CLI writes it, in PascalCase: `Id`, `Expression`, `MetricStat {Metric {Namespace,
MetricName, Dimensions [{Name, Value}]}, Period, Stat, Unit}`, `Label`, `ReturnData`, `Period`, `AccountId`.
`validate` checks it as GetMetricData does and reports every problem at once as plain `Problem` data, which
the scaler (PascalCase keys) and the operator (camelCase fields) each turn into their own messages.
`rewrite` then prefixes every id so that many lists can share one call of up to 500 queries.

Matched against, 2026-12: the API reference of GetMetricData, MetricDataQuery and MetricStat and botocore's
model of them (Id 1-255 characters, `^[a-z][a-zA-Z0-9_]*$`, unique in a call; MetricStat XOR Expression;
Expression 1-2048 characters; no length is stated for Label; Period 1, 5, 10, 20, 30, 60 or a multiple of
60; Namespace not starting with `:`; 30 dimensions, names 1-255 and values 1-1024 ASCII characters; at most
500 queries, and at most one Metrics Insights query, a call); the user guide's "Metric math syntax and
functions" (functions are upper case and ids start lower case; `METRICS()` returns every metric of the
request, math expressions excluded, and `METRICS("s")` those whose Id contains `s`) and "Search expression
syntax" (quoted strings, backslash escapes). Stricter than AWS in two places, both said where they apply:
`AccountId` must be 12 digits (AWS's model allows any 1-255 characters), and `METRICS(...)` must match at
least one metric of the list (matching none would return an empty array, which the rewrite cannot scope).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from kedawatch.aws import names, vocabulary

__all__ = [
    "Problem",
    "RewriteError",
    "depends_on",
    "is_insights",
    "parse",
    "references",
    "returned",
    "rewrite",
    "trigger_prefix",
    "validate",
]

MAX_QUERIES = vocabulary.MAX_QUERIES
MAX_ID = 255
MAX_EXPRESSION = 2048
MAX_DIMENSIONS = 30
ID_PATTERN = r"^[a-z][a-zA-Z0-9_]*$"
_ID = re.compile(ID_PATTERN)
_MAX_SHOWN = 80

_FIELDS = {
    (): ("Id", "MetricStat", "Expression", "Label", "ReturnData", "Period", "AccountId"),
    ("MetricStat",): ("Metric", "Period", "Stat", "Unit"),
    ("MetricStat", "Metric"): ("Namespace", "MetricName", "Dimensions"),
    ("MetricStat", "Metric", "Dimensions"): ("Name", "Value"),
}
"""Every field AWS knows at each level of a query; botocore refuses others."""

Path = tuple[int | str, ...]


@dataclasses.dataclass(frozen=True)
class Problem:
    """One bad item: where (`(1, "MetricStat", "Period")`; `()` is the list), the value given as text
    (None when missing) and what is expected."""

    path: Path
    value: str | None
    reason: str

    def key(self, root: str = "metricDataQueries", camel: bool = False) -> str:
        """`metricDataQueries[1].MetricStat.Period`; with `camel`, the operator's `...metricStat.period`."""
        text = root
        for part in self.path:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                text += "." + (part[:1].lower() + part[1:] if camel else part)
        return text

    def message(self, root: str = "metricDataQueries", camel: bool = False) -> str:
        """As the scaler's metadata problems read: `metricDataQueries[1].Id='M1': must start with ...`."""
        key = self.key(root, camel)
        if self.value is None:
            return f"{key} {self.reason}"
        shown = self.value if len(self.value) <= _MAX_SHOWN else self.value[:_MAX_SHOWN] + "..."
        return f"{key}={shown!r}: {self.reason}"

    def __str__(self) -> str:
        return self.message()


def parse(text: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The list in `text`, JSON or YAML, and every problem with it (the list is empty when there are any)."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            reason = " ".join(str(exc).split())
            return [], [Problem((), _shown(text), f"is neither JSON nor YAML: {reason}")]
    problems = validate(data)
    return ([] if problems else list(data)), problems


def validate(queries: Any) -> list[Problem]:
    """Every problem GetMetricData would find in `queries`, and the rules kedawatch adds to them."""
    if not isinstance(queries, list):
        return [Problem((), _shown(queries), "must be a list of MetricDataQuery objects, as GetMetricData takes")]
    if not 1 <= len(queries) <= MAX_QUERIES:
        return [Problem((), None, f"must hold 1 to {MAX_QUERIES} queries, not {len(queries)}")]
    problems: list[Problem] = []
    for index, query in enumerate(queries):
        problems += _query(index, query)
    well_formed = [(index, q) for index, q in enumerate(queries) if isinstance(q, Mapping)]
    problems += _unique_ids(well_formed)
    problems += _references(well_formed)
    problems += _one_returned(well_formed)
    problems += _one_insights(well_formed)
    return problems


def _query(index: int, query: Any) -> list[Problem]:
    if not isinstance(query, Mapping):
        return [Problem((index,), _shown(query), "must be a MetricDataQuery object")]
    problems = _unknown((index,), (), query)
    problems += _text((index, "Id"), query.get("Id", _MISSING), 1, MAX_ID, required=True)
    query_id = query.get("Id")
    if isinstance(query_id, str) and query_id and not _ID.match(query_id):
        reason = "must start with a lower-case letter and hold only letters, digits and underscores"
        problems.append(Problem((index, "Id"), query_id, reason))
    has_stat, has_expression = "MetricStat" in query, "Expression" in query
    if has_stat == has_expression:
        which = "both MetricStat and Expression" if has_stat else "neither MetricStat nor Expression"
        problems.append(Problem((index,), None, f"has {which}: give exactly one"))
    if has_expression:
        problems += _text((index, "Expression"), query["Expression"], 1, MAX_EXPRESSION)
    if has_stat:
        problems += _metric_stat((index, "MetricStat"), query["MetricStat"])
    if "Label" in query:
        problems += _text((index, "Label"), query["Label"], 0, None)
    if "ReturnData" in query and not isinstance(query["ReturnData"], bool):
        problems.append(Problem((index, "ReturnData"), _shown(query["ReturnData"]), "must be true or false"))
    if "Period" in query:
        problems += _period((index, "Period"), query["Period"])
    if "AccountId" in query:
        account = query["AccountId"]
        wrong = names.account_id_problem(account) if isinstance(account, str) else names.MESSAGES[names.ACCOUNT_ID]
        if wrong:
            problems.append(Problem((index, "AccountId"), _shown(account), wrong))
    return problems


def _metric_stat(path: Path, stat: Any) -> list[Problem]:
    if not isinstance(stat, Mapping):
        return [Problem(path, _shown(stat), "must be an object: {Metric, Period, Stat, Unit}")]
    problems = _unknown(path, ("MetricStat",), stat)
    problems += _metric((*path, "Metric"), stat.get("Metric", _MISSING))
    if "Period" not in stat:
        problems.append(Problem((*path, "Period"), None, "is required"))
    else:
        problems += _period((*path, "Period"), stat["Period"])
    problems += _text((*path, "Stat"), stat.get("Stat", _MISSING), 1, None, required=True)
    name = stat.get("Stat")
    if isinstance(name, str) and name and (reason := vocabulary.statistic_problem(name)):
        problems.append(Problem((*path, "Stat"), name, reason))
    if "Unit" in stat and stat["Unit"] not in vocabulary.STANDARD_UNITS:
        problems.append(Problem((*path, "Unit"), _shown(stat["Unit"]), "must be a CloudWatch standard unit"))
    return problems


def _metric(path: Path, metric: Any) -> list[Problem]:
    if metric is _MISSING:
        return [Problem(path, None, "is required")]
    if not isinstance(metric, Mapping):
        return [Problem(path, _shown(metric), "must be an object: {Namespace, MetricName, Dimensions}")]
    problems = _unknown(path, ("MetricStat", "Metric"), metric)
    problems += _text((*path, "Namespace"), metric.get("Namespace", _MISSING), 1, 255, required=True)
    namespace = metric.get("Namespace")
    if isinstance(namespace, str) and namespace.startswith(":"):
        problems.append(Problem((*path, "Namespace"), namespace, "must not start with a colon"))
    problems += _text((*path, "MetricName"), metric.get("MetricName", _MISSING), 1, 255, required=True)
    dimensions = metric.get("Dimensions", [])
    if not isinstance(dimensions, list):
        return [*problems, Problem((*path, "Dimensions"), _shown(dimensions), "must be a list of {Name, Value}")]
    if len(dimensions) > MAX_DIMENSIONS:
        reason = f"has {len(dimensions)} dimensions: a metric has at most {MAX_DIMENSIONS}"
        problems.append(Problem((*path, "Dimensions"), None, reason))
    for index, dimension in enumerate(dimensions):
        problems += _dimension((*path, "Dimensions", index), dimension)
    return problems


def _dimension(path: Path, dimension: Any) -> list[Problem]:
    if not isinstance(dimension, Mapping):
        return [Problem(path, _shown(dimension), "must be an object: {Name, Value}")]
    problems = _unknown(path, ("MetricStat", "Metric", "Dimensions"), dimension)
    for key, longest in (("Name", 255), ("Value", 1024)):
        value = dimension.get(key, _MISSING)
        found = _text((*path, key), value, 1, longest, required=True)
        if not found and isinstance(value, str):
            found = _dimension_text((*path, key), value, colon=key == "Name")
        problems += found
    return problems


def _dimension_text(path: Path, value: str, colon: bool) -> list[Problem]:
    if not value.isascii() or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return [Problem(path, value, "must hold only printable ASCII characters")]
    if not value.strip():
        return [Problem(path, value, "must hold a character that is not white space")]
    if colon and value.startswith(":"):
        return [Problem(path, value, "must not start with a colon")]
    return []


def _unknown(path: Path, level: tuple[str, ...], value: Mapping[Any, Any]) -> list[Problem]:
    """Keys AWS does not know, with a hint when only their case is wrong (`id` for `Id`)."""
    known = _FIELDS[level]
    by_lower = {field.lower(): field for field in known}
    owner = level[-1] if level else "MetricDataQuery"
    problems = []
    for key in value:
        if key in known:
            continue
        text = str(key)
        if text.lower() in by_lower:
            hint = f"keys are PascalCase, as the AWS CLI writes them: {by_lower[text.lower()]}"
        else:
            hint = f"known: {', '.join(known)}"
        problems.append(Problem((*path, text), None, f"is not a field of {owner}; {hint}"))
    return problems


def _text(path: Path, value: Any, shortest: int, longest: int | None, required: bool = False) -> list[Problem]:
    if value is _MISSING:
        return [Problem(path, None, "is required")] if required else []
    if not isinstance(value, str):
        return [Problem(path, _shown(value), "must be a string")]
    if len(value) < shortest:
        return [Problem(path, value, "must not be empty")]
    if longest is not None and len(value) > longest:
        return [Problem(path, f"<{len(value)} characters>", f"must be at most {longest} characters")]
    return []


def _period(path: Path, value: Any) -> list[Problem]:
    if not isinstance(value, int) or isinstance(value, bool):
        return [Problem(path, _shown(value), "must be a whole number of seconds")]
    reason = vocabulary.metric_period_problem(value)
    return [Problem(path, str(value), reason)] if reason else []


def _unique_ids(queries: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for index, query in queries:
        query_id = query.get("Id")
        if not isinstance(query_id, str):
            continue
        if query_id in first:
            reason = f"repeats the Id of metricDataQueries[{first[query_id]}]: ids must be unique"
            problems.append(Problem((index, "Id"), query_id, reason))
        else:
            first[query_id] = index
    return problems


def _one_returned(queries: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    ids = [_name(index, query) for index, query in queries if query.get("ReturnData", True) is True]
    if len(ids) == 1:
        return []
    if not ids:
        return [Problem((), None, "returns no data: set ReturnData true on the one query to scale on")]
    reason = (
        f"must return exactly one query's data, not {len(ids)} ({', '.join(ids)}: ReturnData true or omitted);"
        " set ReturnData false on all but the one to scale on"
    )
    return [Problem((), None, reason)]


def _name(index: int, query: Mapping[str, Any]) -> str:
    query_id = query.get("Id")
    return query_id if isinstance(query_id, str) else f"metricDataQueries[{index}]"


def _one_insights(queries: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    found = [index for index, query in queries if is_insights(_expression(query) or "")]
    reason = f"is a second Metrics Insights query (the first is metricDataQueries[{found[0] if found else 0}]):"
    return [Problem((index, "Expression"), None, reason + " GetMetricData takes one a call") for index in found[1:]]


# Expressions: just enough of metric math's syntax to find the ids it names. Every function and keyword is
# upper case and every id starts with a lower-case letter, so a name is an id exactly when its first letter
# is lower case; quoted strings (SEARCH's terms, METRICS' filter, LAMBDA's name) hold no ids.

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


class _Unterminated(ValueError):
    pass


def _tokens(expression: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(expression):
        kind = match.lastgroup or "other"
        if kind == "space":
            continue
        if kind == "other" and match.group() in "'\"":
            raise _Unterminated(f"has a string that does not end (from character {match.start() + 1})")
        tokens.append(_Token(kind, match.group(), match.start(), match.end()))
    return tokens


def is_insights(expression: str) -> bool:
    """A Metrics Insights query (`SELECT ...`) rather than metric math: it names no ids."""
    words = expression.split(None, 1)
    return bool(words) and words[0].upper() == "SELECT"


def references(expression: str) -> frozenset[str]:
    """The ids a metric math expression names (none for a Metrics Insights query), METRICS() not expanded;
    raises ValueError for a string that does not end."""
    if is_insights(expression):
        return frozenset()
    return frozenset(token.text for token in _tokens(expression) if _is_id(token))


def _is_id(token: _Token) -> bool:
    return token.kind == "name" and token.text[0].islower()


@dataclasses.dataclass(frozen=True)
class _MetricsCall:
    """`METRICS()` or `METRICS("s")` spanning tokens[first:last + 1]."""

    first: int
    last: int
    filter: str | None


def _metrics_calls(tokens: Sequence[_Token]) -> list[_MetricsCall]:
    """Every METRICS call; raises ValueError for one whose argument is not a quoted string."""
    calls = []
    for index, token in enumerate(tokens):
        if token.kind != "name" or token.text != "METRICS":
            continue
        texts = [t.text for t in tokens[index + 1 : index + 4]]
        if texts[:2] == ["(", ")"]:
            calls.append(_MetricsCall(index, index + 2, None))
        elif len(texts) == 3 and texts[0] == "(" and tokens[index + 2].kind == "string" and texts[2] == ")":
            inner = re.sub(r"\\(.)", r"\1", texts[1][1:-1])
            calls.append(_MetricsCall(index, index + 3, inner))
        else:
            raise ValueError("calls METRICS with something other than nothing or one quoted string")
    return calls


def _expression(query: Mapping[str, Any]) -> str | None:
    value = query.get("Expression")
    return value if isinstance(value, str) and value else None


def _metric_ids(queries: Sequence[Mapping[str, Any]]) -> list[str]:
    """What METRICS() returns: the MetricStat queries, in the list's order (math expressions excluded)."""
    return [str(query["Id"]) for query in queries if "MetricStat" in query and isinstance(query.get("Id"), str)]


def _matched(call: _MetricsCall, metric_ids: Sequence[str]) -> list[str]:
    return [m for m in metric_ids if call.filter is None or call.filter in m]


def _references(queries: list[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    ids = {query["Id"] for _, query in queries if isinstance(query.get("Id"), str)}
    metric_ids = _metric_ids([query for _, query in queries])
    graph: dict[str, frozenset[str]] = {}
    problems = []
    for index, query in queries:
        expression = _expression(query)
        if expression is None or is_insights(expression):
            continue
        path, shown = (index, "Expression"), _shown(expression)
        try:
            tokens = _tokens(expression)
            calls = _metrics_calls(tokens)
        except ValueError as exc:
            problems.append(Problem(path, shown, str(exc)))
            continue
        named = {t.text for t in tokens if _is_id(t)}
        for call in calls:
            if not _matched(call, metric_ids):
                what = "METRICS()" if call.filter is None else f"METRICS({call.filter!r})"
                reason = f"{what} matches no MetricStat query of this list, so it cannot be scoped to it"
                problems.append(Problem(path, shown, reason))
        problems += _unknown_ids(path, shown, tokens, ids, query.get("Id"))
        if isinstance(query.get("Id"), str):
            graph[query["Id"]] = frozenset(named & ids - {query["Id"]})
    return problems + _cycles(queries, graph)


def _unknown_ids(path: Path, shown: str | None, tokens: Sequence[_Token], ids: set[str], own: Any) -> list[Problem]:
    problems = []
    for position, token in enumerate(tokens):
        if not _is_id(token):
            continue
        calls_it = position + 1 < len(tokens) and tokens[position + 1].text == "("
        if calls_it:
            reason = f"calls {token.text}(...): function names are upper case ({token.text.upper()})"
        elif token.text == own:
            reason = f"names its own Id {token.text}"
        elif token.text not in ids:
            reason = f"names {token.text}, which is no query's Id"
        else:
            continue
        problems.append(Problem(path, shown, reason))
    return problems


def _cycles(queries: list[tuple[int, Mapping[str, Any]]], graph: Mapping[str, frozenset[str]]) -> list[Problem]:
    """Expressions that reach themselves through others (`e1 -> e2 -> e1`), each cycle reported once."""
    index_of = {query["Id"]: index for index, query in queries if isinstance(query.get("Id"), str)}
    done: set[str] = set()
    problems = []
    for start in graph:
        cycle = [] if start in done else _cycle_from(start, graph, done)
        if cycle:
            done.update(cycle)
            reason = "is circular: " + " -> ".join(cycle)
            problems.append(Problem((index_of[cycle[0]], "Expression"), None, reason))
    return problems


def _cycle_from(start: str, graph: Mapping[str, frozenset[str]], done: set[str]) -> list[str]:
    trail: list[str] = []
    stack: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
    trail.append(start)
    while stack:
        node, pending = stack[-1]
        if not pending:
            stack.pop()
            trail.pop()
            done.add(node)
            continue
        following = pending.pop()
        if following in trail:
            return [*trail[trail.index(following) :], following]
        if following not in done:
            stack.append((following, sorted(graph.get(following, ()))))
            trail.append(following)
    return []


def returned(queries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The one query of a valid list whose data GetMetricData returns."""
    (query,) = [q for q in queries if q.get("ReturnData", True) is True]
    return query


def depends_on(queries: Sequence[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Each id of a valid list -> the ids its expression needs, METRICS(...) expanded."""
    metric_ids = _metric_ids(queries)
    needs = {}
    for query in queries:
        expression = _expression(query)
        named: set[str] = set()
        if expression is not None and not is_insights(expression):
            tokens = _tokens(expression)
            named = {t.text for t in tokens if _is_id(t)}
            for call in _metrics_calls(tokens):
                named.update(_matched(call, metric_ids))
        needs[str(query["Id"])] = frozenset(named)
    return needs


def trigger_prefix(index: int) -> str:
    """`t{index}_`: prefixes of this form never make one trigger's id equal another's (the digits end at
    the underscore, so no prefix begins another), nor the hub's own `kw{n}` ids."""
    return f"t{index}_"


class RewriteError(ValueError):
    """A list that cannot be rewritten: invalid, or pushed over AWS's lengths by the prefix."""


@dataclasses.dataclass(frozen=True)
class Rewritten:
    """A list ready to share a GetMetricData call, and the way back to the trigger's own ids."""

    queries: list[dict[str, Any]]
    returned_id: str
    """The rewritten id of the one query whose data is returned: the trigger's value."""
    originals: dict[str, str]
    """Rewritten id -> the trigger's own id."""
    insights: bool
    """The list holds a Metrics Insights query: GetMetricData takes one such query a call, so the caller
    must not put two of these lists in one call (AWS would refuse the whole call)."""

    def original_id(self, rewritten_id: str) -> str:
        return self.originals[rewritten_id]


def rewrite(queries: Sequence[Mapping[str, Any]], prefix: str) -> Rewritten:
    """`queries` with every id prefixed, for a GetMetricData call shared with other triggers' lists.

    References in expressions are prefixed too. `METRICS()` and `METRICS("s")` read the whole request, so
    in a shared call they would return other triggers' metrics: each is replaced by the explicit array of
    this list's own MetricStat ids it matches, in the list's order (`[t1_m1, t1_m2]`), matched on the
    trigger's own ids as AWS would match them in a call of its own. That is the one function whose meaning
    depends on the whole request; every other name in metric math is an upper-case function or keyword, and
    ids inside quoted strings (SEARCH terms) are not ids. A Metrics Insights query names no ids and is kept
    as it is (see `Rewritten.insights`). Labels are kept: CloudWatch's default label of an unlabelled
    expression will show the prefixed ids, which changes nothing but that label.

    Refused with RewriteError: an invalid list; a prefix that is no id start; and a list whose prefixed ids
    (over 255 characters) or expanded expressions (over 2048) AWS would refuse. Prefixes used in one call
    must be prefix-free, as `trigger_prefix` makes them, or two triggers' ids could still meet.
    """
    if not _ID.match(prefix):
        raise RewriteError(f"prefix {prefix!r} must start with a lower-case letter and hold only letters, digits, _")
    if problems := validate(list(queries)):
        raise RewriteError("cannot rewrite an invalid list: " + "; ".join(str(p) for p in problems))
    mapping = {str(q["Id"]): prefix + str(q["Id"]) for q in queries}
    metric_ids = _metric_ids(queries)
    rewritten = []
    for query in queries:
        new = copy.deepcopy(dict(query))
        new["Id"] = mapping[str(query["Id"])]
        if len(new["Id"]) > MAX_ID:
            raise RewriteError(f"Id {query['Id']!r} prefixed with {prefix!r} is over AWS's {MAX_ID} characters")
        expression = _expression(query)
        if expression is not None and not is_insights(expression):
            new["Expression"] = _rewrite_expression(expression, mapping, metric_ids)
            if len(new["Expression"]) > MAX_EXPRESSION:
                reason = f"would be {len(new['Expression'])} characters rewritten, over AWS's {MAX_EXPRESSION}"
                raise RewriteError(f"the Expression of {query['Id']!r} {reason}")
        rewritten.append(new)
    returned_id = mapping[str(returned(queries)["Id"])]
    insights = any(is_insights(e) for q in queries if (e := _expression(q)) is not None)
    return Rewritten(rewritten, returned_id, {new: old for old, new in mapping.items()}, insights)


def _rewrite_expression(expression: str, mapping: Mapping[str, str], metric_ids: Sequence[str]) -> str:
    tokens = _tokens(expression)
    calls = {call.first: call for call in _metrics_calls(tokens)}
    pieces, copied, position = [], 0, 0
    while position < len(tokens):
        token = tokens[position]
        if position in calls:
            call = calls[position]
            replacement = "[" + ", ".join(mapping[m] for m in _matched(call, metric_ids)) + "]"
            pieces += [expression[copied : token.start], replacement]
            copied, position = tokens[call.last].end, call.last + 1
            continue
        if _is_id(token):
            pieces += [expression[copied : token.start], mapping[token.text]]
            copied = token.end
        position += 1
    pieces.append(expression[copied:])
    return "".join(pieces)


_MISSING: Any = object()


def _shown(value: Any) -> str | None:
    if value is _MISSING:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
