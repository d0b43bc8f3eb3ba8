"""Structured logs: one JSON object per line, each with the request id it belongs to.

A request id comes with the request (``X-Request-Id``, kept if it is a short printable
token) or is made up; it is answered back in the same header, set in a context variable
for the request's task, and added to every record logged while serving it. The
provider sends the id of the request that caused a wallet call (a spin) — or a fresh
one (a resend by the relay) — with that call, and the wallet logs it: one id follows a
wallet call across both services.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
from typing import Any

REQUEST_ID_HEADER = "x-request-id"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_ACCEPTED = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def new_request_id() -> str:
    """A fresh request id (64 random bits, hex)."""
    return os.urandom(8).hex()


def accepted_request_id(raw: bytes | None) -> str:
    """The caller's id if it is a short printable token, else a fresh one."""
    if raw is not None and _ACCEPTED.fullmatch(raw):
        return raw.decode()
    return new_request_id()


def current_request_id() -> str:
    """The id of the request being served by this task ("" outside a request)."""
    return _request_id.get()


def set_request_id(request_id: str) -> contextvars.Token[str]:
    """Make ``request_id`` the current one (for this task and what it awaits)."""
    return _request_id.set(request_id)


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", …extra, "exc"}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            data["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in data:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For people: time, level, logger, message, then ``key=value`` extras."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = [
            f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD and k != "color"
        ]
        request_id = _request_id.get()
        if request_id and "request_id" not in record.__dict__:
            extras.insert(0, f"request_id={request_id}")
        return base + ("  " + " ".join(extras) if extras else "")


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for a server process (uvicorn applies it in each
    worker): every logger, uvicorn's included, to standard error in ``fmt``."""
    formatter = "reelbridge.observability.logs." + (
        "JsonFormatter" if fmt == "json" else "TextFormatter"
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "main": {"()": formatter, "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"}
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level.upper()},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level.upper()},
            # we write our own access lines (with the request id); uvicorn's are off
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        },
    }
