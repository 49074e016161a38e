"""Every AWS API call of kedawatch is made through `call` (or its pages read through `pages`): the one place
where botocore's exceptions become `errors.AwsError`, which names the operation that failed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

from kedawatch.aws import errors

__all__ = ["call", "pages"]

P = ParamSpec("P")
T = TypeVar("T")


def call(method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`method(...)`, a boto3 client's method; any failure raised as `errors.AwsError`."""
    try:
        return method(*args, **kwargs)
    except Exception as exc:
        raise errors.translate(exc, _operation(method)) from exc


def pages(iterator: Iterable[T], operation: str) -> Iterator[T]:
    """A paginator's pages (each one a call of `operation`); any failure raised as `errors.AwsError`."""
    try:
        yield from iterator
    except Exception as exc:
        raise errors.translate(exc, operation) from exc


def _operation(method: Callable[..., Any]) -> str:
    """AWS's name of a client method's operation (`put_metric_alarm` is PutMetricAlarm)."""
    client = getattr(method, "__self__", None)
    mapping = getattr(getattr(client, "meta", None), "method_to_api_mapping", {})
    name = getattr(method, "__name__", "")
    return str(mapping.get(name, name))
