"""Provider scenarios of the aggregator-facing endpoints (Part A; B1, B3, B17, B18)."""

from __future__ import annotations

import json
import time

from reelbridge.protocol import parse_amount_text, sign
from reelbridge.protocol.money import AmountError
from reelbridge.testing.certify.provider_check import RETURN_URL, ProviderCheck
from reelbridge.testing.certify.provider_probe import Reply
from reelbridge.testing.certify.provider_scenarios import provider
from reelbridge.testing.certify.runner import NotRun
from reelbridge.testing.certify.wallet_probe import Number

WRONG = "WRONG_INPUT_PARAMETERS"


def _offered(check: ProviderCheck, name: str) -> None:
    if check.target.endpoint_url(name) is None:
        raise NotRun(f"the provider does not offer {name} (see --endpoints)")


def _url(check: ProviderCheck, reply: Reply, what: str) -> str:
    url = reply.data.get("url") if reply.data is not None else None
    check.check(
        reply.problem is None and isinstance(url, str) and url.startswith(("http://", "https://")),
        f'{what}: expected {{"url": "http…"}}, got {reply.describe()}',
        reply.exchange,
    )
    assert isinstance(url, str)
    return url


def _error(check: ProviderCheck, reply: Reply, codes: tuple[str, ...], what: str) -> None:
    """Fail unless ``reply`` is a valid error answer with one of ``codes`` (any if empty)."""
    ok = reply.problem is None and reply.error is not None and (not codes or reply.error in codes)
    wanted = " or ".join(codes) or "an error answer"
    check.check(ok, f"{what}: expected {wanted}, got {reply.describe()}", reply.exchange)
    check.decided(reply.exchange, key=True)


