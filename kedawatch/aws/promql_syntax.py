"""PromQL queries checked before they are sent to CloudWatch: the one place a query is parsed.

The parser is promql-parser (GreptimeDB's PromQL parser in Rust, a port of Prometheus's grammar, bound for
Python). It reports a message and no position: its Rust `parse` drops the spanned errors of its LR parser and
returns a string, so the position is nowhere to be had, and none is made up here.

Two limits keep a hostile query from harming the process that parses it: the parser holds the GIL for a time
that grows with the square of a query's nesting (0.2 s at 2,048 characters, 13 s at 16,000), and overflows its
stack, killing the process, at 4,500 levels (`1` and 4,500 times `+1`: 9,001 characters). Queries are therefore
at most `MAX_LENGTH` characters, checked before parsing; scaling queries are a few hundred.
"""

from __future__ import annotations

import promql_parser

__all__ = ["MAX_LENGTH", "instant_query_problem"]

MAX_LENGTH = 2048


def instant_query_problem(query: str) -> str | None:
    """What is wrong with `query` as an instant query whose answer has one number per series, or None."""
    if len(query) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters, not {len(query)}"
    try:
        parsed = promql_parser.parse(query)
    except ValueError as exc:
        return f"is not valid PromQL: {exc}"
    return _kind_problem(parsed)


def _kind_problem(expression: promql_parser.Expr) -> str | None:
    """Range vectors and strings have no value to scale on; every other expression is an instant vector or a
    scalar (no function returns a range vector)."""
    while isinstance(expression, promql_parser.ParenExpr):
        expression = expression.expr
    if isinstance(expression, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        return (
            "is a range vector (a [range] selector or a subquery), which has no single value at an instant: "
            "take a function of it, e.g. rate(...[5m]) or max_over_time(...[5m])"
        )
    if isinstance(expression, promql_parser.StringLiteral):
        return "is a string literal, which is no number"
    return None
