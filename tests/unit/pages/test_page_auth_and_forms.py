"""The pages' signed cookies, CSRF tokens and form fields (sans-IO parts)."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from reelbridge.pages import CsrfError, Form, FormError, Guard, Signer, derive_key
from reelbridge.pages.forms import foreign_origin

NOW = 1_750_000_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


def request(cookies: dict[str, str] | None = None, **headers: str) -> Request:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    if cookies:
        raw.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    raw.append((b"host", b"casino.example"))
    scope = {"type": "http", "method": "POST", "path": "/", "headers": raw, "scheme": "http",
             "server": ("casino.example", 80), "query_string": b""}  # fmt: skip
    return Request(scope)


def set_cookies(response: Response) -> dict[str, str]:
    out = {}
    for key, value in response.raw_headers:
        if key == b"set-cookie":
            name, _, rest = value.decode().partition("=")
            out[name] = rest.split(";")[0]
    return out


def logged_in(guard: Guard, who: str = "ana") -> dict[str, str]:
    response = Response()
    guard.log_in(response, request(), who)
    return set_cookies(response)


def test_a_signed_value_comes_back_and_a_forged_one_does_not() -> None:
    signer = Signer(derive_key("admin-token-1", "backoffice"))
    text = signer.sign({"who": "ana", "n": 1})
    assert signer.unsign(text) == {"who": "ana", "n": 1}
    payload, _, mac = text.rpartition(".")
    assert signer.unsign(payload + "." + mac[::-1]) is None
    assert (
        signer.unsign(Signer(derive_key("admin-token-2", "backoffice")).sign({"who": "ana"}))
        is None
    )
    assert signer.unsign("garbage") is None and signer.unsign(None) is None


def test_keys_differ_by_purpose_so_one_area_cannot_use_anothers_cookie() -> None:
    assert derive_key("t", "backoffice") != derive_key("t", "console")
    assert derive_key("t", "lobby") != derive_key("u", "lobby")


def test_the_login_cookie_is_httponly_samesite_strict_and_expires() -> None:
    clock = Clock()
    guard = Guard(key=b"k" * 32, cookie="rb_bo", clock=clock, ttl_seconds=60)
    response = Response()
    guard.log_in(response, request(), "ana")
    header = dict(response.raw_headers)[b"set-cookie"].decode().lower()
    assert "httponly" in header and "samesite=strict" in header
    cookies = set_cookies(response)
    login = guard.current(request(cookies))
    assert login is not None and login.who == "ana" and login.csrf
    clock.now += 61 * 1_000_000
    assert guard.current(request(cookies)) is None


def test_a_form_needs_the_login_and_its_csrf_token() -> None:
    guard = Guard(key=b"k" * 32, cookie="rb_bo", clock=Clock())
    cookies = logged_in(guard)
    login = guard.current(request(cookies))
    assert login is not None
    assert guard.check(request(cookies), Form(f"csrf={login.csrf}")).who == "ana"
    with pytest.raises(CsrfError, match="not logged in"):
        guard.check(request(), Form(f"csrf={login.csrf}"))
    with pytest.raises(CsrfError, match="expired or came from another site"):
        guard.check(request(cookies), Form("csrf=forged"))
    with pytest.raises(CsrfError, match="expired or came from another site"):
        guard.check(request(cookies), Form(""))
    with pytest.raises(CsrfError, match=r"evil\.example"):
        guard.check(request(cookies, origin="https://evil.example"), Form(f"csrf={login.csrf}"))


def test_an_anonymous_visitor_is_not_a_login() -> None:
    guard = Guard(key=b"k" * 32, cookie="rb_lobby", clock=Clock())
    response = Response()
    visitor = guard.anonymous(request(), response)
    cookies = set_cookies(response)
    assert guard.current(request(cookies)) is None
    form = Form(f"csrf={visitor.csrf}")
    assert guard.check(request(cookies), form, anonymous=True).who == ""
    with pytest.raises(CsrfError):
        guard.check(request(cookies), form)


def test_foreign_origin_compares_the_host_and_ignores_an_opaque_origin() -> None:
    assert foreign_origin("https://evil.example", "casino.example")
    assert not foreign_origin("http://casino.example", "casino.example")
    assert not foreign_origin("null", "casino.example")
    assert not foreign_origin(None, "casino.example")


@pytest.mark.parametrize(
    ("text", "units"),
    [("25", 250000), ("25.50", 255000), ("1,000.0001", 10000001), ("0.0001", 1)],
)
def test_an_amount_field_is_exact(text: str, units: int) -> None:
    assert Form(f"a={text}").amount("a", "Amount") == units


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is required"),
        ("abc", "not an amount"),
        ("1.23456", "not an amount"),
        ("1e3", "not an amount"),
        ("-5", "more than zero"),
        ("0", "more than zero"),
        ("99999999999999999999", "not an amount"),
    ],
)
def test_a_bad_amount_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(FormError, match=message):
        Form(f"a={text}").amount("a", "Amount")


def test_dates_are_utc_days_and_bad_ones_are_refused() -> None:
    form = Form("f=2026-01-31&t=2026-01-31&x=31.01.2026")
    start, end = form.day("f", "From"), form.day("t", "To", end=True)
    assert start is not None and end is not None and end - start == 86_400 * 1_000_000
    assert form.day("none", "From") is None
    with pytest.raises(FormError, match="a date like"):
        form.day("x", "X")


def test_text_fields_refuse_control_characters_and_enforce_required() -> None:
    assert Form("r=bank+transfer").text("r", "Reason", required=True) == "bank transfer"
    with pytest.raises(FormError, match="Reason is required"):
        Form("r=").text("r", "Reason", required=True)
    with pytest.raises(FormError, match="printable"):
        Form("r=a%00b").text("r", "Reason")
    with pytest.raises(FormError, match="one of"):
        Form("k=steal").choice("k", "Operation", ("deposit", "withdrawal"))


@pytest.mark.parametrize("package", ["reelbridge.aggregator", "reelbridge.provider"])
def test_every_template_compiles(package: str) -> None:
    from reelbridge.pages import Pages

    guard = Guard(key=b"k" * 32, cookie="c", clock=Clock())
    names = Pages(package=package, area="a", title="t", guard=guard).compile_all()
    assert "layout.html" in names and len(names) > 8
