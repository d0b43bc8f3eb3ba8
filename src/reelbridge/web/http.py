"""HTTP plumbing shared by both sides' JSON APIs (admin APIs, the game API).

One place turns ``AdminError`` (and storage failures) into JSON error responses, so a
bad request never becomes a 500 or a traceback.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from reelbridge.protocol import MAX_BODY_BYTES, ProtocolError, WrongInput
from reelbridge.storage import Engine, StorageError
from reelbridge.storage.listing import MAX_LIMIT, FilterError, Listing
from reelbridge.web.errors import AdminError, BadRequest, NotFound, Unauthorized

log = logging.getLogger("reelbridge.web")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_T = TypeVar("_T")
Handler = Callable[[Request], Awaitable[Any]]


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the body, refusing (without reading on) anything over ``limit`` bytes.

    Raises:
        WrongInput: the body is larger than ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (
        not (declared.isascii() and declared.isdigit()) or int(declared) > limit
    ):
        raise WrongInput(message=f"Body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WrongInput(message=f"Body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request, kind: type[_T], *, optional: bool = False) -> _T:
    """Decode the request body strictly as ``kind``.

    Raises:
        BadRequest: too large, not JSON, or not of the expected shape.
    """
    try:
        body = await read_body(request)
    except ProtocolError as error:
        raise BadRequest(error.message) from None
    if optional and not body.strip():
        body = b"{}"
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest(f"invalid request body: {exc}"[:300]) from None


def int_param(raw: str, name: str, low: int, high: int) -> int:
    """An integer query parameter within bounds, or ``BadRequest``."""
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def check_bearer(request: Request, token: bytes) -> None:
    """Require ``Authorization: Bearer <token>`` (constant-time comparison)."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token):
        raise Unauthorized("missing or wrong bearer token")


def error_response(error: AdminError) -> JSONResponse:
    """The JSON body and status of an admin or game API error."""
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message}}, status_code=error.status
    )


Translate = Callable[[Exception], AdminError | None]
"""Maps a side's domain error to its HTTP error (None: not one of that side's errors)."""


def json_endpoint(
    handler: Handler, *, bearer: bytes | None = None, translate: Translate | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler returning JSON data: auth, then errors as JSON, never a 500 page.

    ``translate`` turns the side's domain errors into HTTP errors (one boundary).
    """

    async def endpoint(request: Request) -> Response:
        try:
            if bearer is not None:
                check_bearer(request, bearer)
            if any(_CONTROL.search(str(v)) for v in request.path_params.values()):
                raise NotFound("not found")  # no id of ours contains a control character
            result = await handler(request)
        except AdminError as error:
            return error_response(error)
        except ClientDisconnect:
            raise  # nobody to answer: counted, not an error (observability.RequestContext)
        except ProtocolError as error:
            return error_response(BadRequest(error.message))
        except StorageError as error:
            log.error("request failed: %s", error)
            return JSONResponse(
                {"error": {"code": "unavailable", "message": "database unavailable"}},
                status_code=503,
            )
        except Exception as error:
            mapped = None if translate is None else translate(error)
            if mapped is not None:
                return error_response(mapped)
            log.exception("request failed: %s %s", request.method, request.url.path)
            return JSONResponse(
                {"error": {"code": "internal", "message": "internal error (logged)"}},
                status_code=500,
            )
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return endpoint


def list_handler(
    engine: Engine, spec: Listing, *, read_path: bool = False, key: bytes | None = None
) -> Handler:
    """A GET handler serving one listing: filters from the query, limit/offset paging.

    ``read_path``: query through ``Engine.read`` (never queued behind the writer);
    ``key``: of the token fingerprints (``storage.audit.fingerprint``).
    """

    async def handler(request: Request) -> Any:
        params = dict(request.query_params)
        return await list_page(engine, spec, params, read_path=read_path, key=key)

    return handler


async def list_page(
    engine: Engine,
    spec: Listing,
    params: dict[str, str],
    *,
    read_path: bool = False,
    key: bytes | None = None,
) -> dict[str, Any]:
    """One page of a listing from query parameters (filters, ``limit``, ``offset``)."""
    limit = int_param(params.pop("limit", "50"), "limit", 1, MAX_LIMIT)
    offset = int_param(params.pop("offset", "0"), "offset", 0, 10**9)
    if any(_CONTROL.search(v) for v in params.values()):
        raise BadRequest("filter values may not contain control characters")
    unknown = set(params) - set(spec.filters)
    if unknown:
        raise BadRequest(f"unknown filter(s) {sorted(unknown)}; allowed: {sorted(spec.filters)}")
    try:
        query = engine.read if read_path else engine.run
        items = await query(lambda: spec.rows(params, limit, offset, key=key))
    except FilterError as exc:
        raise BadRequest(str(exc)) from None
    return {
        "items": items,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(items) == limit else None,
    }
