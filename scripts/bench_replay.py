"""The IIJmio replay scripts/bench.py polls: one account of N lines, requests counted by client.

Run by scripts/bench.py as ``bench_replay.py PORT LINES`` in a process of its own, so that
serving the answers is not counted in any Home Assistant process's CPU. tests/carriers/
iijmio_replay.py does the member site (logins, sessions, the app API refused with HTTP 505);
this adds accounts of up to 20 lines, figures that change at every answer or not, and the
counts.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_configs import LOGIN, PASSWORD, accounts, session  # noqa: E402

from tests.carriers.iijmio_replay import IijmioReplay  # noqa: E402
from tests.e2e.harness import ReplayProcess, RestClient, free_port, wait_for  # noqa: E402

TOKYO: Final = ZoneInfo("Asia/Tokyo")
REFUSED_APP_VERSION: Final = "0.0.0-bench"
"""The replay's app API wants this version: it answers the integration's with HTTP 505."""


def member_top(lines: range, version: int) -> dict[str, Any]:
    """/api/member/top for one account's ``lines``, each shaped as the fixture's first line.

    ``version`` moves every line's carried-over coupon (the month ending now), so a new
    version is a new remaining figure on every line, as a day of use brings. Lines are
    numbered across accounts (serviceCode, the phone number's last four digits).
    """
    from tests.e2e.replay_server import current_member_top  # noqa: PLC0415

    payload = current_member_top(datetime.now(TOKYO))
    template = payload["serviceInfoList"][0]
    carried = round(4.56 - (version % 400) / 100, 2)
    infos = []
    for line in lines:
        info = json.loads(json.dumps(template))
        info["serviceCode"] = f"hdc{line:08d}"
        info["phoneNo"] = f"090-0000-{line:04d}"
        info["couponData"][0]["couponValue"] = carried
        infos.append(info)
    return {**payload, "serviceInfoList": infos}


def client(request: web.Request) -> str:
    """Which configuration sent a request: the peers by their session cookies, else ours."""
    cookie = request.cookies.get("session", "")
    return next((k for k in ("rest", "peer") if cookie.startswith(f"bench-{k}-")), "ours")


class Accounts:
    """IIJmio's member site for ``lines`` lines on accounts of up to ACCOUNT_LINES.

    Each account is a replay of its own (its login, mioID and sessions); a request goes to
    the account its login or session cookie names, to the replay's own handlers. Requests are
    counted by client: the peers by their session cookies, anything else is the integration.
    """

    def __init__(self, lines: int) -> None:
        self.changing = False
        self.versions: dict[tuple[str, range], int] = {}
        """Per client and account: each sees its figures move by the same step at each poll."""
        self._client = "ours"
        self.counts: dict[str, dict[str, int]] = {"rest": {}, "peer": {}, "ours": {}}
        self.replays: list[IijmioReplay] = []
        for account, numbers in enumerate(accounts(lines)):
            replay = IijmioReplay(
                login_id=LOGIN.format(account=account),
                password=PASSWORD,
                account_mio_id=f"MA{account:07d}",
                top_payload=None,
                top_answer=self._top(numbers),
                app_version=REFUSED_APP_VERSION,
            )
            replay.sessions.update(session(kind, account) for kind in ("rest", "peer"))
            self.replays.append(replay)

    def _top(self, numbers: range) -> Callable[[], web.Response]:
        def answer() -> web.Response:
            key = (self._client, numbers)
            version = self.versions.get(key, 0) + (1 if self.changing else 0)
            self.versions[key] = version
            body = json.dumps(member_top(numbers, version), ensure_ascii=False)
            return web.Response(text=body, content_type="application/json")

        return answer

    def _by_session(self, request: web.Request) -> IijmioReplay:
        cookie = request.cookies.get("session")
        return next((r for r in self.replays if cookie in r.sessions), self.replays[0])

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        return await self.replays[0]._login_page(request)  # noqa: SLF001 - no account yet

    async def login(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()  # aiohttp keeps the body: _login reads it again
        login = body.get("mioId") if isinstance(body, dict) else None
        replay = next((r for r in self.replays if r.login_id == login), self.replays[0])
        return await replay._login(request)  # noqa: SLF001

    async def login_info(self, request: web.Request) -> web.StreamResponse:
        return await self._by_session(request)._login_info(request)  # noqa: SLF001

    async def member_top(self, request: web.Request) -> web.StreamResponse:
        # _top calls the answer before it awaits anything: the client is still this one's.
        self._client = client(request)
        return await self._by_session(request)._top(request)  # noqa: SLF001

    async def token(self, request: web.Request) -> web.StreamResponse:
        # The app version is refused (HTTP 505) before any account is looked at.
        return await self.replays[0]._token(request)  # noqa: SLF001

    @web.middleware
    async def count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/_bench/"):
            name = f"{request.method} {request.path}"
            counts = self.counts[client(request)]
            counts[name] = counts.get(name, 0) + 1
        answer: web.StreamResponse = await handler(request)
        return answer

    async def mode(self, request: web.Request) -> web.Response:
        self.changing = request.match_info["mode"] == "changing"
        return web.json_response({"changing": self.changing})

    async def get_counts(self, request: web.Request) -> web.Response:
        return web.json_response(self.counts)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.count])
        app.router.add_get("/auth/login/", self.login_page)
        app.router.add_post("/api/member/login", self.login)
        app.router.add_post("/api/front/loginInfo", self.login_info)
        app.router.add_post("/api/member/top", self.member_top)
        app.router.add_post("/token", self.token)
        app.router.add_post("/_bench/mode/{mode}", self.mode)
        app.router.add_get("/_bench/counts", self.get_counts)
        return app


def serve(port: int, lines: int) -> None:
    """Serve the accounts of ``lines`` lines on 127.0.0.1:``port`` until stopped."""
    web.run_app(Accounts(lines).app(), host="127.0.0.1", port=port, print=None, access_log=None)


def start_replay(lines: int, log: Path) -> ReplayProcess:
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, __file__, str(port), str(lines)],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    replay = ReplayProcess(process=process, port=port)
    client = RestClient(f"http://127.0.0.1:{port}")

    def answers() -> bool | None:
        with contextlib.suppress(OSError, AssertionError):
            client.get("/_bench/counts")
            return True
        return None

    wait_for(answers, timeout=30, what="the replay")
    return replay


def replay_counts(replay: ReplayProcess) -> dict[str, int]:
    """Requests so far, per client."""
    counts = RestClient(f"http://127.0.0.1:{replay.port}").get("/_bench/counts")
    return {client: sum(paths.values()) for client, paths in counts.items()}


def set_mode(replay: ReplayProcess, mode: str) -> None:
    RestClient(f"http://127.0.0.1:{replay.port}").post(f"/_bench/mode/{mode}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        serve(int(sys.argv[1]), int(sys.argv[2]))
