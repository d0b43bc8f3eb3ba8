"""Errors of the admin and game HTTP surfaces (protocol endpoints speak wire codes).

Each side's domain errors are translated into these at its HTTP boundary (a
``translate`` function given to ``json_endpoint``); domain code never raises them.

Exception tree::

    AdminError           an admin request that cannot be carried out (HTTP 4xx)
     ├── BadRequest      malformed or invalid input                       400
     ├── Unauthorized    missing or wrong bearer token                    401
     ├── NotFound        the named client, player or session is unknown   404
     └── Conflict        the request contradicts what is stored           409
"""

from __future__ import annotations


class AdminError(Exception):
    """An admin request that was refused; nothing was changed."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        super().__init__(message)


class BadRequest(AdminError):
    """Malformed or invalid input."""


class Unauthorized(AdminError):
    """Missing or wrong bearer token."""

    status = 401
    code = "unauthorized"


class NotFound(AdminError):
    """An unknown client, player or session."""

    status = 404
    code = "not_found"


class Conflict(AdminError):
    """The request contradicts stored state (e.g. a reused reference)."""

    status = 409
    code = "conflict"
