"""The IIJmio and mineo replays (tests/carriers/) as one process, for a real Home Assistant.

``python -m tests.e2e.replay_server --port N`` serves IIJmio's member-site routes on 127.0.0.1
(the app API's paths answer 404, so the adapter falls back to the member site),
with the fixture's coupon months moved to this month and the next (so the data is current),
plus control routes the tests use:

- ``POST /_e2e/state``: ``{"logins": n, "password": ...}``;
- ``POST /_e2e/password`` ``{"password": "..."}``: the account's password changes and every
  session ends, as when the user changes the password on IIJmio's site;
- mineo's routes and its control routes (see ``add_mineo``).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.carriers.iijmio_replay import IijmioReplay
from tests.carriers.mineo_replay import MineoReplay
from tests.helpers import load_json_fixture

# The fixture (tests/fixtures/iijmio/member_top.json) is written for November 2025: coupons of
# 202511 (carried over, expiring this month) and 202512 (this month's allowance).
_FIXTURE_MONTHS = ("202511", "202512")


def current_member_top(now: datetime) -> Any:
    """The fixture's payload with its coupon months moved to ``now``'s month and the next."""
    next_index = now.year * 12 + now.month  # the month after now's, counted from year 0
    months = (f"{now:%Y%m}", f"{next_index // 12:04d}{next_index % 12 + 1:02d}")
    text = json.dumps(load_json_fixture("iijmio/member_top.json"), ensure_ascii=False)
    for old, new in zip(_FIXTURE_MONTHS, months, strict=True):
        text = text.replace(f'"{old}"', f'"{new}"')
    return json.loads(text)


def build_app(replay: IijmioReplay) -> web.Application:
    """The replay's routes plus the control routes."""
    app = replay.app()

    async def state(request: web.Request) -> web.Response:
        return web.json_response({"logins": replay.logins, "password": replay.password})

    async def password(request: web.Request) -> web.Response:
        replay.password = (await request.json())["password"]
        replay.sessions.clear()
        return web.json_response({"password": replay.password})

    app.router.add_post("/_e2e/state", state)
    app.router.add_post("/_e2e/password", password)
    return app


def add_mineo(app: web.Application, mineo: MineoReplay) -> None:
    """mineo's token endpoint and API on the same server, with their control routes.

    - ``POST /_e2e/mineo``: refresh-token uses, how many were distinct, spent ones reused;
    - ``POST /_e2e/mineo/expire``: every id_token handed out stops working (as after 24 h).
    """
    mineo.install(app)

    async def state(request: web.Request) -> web.Response:
        uses = mineo.refresh_uses
        return web.json_response(
            {"refresh_uses": len(uses), "distinct": len(set(uses)), "reused": mineo.reused}
        )

    async def expire(request: web.Request) -> web.Response:
        mineo.expire_id_tokens()
        return web.json_response({"expired": True})

    app.router.add_post("/_e2e/mineo", state)
    app.router.add_post("/_e2e/mineo/expire", expire)


def main() -> None:
    """Serve until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The app API stays off (404): the adapter falls back to the member site these tests drive.
    replay = IijmioReplay(
        top_payload=current_member_top(datetime.now(ZoneInfo("Asia/Tokyo"))), app_api=False
    )
    app = build_app(replay)
    add_mineo(app, MineoReplay())
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
