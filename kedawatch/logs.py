"""Logging set-up shared by both components: plain text for people, one JSON object per line for pipelines."""

from __future__ import annotations

import datetime
import json
import logging

from kedawatch import settings

__all__ = ["configure"]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(log_settings: settings.LogSettings) -> None:
    handler = logging.StreamHandler()
    if log_settings.json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=log_settings.level.upper(), handlers=[handler], force=True)
    logging.getLogger("botocore").setLevel(max(logging.WARNING, logging.getLogger().level))
