"""From an HTTP request to the alarm service and back: decode, check, answer, in the request's protocol.

The counting proxy asks `answer` first; None means the request is not the alarm service's and goes on to moto.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from kedawatch.aws import wire
from kedawatch.standins.alarms import service

__all__ = ["answer"]

logger = logging.getLogger(__name__)

_APIS = {api.target: api for api in map(wire.service, service.OPERATIONS)}


def answer(alarms: service.AlarmService, path: str, headers: Mapping[str, str], body: bytes) -> wire.Answer | None:
    request = wire.recognise(path, headers, body)
    api = _APIS.get(request.target)
    if api is None or not alarms.serves(api.name, request.operation):
        return None
    try:
        result = alarms.handle(request.operation, api.decode(request, body), request.region, request.access_key)
        return None if result is None else api.answer(request, result)
    except wire.Refusal as refusal:
        return api.refuse(request, refusal)
    except Exception as exc:  # a fault of the stand-in's own: say so to the test, as a 500 it can read
        logger.exception("the alarm service failed on %s", request.operation)
        return api.refuse(request, wire.Refusal("InternalFailure", f"the alarm stand-in failed: {exc!r}", 500))
