"""Pages of a sorted listing and the opaque tokens that resume it, as CloudWatch and the tagging API page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from kedawatch.aws import wire

__all__ = ["page"]

T = TypeVar("T")


def page(
    items: Sequence[T],
    key: Callable[[T], str],
    size: int,
    token: str | None,
    scope: str,
    refusal: str,
    cost: Callable[[T], int] = lambda _: 1,
) -> tuple[list[T], str | None]:
    """`items` (sorted by `key`) after the one `token` names, as many as cost `size` in all (at least one), and
    the token of the next page.

    A token is valid for the listing (`scope`) that issued it only; a bad one is refused with AWS's code for it,
    `refusal` (InvalidNextToken in CloudWatch, InvalidParameterException in the tagging API). The token names the
    last key returned rather than a position, so that alarms created or deleted between pages do not shift it.
    """
    ordered = sorted(items, key=key)
    if token:
        after = _resumed(token, scope, refusal)
        ordered = [item for item in ordered if key(item) > after]
    chosen: list[T] = []
    spent = 0
    for item in ordered:
        spent += cost(item)
        if chosen and spent > size:
            break
        chosen.append(item)
    more = len(ordered) > len(chosen)
    return chosen, (_token(scope, key(chosen[-1])) if more else None)


def _token(scope: str, last: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([scope, last]).encode()).decode()


def _resumed(token: str, scope: str, refusal: str) -> str:
    try:
        issued_for, last = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise wire.Refusal(refusal, f"the token {token!r} is invalid") from exc
    if issued_for != scope or not isinstance(last, str):
        raise wire.Refusal(refusal, f"the token {token!r} is invalid")
    return last
