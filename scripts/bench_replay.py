"""The IIJmio replay scripts/bench.py polls: one account of N lines, requests counted by client.

Run by scripts/bench.py as ``bench_replay.py PORT LINES`` in a process of its own, so that
serving the answers is not counted in any Home Assistant process's CPU. tests/carriers/
iijmio_replay.py does the member site (logins, sessions, the app API refused with HTTP 505);
this adds the account's size, figures that change at every answer or not, and the counts.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_configs import SESSIONS  # noqa: E402

from tests.e2e.harness import ReplayProcess, RestClient, free_port, wait_for  # noqa: E402

TOKYO: Final = ZoneInfo("Asia/Tokyo")
REFUSED_APP_VERSION: Final = "0.0.0-bench"
"""The replay's app API wants this version: it answers the integration's with HTTP 505."""


def member_top(lines: int, version: int) -> dict[str, Any]:
    """/api/member/top for ``lines`` lines, each shaped as the fixture's first line.

    ``version`` moves every line's carried-over coupon (the month ending now), so a new
    version is a new remaining figure on every line, as a day of use brings.
    """
    from tests.e2e.replay_server import current_member_top  # noqa: PLC0415

    payload = current_member_top(datetime.now(TOKYO))
    template = payload["serviceInfoList"][0]
    carried = round(4.56 - (version % 400) / 100, 2)
    infos = []
    for line in range(lines):
        info = json.loads(json.dumps(template))
        info["serviceCode"] = f"hdc{line:08d}"
        info["phoneNo"] = f"090-0000-{line:04d}"
        info["couponData"][0]["couponValue"] = carried
        infos.append(info)
    return {**payload, "serviceInfoList": infos}


def serve(port: int, lines: int) -> None:
    """Serve the IIJmio replay for one account of ``lines`` lines, counting by client."""
    from aiohttp import web  # noqa: PLC0415

    from tests.carriers.iijmio_replay import IijmioReplay  # noqa: PLC0415

    state = {"changing": False, "version": 0}
    counts: dict[str, dict[str, int]] = {"rest": {}, "peer": {}, "ours": {}}
    clients = {session: kind for kind, session in SESSIONS.items()}

    def top() -> web.Response:
        if state["changing"]:
            state["version"] += 1
        body = json.dumps(member_top(lines, state["version"]), ensure_ascii=False)
        return web.Response(text=body, content_type="application/json")

    replay = IijmioReplay(top_payload=None, top_answer=top, app_version=REFUSED_APP_VERSION)
    replay.sessions.update(SESSIONS.values())
    app = replay.app()

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/_bench/"):
            client = clients.get(request.cookies.get("session", ""), "ours")
            name = f"{request.method} {request.path}"
            counts[client][name] = counts[client].get(name, 0) + 1
        answer: web.StreamResponse = await handler(request)
        return answer

    async def mode(request: web.Request) -> web.Response:
        state["changing"] = request.match_info["mode"] == "changing"
        return web.json_response(state)

    async def get_counts(request: web.Request) -> web.Response:
        return web.json_response(counts)

    app.middlewares.append(count)
    app.router.add_post("/_bench/mode/{mode}", mode)
    app.router.add_get("/_bench/counts", get_counts)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


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
