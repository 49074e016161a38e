"""PromQL queries checked before they are sent to CloudWatch: the one place a query is parsed.

The parser is promql-parser (GreptimeDB's PromQL parser in Rust, a port of Prometheus's grammar, bound for
Python). It reports a message and no position: its Rust `parse` drops the spanned errors of its LR parser and
returns a string, so the position is nowhere to be had, and none is made up here.

Two limits keep a hostile query from harming the process that parses it: the parser holds the GIL for a time
that grows with the square of a query's nesting (0.2 s at 2,048 characters, 13 s at 16,000), and overflows its
stack, killing the process, at 4,500 levels (`1` and 4,500 times `+1`: 9,001 characters). Queries are therefore
at most `MAX_LENGTH` characters, checked before parsing; scaling queries are a few hundred, and so are alarms'
(CloudWatch takes 10,000 characters for those: kedawatch parses no more than this).

A scaling query needs one number (an instant vector or a scalar); an alarm's must answer an instant vector, each
of whose series is one contributor, as CloudWatch's PromQL alarms take it.
"""

from __future__ import annotations

import promql_parser

__all__ = ["MAX_LENGTH", "instant_query_problem", "vector_query_problem"]

MAX_LENGTH = 2048
_RANGE = (
    "is a range vector (a [range] selector or a subquery), which has no single value at an instant: "
    "take a function of it, e.g. rate(...[5m]) or max_over_time(...[5m])"
)
_TYPES = (
    (promql_parser.ValueType.Scalar, "scalar"),
    (promql_parser.ValueType.Vector, "vector"),
    (promql_parser.ValueType.Matrix, "matrix"),
    (promql_parser.ValueType.String, "string"),
)
"""The parser's value types (which are not hashable) by their names."""
_NOT_A_VECTOR = (
    "not an instant vector: an alarm's query answers the series that breach, e.g. "
    "sum by (service) (rate(errors[5m])) > 5 (vector(...) makes a number a vector)"
)
_NO_NUMBER = {"matrix": _RANGE, "string": "is a string literal, which is no number"}
"""What a scaling query may not answer, and why."""
_NO_VECTOR = {"matrix": _RANGE, "string": f"is a string, {_NOT_A_VECTOR}", "scalar": f"is a scalar, {_NOT_A_VECTOR}"}
"""What an alarm's query may not answer, and why."""


def instant_query_problem(query: str) -> str | None:
    """What is wrong with `query` as an instant query whose answer has one number per series, or None."""
    return _problem(query, _NO_NUMBER)


def vector_query_problem(query: str) -> str | None:
    """What is wrong with `query` as an alarm's query, whose answer must be an instant vector (each series one
    contributor that breaches), or None."""
    return _problem(query, _NO_VECTOR)


def _problem(query: str, refused: dict[str, str]) -> str | None:
    """The parser's refusal, or what `refused` says of the kind of answer the query has."""
    expression, problem = _parsed(query)
    return problem if expression is None else refused.get(_value_type(expression))


def _parsed(query: str) -> tuple[promql_parser.Expr | None, str | None]:
    if len(query) > MAX_LENGTH:
        return None, f"must be at most {MAX_LENGTH} characters, not {len(query)}"
    try:
        return promql_parser.parse(query), None
    except ValueError as exc:
        return None, f"is not valid PromQL: {exc}"


def _value_type(expression: promql_parser.Expr) -> str:
    """What the expression answers, by Prometheus's typing: a number literal is a scalar, a function answers its
    declared type, an operator a vector when any operand is one; no function answers a range vector.

    Walks operators with a stack, not recursion: a query of `MAX_LENGTH` characters nests a thousand deep.
    """
    pending, operands, operator = [expression], set(), False
    while pending:
        node = pending.pop()
        while isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr):
            node = node.expr
        if isinstance(node, promql_parser.BinaryExpr):
            operator = True
            pending += [node.lhs, node.rhs]
        else:
            operands.add(_operand_type(node))
    if not operator:
        return operands.pop()
    return "vector" if "vector" in operands else "scalar"


def _operand_type(expression: promql_parser.Expr) -> str:
    if isinstance(expression, promql_parser.NumberLiteral):
        return "scalar"
    if isinstance(expression, promql_parser.StringLiteral):
        return "string"
    if isinstance(expression, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        return "matrix"
    if isinstance(expression, promql_parser.Call):
        return next(name for value_type, name in _TYPES if value_type == expression.func.return_type)
    return "vector"