def _demo(check: ProviderCheck, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "client_id": check.target.client_id,
        "game_id": check.target.game_id,
        "language": check.target.language,
        "return_url": RETURN_URL,
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


@provider("A_demo_url_answers_a_launch_url")
async def demo_url(check: ProviderCheck) -> str:
    """A signed demo-url call answers {"url": …}."""
    _offered(check, "demo-url")
    url = _url(check, await check.http.call("demo-url", **_demo(check)), "demo-url")
    return f"launch URL {url[:80]}"


@provider("A_game_url_answers_a_launch_url")
async def game_url(check: ProviderCheck) -> str:
    """A signed game-url call for the kit's session answers a URL."""
    _offered(check, "game-url")
    try:
        url = await check.run.launch_url()
    except NotRun as exc:
        exchange = check.run.launch_exchange
        check.fail(exc.reason, *([exchange] if exchange else []))
    if check.run.launch_exchange is not None:
        check.decided(check.run.launch_exchange, key=True)
    return f"launch URL {url[:80]}"


@provider("B1_provider_refuses_a_wrong_or_missing_signature")
async def bad_signature(check: ProviderCheck) -> str:
    """Wrong token, no X-Sign: INVALID_SIGN."""
    _offered(check, "demo-url")
    body = json.dumps(_demo(check), separators=(",", ":")).encode()
    wrong = await check.http.post(
        "demo-url", body, signature=sign(body, f"not-{check.target.token}")
    )
    _error(check, wrong, ("INVALID_SIGN",), "demo-url signed with a wrong token")
    missing = await check.http.post("demo-url", body, signature=None, note="no X-Sign header")
    _error(check, missing, ("INVALID_SIGN",), "demo-url without X-Sign")
    return "both refused with INVALID_SIGN"


@provider("B1_provider_verifies_php_escaped_bodies")
async def php_body(check: ProviderCheck) -> str:
    """A body with \\/ and \\uXXXX escapes verifies."""
    _offered(check, "demo-url")
    body = json.dumps(
        _demo(check, return_url="https://casino.example/lobby/é"), separators=(",", ":")
    )
    escaped = body.replace("/", "\\/").encode()  # json.dumps already wrote é as \u00e9
    reply = await check.http.post("demo-url", escaped, note="bytes as PHP json_encode writes them")
    _url(check, reply, "demo-url with PHP escapes")
    check.decided(reply.exchange, key=True)
    return "verified over the escaped bytes"


@provider("B3_provider_refuses_bad_input")
async def bad_input(check: ProviderCheck) -> str:
    """Not JSON, a missing or mistyped field: WRONG_INPUT_PARAMETERS."""
    _offered(check, "demo-url")
    # Without JSON there is no client_id to find the token by: INVALID_SIGN is fair too.
    cases = [
        ("a body that is not JSON", b"client_id=x&game_id=y", (WRONG, "INVALID_SIGN")),
        ("demo-url without game_id", json.dumps(_demo(check, game_id=None)).encode(), (WRONG,)),
        (
            "demo-url whose game_id is a number",
            json.dumps(_demo(check, game_id=7)).encode(),
            (WRONG,),
        ),
    ]
    for what, body, codes in cases:
        _error(check, await check.http.post("demo-url", body, note=what), codes, what)
    unknown = await check.http.call(
        "demo-url", **_demo(check, game_id=check.new_id("no-such-game"))
    )
    _error(check, unknown, (), "demo-url of an unknown game")
    return f"{len(cases)} refused; an unknown game answered {unknown.error}"


@provider("B18_jackpots_answer_exact_amounts")
async def jackpots(check: ProviderCheck) -> str:
    """Jackpots: status true, amounts as numbers of ≤ 4 decimals."""
    _offered(check, "jackpots")
    reply = await check.http.call("jackpots", client_id=check.target.client_id)
    data = reply.data or {}
    pools = data.get("jackpots")
    check.check(
        reply.problem is None and data.get("status") is True and isinstance(pools, list),
        f'expected {{"status": true, "jackpots": [...]}}, got {reply.describe()}',
        reply.exchange,
    )
    assert isinstance(pools, list)
    for pool in pools:
        amount = pool.get("amount") if isinstance(pool, dict) else None
        try:
            exact = isinstance(amount, Number) and parse_amount_text(amount) >= 0
        except AmountError:
            exact = False
        check.check(
            exact and isinstance(pool.get("name"), str) and isinstance(pool.get("currency"), str),
            f"jackpot {pool!r}: needs a name, a currency and an exact amount (B5)",
            reply.exchange,
        )
    check.decided(reply.exchange, key=True)
    return f"{len(pools)} pools, every amount exact"


def _campaign(check: ProviderCheck, campaign_id: str) -> dict[str, object]:
    now = int(time.time())
    return {
        "client_id": check.target.client_id,
        "game_id": check.target.game_id,
        "player_id": f"certify-{check.run.run_id}-freespins-player",
        "campaign_id": campaign_id,
        "currency": check.target.currency,
        "quantity": 5,
        "valid_from": now - 60,
        "valid_until": now + 3600,
        "bet_id": 0,
    }


@provider("B17_freespins_create_is_idempotent")
async def create_twice(check: ProviderCheck) -> str:
    """The same campaign created twice gets one new_campaign_id."""
    _offered(check, "freespins-create")
    fields = _campaign(check, check.new_id("campaign"))
    first, again = [await check.http.call("freespins-create", **fields) for _ in range(2)]
    ids = []
    for reply in (first, again):
        data = reply.data or {}
        check.check(
            reply.problem is None
            and data.get("status") is True
            and isinstance(data.get("new_campaign_id"), str),
            f'expected {{"status": true, "new_campaign_id": …}}, got {reply.describe()}',
            reply.exchange,
        )
        ids.append(data["new_campaign_id"])
    check.check(
        ids[0] == ids[1],
        f"the repeat created another campaign: {ids[0]} then {ids[1]}",
        again.exchange,
    )
    check.decided(first.exchange, again.exchange, key=True)
    if check.target.endpoint_url("freespins-cancel") is not None:  # leave nothing playable behind
        await check.http.call(
            "freespins-cancel", client_id=check.target.client_id, campaign_id=fields["campaign_id"]
        )
    return f"both answered {ids[0]}"


@provider("B17_freespins_cancel_twice_succeeds")
async def cancel_twice(check: ProviderCheck) -> str:
    """Cancelling a campaign twice answers status true twice."""
    _offered(check, "freespins-create")
    _offered(check, "freespins-cancel")
    campaign = check.new_id("campaign")
    created = await check.http.call("freespins-create", **_campaign(check, campaign))
    check.check(
        created.error is None and created.problem is None,
        f"create: {created.describe()}",
        created.exchange,
    )
    for n in (1, 2):
        reply = await check.http.call(
            "freespins-cancel", client_id=check.target.client_id, campaign_id=campaign
        )
        ok = reply.problem is None and (reply.data or {}).get("status") is True
        check.check(
            ok, f'cancel {n}: expected {{"status": true}}, got {reply.describe()}', reply.exchange
        )
        check.decided(reply.exchange, key=True)
    return "both cancels succeeded"


@provider("B17_freespins_cancel_of_an_unknown_campaign_is_wrong_input")
async def cancel_unknown(check: ProviderCheck) -> str:
    """Cancel of an unknown campaign is refused."""
    _offered(check, "freespins-cancel")
    reply = await check.http.call(
        "freespins-cancel",
        client_id=check.target.client_id,
        campaign_id=check.new_id("no-such-campaign"),
    )
    _error(check, reply, (WRONG,), "cancel of an unknown campaign")
    return f"refused with {WRONG}"
