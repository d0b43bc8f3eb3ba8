"""The client's files and the game definition it draws from, over plain HTTP (no
browser): the page's security headers, the static route's allow-list and revalidation,
and the paytable fields of the state answer.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from e2e.support import running_casino


def test_the_client_files_are_served_with_their_types_and_nothing_else(tmp_path: Path) -> None:
    with running_casino(tmp_path) as casino, httpx.Client(base_url=casino.provider_url) as http:
        page = http.get(casino.launch_demo("classic-7s").removeprefix(casino.provider_url))
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
        script = http.get("/game/static/main.js")
        assert script.status_code == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        again = http.get("/game/static/main.js", headers={"If-None-Match": script.headers["etag"]})
        assert again.status_code == 304
        assert http.get("/game/static/game.css").headers["content-type"].startswith("text/css")
        for name in ("..%2Fgame_api.py", ".hidden.js", "missing.js", "game.html", "MAIN.JS"):
            assert http.get(f"/game/static/{name}").status_code == 404, name


@pytest.mark.parametrize(
    ("game_id", "symbols", "feature"),
    [
        ("book-of-reels", 11, {"awards": [[3, 10], [4, 10], [5, 10]], "multiplier": 3}),
        ("classic-7s", 7, None),
    ],
)
def test_the_state_answer_carries_the_paytable(
    tmp_path: Path, game_id: str, symbols: int, feature: object
) -> None:
    with running_casino(tmp_path) as casino, httpx.Client() as http:
        token = casino.launch_demo(game_id).rsplit("/", 1)[1]
        state = http.get(f"{casino.provider_url}/game/api/{token}/state").json()
        game = state["game"]
        assert len(game["symbols"]) == symbols
        assert game["free_games"] == feature
        assert {s["kind"] for s in game["symbols"]} <= {"line", "wild", "scatter"}
        kinds = {s["name"]: s for s in game["symbols"]}
        if game_id == "book-of-reels":
            assert kinds["BOOK"] == {
                "name": "BOOK",
                "kind": "scatter",
                "pays": [[3, 2], [4, 20], [5, 200]],
            }
            assert kinds["WILD"]["kind"] == "wild"
        else:
            assert kinds["SEVEN"] == {"name": "SEVEN", "kind": "line", "pays": [[3, 500]]}
