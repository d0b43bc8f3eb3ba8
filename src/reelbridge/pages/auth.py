"""Logins, CSRF tokens and flash messages of the server-rendered pages, in cookies.

Theory of operation. A login is a cookie the server signed (HMAC-SHA256 with a key
derived from the side's admin token, so every worker process accepts it and rotating
the admin token logs everyone out): ``{"who", "nonce", "until"}``. It is ``HttpOnly``
(no script reads it) and ``SameSite=Strict`` (no other site's page sends it). Every form
carries a CSRF token, the HMAC of the login's nonce: only a page this server rendered
for that login knows it, so a request without the cookie, or without the token, changes
nothing. Forms of pages without a login (the lobby) use an anonymous cookie with a nonce
the same way. A flash message ("deposited 10.00 EUR") rides in a signed cookie from a
form's redirect to the next page, which clears it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reelbridge.pages.forms import CsrfError, Form, foreign_origin

US = 1_000_000


def derive_key(admin_token: str, purpose: str) -> bytes:
    """A signing key for ``purpose`` derived from a side's admin token."""
    label = f"reelbridge pages: {purpose}".encode()
    return hmac.new(admin_token.encode(), label, "sha256").digest()


class Signer:
    """Signs small JSON values into cookie-safe text, and checks them back."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, data: bytes) -> str:
        digest = hmac.new(self._key, data, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, value: dict[str, Any]) -> str:
        """``value`` as ``payload.mac`` (URL- and cookie-safe)."""
        data = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode())
        text = data.decode().rstrip("=")
        return f"{text}.{self._mac(text.encode())}"

    def unsign(self, text: str | None) -> dict[str, Any] | None:
        """The value, or None if the text was not signed by this key (or is garbage)."""
        if not text or "." not in text or len(text) > 4096:
            return None
        payload, _, mac = text.rpartition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload.encode()).encode()):
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, UnicodeDecodeError):
            return None
        return value if isinstance(value, dict) else None

    def token(self, nonce: str) -> str:
        """The CSRF token of a nonce."""
        return self._mac(b"csrf:" + nonce.encode())


@dataclass(frozen=True)
class Login:
    """A logged-in person: who (for the audit log), the nonce of their CSRF token."""

    who: str
    nonce: str
    until: int
    csrf: str


class Guard:
    """Login cookie, CSRF check and flash messages of one area (back office, console,
    lobby), under its own cookie name so that two areas on one host never mix."""

    def __init__(
        self,
        *,
        key: bytes,
        cookie: str,
        clock: Callable[[], int],
        ttl_seconds: int = 8 * 3600,
        path: str = "/",
    ) -> None:
        self._signer = Signer(key)
        self.cookie = cookie
        self._clock = clock
        self._ttl = ttl_seconds
        self._path = path

    @property
    def signer(self) -> Signer:
        """The area's signer (for signed links)."""
        return self._signer

    # -- login --------------------------------------------------------------------

    def current(self, request: Request, *, anonymous: bool = False) -> Login | None:
        """The login of this request, or None (no cookie, forged, or expired; an
        anonymous one counts only when ``anonymous`` is true)."""
        value = self._signer.unsign(request.cookies.get(self.cookie))
        if value is None:
            return None
        who, nonce, until = value.get("who"), value.get("nonce"), value.get("until")
        if not (isinstance(who, str) and isinstance(nonce, str) and isinstance(until, int)):
            return None
        if until <= self._clock() or (not who and not anonymous):
            return None
        return Login(who, nonce, until, self._signer.token(nonce))

    def log_in(self, response: Response, request: Request, who: str) -> None:
        """Set the login cookie of ``who`` on ``response``."""
        until = self._clock() + self._ttl * US
        value = self._signer.sign({"who": who, "nonce": secrets.token_urlsafe(18), "until": until})
        self._set(response, request, self.cookie, value, self._ttl)

    def log_out(self, response: Response) -> None:
        """Clear the login cookie."""
        response.delete_cookie(self.cookie, path=self._path, httponly=True, samesite="strict")

    def anonymous(self, request: Request, response: Response) -> Login:
        """The visitor's anonymous login (created on ``response`` if missing): pages
        without a login use its CSRF token."""
        found = self.current(request, anonymous=True)
        if found is not None:
            return found
        until = self._clock() + self._ttl * US
        nonce = secrets.token_urlsafe(18)
        self._set(
            response,
            request,
            self.cookie,
            self._signer.sign({"who": "", "nonce": nonce, "until": until}),
            self._ttl,
        )
        return Login("", nonce, until, self._signer.token(nonce))

    def check(self, request: Request, form: Form, *, anonymous: bool = False) -> Login:
        """The login that sent ``form`` (``anonymous``: a visitor's is enough).

        Raises:
            CsrfError: no login cookie (or an expired one), a missing or wrong CSRF
                token, or a form sent from another site.
        """
        login = self.current(request, anonymous=anonymous)
        if login is None and anonymous:
            raise CsrfError(
                "this form expired or came from another site: reload the page and retry"
            )
        if login is None:
            raise CsrfError("you are not logged in (or your login expired): log in and retry")
        if not hmac.compare_digest(form.get("csrf").encode(), login.csrf.encode()):
            raise CsrfError(
                "this form expired or came from another site: reload the page and retry"
            )
        origin = request.headers.get("origin")
        if foreign_origin(origin, request.headers.get("host")):
            raise CsrfError(f"a form from {str(origin)[:100]} is not accepted here")
        return login

    # -- flash messages -----------------------------------------------------------

    def flash(self, response: Response, request: Request, text: str, kind: str = "ok") -> None:
        """Show ``text`` on the next page (``kind``: ``ok`` or ``error``)."""
        self._set(
            response, request, self.cookie + "_flash", self._signer.sign({"t": text, "k": kind}), 60
        )

    def flash_of(self, request: Request) -> tuple[str, str] | None:
        """The flash message for this page, if any (``clear_flash`` it on the answer)."""
        value = self._signer.unsign(request.cookies.get(self.cookie + "_flash"))
        if value is None or not isinstance(value.get("t"), str):
            return None
        return str(value["t"]), "error" if value.get("k") == "error" else "ok"

    def clear_flash(self, request: Request, response: Response) -> None:
        """Drop a shown flash message."""
        if self.cookie + "_flash" in request.cookies:
            response.delete_cookie(
                self.cookie + "_flash", path=self._path, httponly=True, samesite="strict"
            )

    def _set(self, response: Response, request: Request, name: str, value: str, age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=age,
            path=self._path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
