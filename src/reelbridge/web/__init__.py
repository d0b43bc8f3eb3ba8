"""Shared HTTP plumbing for the JSON APIs of both sides."""

from reelbridge.web.errors import AdminError, BadRequest, Conflict, NotFound, Unauthorized
from reelbridge.web.http import (
    check_bearer,
    error_response,
    int_param,
    json_body,
    json_endpoint,
    list_handler,
    read_body,
)

__all__ = [
    "AdminError",
    "BadRequest",
    "Conflict",
    "NotFound",
    "Unauthorized",
    "check_bearer",
    "error_response",
    "int_param",
    "json_body",
    "json_endpoint",
    "list_handler",
    "read_body",
]
