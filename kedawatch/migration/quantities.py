"""Kubernetes `resource.Quantity` text (`500m`, `1k`, `2Gi`, `1e3`) as exact decimal numbers. No I/O.

The grammar is apimachinery's (`pkg/api/resource/quantity.go`): a signed decimal number, then a binary SI
suffix (Ki ... Ei), a decimal SI suffix (n, u, m, none, k, M, G, T, P, E) or a decimal exponent (e3, E-2).
A YAML number (`30`, `0.5`) is a quantity too, as the API server reads it.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

__all__ = ["parse", "plain"]

_QUANTITY = re.compile(r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))(?P<suffix>[KMGTPE]i|[eE][+-]?\d+|[numkMGTPE]?)$")
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse(value: Any) -> decimal.Decimal:
    """The quantity's exact value; raises ValueError naming what a quantity looks like."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a quantity such as 30, 500m or 1k")
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError("must be a quantity such as 30, 500m or 1k")
    number, suffix = decimal.Decimal(match["number"]), match["suffix"]
    if suffix in _BINARY:
        return number * decimal.Decimal(1024) ** _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return number.scaleb(int(suffix[1:]))
    return number.scaleb(_DECIMAL[suffix])


def plain(value: decimal.Decimal) -> str:
    """A decimal number as plain digits, no exponent: `0.5`, `1000`."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
