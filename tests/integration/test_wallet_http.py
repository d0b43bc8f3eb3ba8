"""The wallet endpoint's HTTP edges (it is a raw ASGI app ahead of Starlette's routing)."""

from __future__ import annotations

import httpx
import pytest

from .support import Aggregator, body, post_signed, wire

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", ["/wallet/", "/wallet/a/b"])
def test_a_wallet_path_without_one_client_id_is_not_found(
    aggregator: Aggregator, path: str
) -> None:
    response = httpx.post(f"{aggregator.base_url}{path}", content=b"{}")
    assert response.status_code == 404


def test_the_wallet_answers_post_only(aggregator: Aggregator) -> None:
    response = httpx.get(f"{aggregator.base_url}/wallet/some-client")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_other_routes_still_go_through_starlette(aggregator: Aggregator) -> None:
    assert httpx.get(f"{aggregator.base_url}/health").json()["status"] == "ok"
    assert httpx.get(f"{aggregator.base_url}/wallets").status_code == 404


async def test_a_signed_call_answers_json_with_its_length(aggregator: Aggregator) -> None:
    player = aggregator.new_player(balance="12.5")
    raw = body(action="balance", session_id=player.session_id)
    async with httpx.AsyncClient() as http:
        response = await post_signed(
            http, aggregator.base_url, player.client_id, raw, token=player.token
        )
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert wire(response) == {"status": True, "balance": 12.5}
