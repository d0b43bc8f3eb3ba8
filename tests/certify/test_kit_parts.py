"""The kit's sans-IO parts: signature diagnosis, answer reading, scenario selection and
running, and the report in JSON and JUnit XML."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest

from reelbridge.protocol import sign
from reelbridge.testing import certify
from reelbridge.testing.certify import Exchange, NotRun, Report, Result, Status
from reelbridge.testing.certify.runner import Evidence, Scenario, run_one, select
from reelbridge.testing.certify.signature import diagnose
from reelbridge.testing.certify.wallet_probe import read_answer, wallet_body

TOKEN = "token-of-the-kit-tests"
BODY = b'{"action":"bet","round_id":"a\\/b","amount":1.0}'


@pytest.mark.parametrize(
    ("header", "tokens", "ok", "reason"),
    [
        (sign(BODY, TOKEN), [TOKEN], True, "valid"),
        (sign(BODY, TOKEN).upper(), [TOKEN], True, "upper-case hex"),
        (None, [TOKEN], False, "no X-Sign header"),
        ("", [TOKEN], False, "no X-Sign header"),
        ("sha256=abc", [TOKEN], False, "not 64 hex digits"),
        (
            sign(b'{"action":"bet","round_id":"a/b","amount":1.0}', TOKEN),
            [TOKEN],
            False,
            "re-serialised JSON",
        ),
        (sign(BODY, "another-clients-token"), [TOKEN], False, "token of client other"),
        (sign(BODY, "nobodys-token"), [TOKEN], False, "does not match"),
        (sign(BODY, TOKEN), [], False, "unknown client id"),
    ],
)
def test_signature_diagnosis_names_the_mistake(
    header: str | None, tokens: list[str], ok: bool, reason: str
) -> None:
    check = diagnose(BODY, header, tokens, others={"other": ["another-clients-token"]})
    assert check.ok is ok
    assert reason in check.reason


def test_a_rotated_pair_of_tokens_both_verify() -> None:
    assert diagnose(BODY, sign(BODY, "new-token"), [TOKEN, "new-token"]).ok


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [
        (200, b'{"status":true,"balance":10.0001}', (100001, None, "", None)),
        (
            200,
            b'{"status":false,"code":"INSUFFICIENT_BALANCE","message":"no"}',
            (None, "INSUFFICIENT_BALANCE", "no", None),
        ),
        (200, b'{"status":true,"balance":"10.0"}', "not a JSON number"),
        (200, b'{"status":true,"balance":0.30000000000000004}', "not exact to 4 decimals"),
        (200, b'{"status":true,"balance":1e3}', "not exact to 4 decimals"),
        (200, b'{"status":true,"balance":-1.0}', "negative balance"),
        (200, b'{"status":false,"code":"NOPE","message":"x"}', "not one of the protocol's twelve"),
        (500, b'{"status":true,"balance":1.0}', "HTTP 500"),
        (200, b"<html>", "not JSON"),
        (200, b"[]", 'boolean "status"'),
        (None, b"", "no answer"),
    ],
)
def test_answers_are_read_strictly(status: int | None, content: bytes, expected: object) -> None:
    balance, code, message, problem = read_answer(status, content)
    if isinstance(expected, tuple):
        assert (balance, code, message, problem) == expected
    else:
        assert balance is None and problem is not None and str(expected) in problem


def test_wallet_bodies_keep_the_amount_text_verbatim() -> None:
    body = wallet_body(
        "bet",
        type="bet",
        session_id="s",
        amount="1.50000",
        transaction_id="t",
        round_id="r",
        game_id="g",
    )
    assert body == (
        b'{"action":"bet","type":"bet","session_id":"s","amount":1.50000,'
        b'"transaction_id":"t","round_id":"r","game_id":"g"}'
    )
    assert b'"amount":"1.5"' in wallet_body("bet", amount="1.5", quoted=True)


def _scenarios() -> list[Scenario[Evidence]]:
    async def run(check: Evidence) -> str:
        return "ok"

    names = ["B1_a", "B10_b", "B2_c", "A_d"]
    return [Scenario(name, "", run) for name in names]


@pytest.mark.parametrize(
    ("patterns", "chosen"),
    [
        ((), ["B1_a", "B10_b", "B2_c", "A_d"]),
        (("B1",), ["B1_a"]),
        (("B1*",), ["B1_a", "B10_b"]),
        (("A_d", "B2"), ["B2_c", "A_d"]),
        (("B10_",), ["B10_b"]),
    ],
)
def test_select_matches_rules_prefixes_and_globs(
    patterns: tuple[str, ...], chosen: list[str]
) -> None:
    assert [s.name for s in select(_scenarios(), patterns)] == chosen


def test_select_refuses_a_pattern_that_matches_nothing() -> None:
    with pytest.raises(ValueError, match="no scenario matches 'B99'"):
        select(_scenarios(), ["B99"])


EXCHANGE = Exchange(
    "POST", "http://w/wallet/c", '{"action":"bet"}', {"X-Sign": "ab"}, 200, '{"status":true}'
)


async def _fails(check: Evidence) -> str:
    check.decided(EXCHANGE)
    check.fail("the bet was applied twice")


async def _skips(check: Evidence) -> str:
    raise NotRun("needs the admin API")


async def _crashes(check: Evidence) -> str:
    raise KeyError("oops")


async def _hangs(check: Evidence) -> str:
    await asyncio.sleep(5)
    return "never"


async def _passes(check: Evidence) -> str:
    check.decided(EXCHANGE, key=True)
    check.decided(Exchange("POST", "http://w", "cleanup"))
    return "as the rule says"


@pytest.mark.parametrize(
    ("run", "status", "reason", "shown"),
    [
        (_passes, Status.PASS, "as the rule says", [EXCHANGE]),
        (_fails, Status.FAIL, "the bet was applied twice", [EXCHANGE]),
        (_skips, Status.NOT_RUN, "needs the admin API", []),
        (_crashes, Status.FAIL, "the kit failed: KeyError", []),
        (_hangs, Status.FAIL, "did not finish within 0.05 s", []),
    ],
)
def test_run_one_turns_every_ending_into_a_result(
    run: object, status: Status, reason: str, shown: list[Exchange]
) -> None:
    scenario = Scenario("B9_x", "checks x", run)  # type: ignore[arg-type]
    result = asyncio.run(run_one(scenario, Evidence(), limit=0.05))
    assert (result.status, list(result.exchanges)) == (status, shown)
    assert reason in result.reason


def _report() -> Report:
    results = (
        Result("B1_ok", "checks one", Status.PASS, "fine", (EXCHANGE,), 0.5),
        Result("B9_bad", "checks two", Status.FAIL, "applied \x00twice", (EXCHANGE,), 0.25),
        Result("B8_skip", "checks three", Status.NOT_RUN, "needs --admin-url"),
        Result("B5_load", "load", Status.PASS, "fast", metrics={"req/s": "900"}),
    )
    return Report("wallet", "http://w/wallet/c", results, "2026-01-01T00:00:00+00:00", 1.0)


def test_junit_xml_has_a_testcase_per_scenario_with_failures_and_skips() -> None:
    suite = ET.fromstring(_report().to_junit())
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["B1_ok", "B9_bad", "B8_skip", "B5_load"]
    failure = cases["B9_bad"].find("failure")
    assert failure is not None and failure.get("message") == "applied \\x00twice"
    assert '{"action":"bet"}' in (failure.text or "")
    skipped = cases["B8_skip"].find("skipped")
    assert skipped is not None and skipped.get("message") == "needs --admin-url"
    assert (
        cases["B1_ok"].find("failure") is None
        and cases["B1_ok"].get("classname") == "certify.wallet.B1"
    )
    assert "req/s: 900" in (cases["B5_load"].findtext("system-out") or "")


def test_json_report_carries_verdicts_reasons_and_exchanges() -> None:
    data = json.loads(_report().dumps())
    assert data["summary"] == {"pass": 2, "fail": 1, "not run": 1}
    bad = data["results"][1]
    assert (bad["name"], bad["rule"], bad["status"]) == ("B9_bad", "B9", "fail")
    assert bad["exchanges"][0]["headers"] == {"X-Sign": "ab"}
    assert bad["exchanges"][0]["response"] == '{"status":true}'
    assert _report().failed


def test_the_kits_public_surface_is_curated() -> None:
    assert len(set(certify.__all__)) == len(certify.__all__)
    assert all(hasattr(certify, name) for name in certify.__all__)
    public = {
        n
        for n, v in vars(certify).items()
        if not n.startswith("_") and not isinstance(v, type(certify))
    }
    assert public == set(certify.__all__)
