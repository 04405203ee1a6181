"""Polling cost of Japan SIM Data against the hand-made `rest` + template alternative.

Run it as ``scripts/bench`` (see docs/benchmarks.md). Everything stays on this machine: a
replay of IIJmio's member site runs in a child process on localhost, and each measurement runs
a fresh Home Assistant in its own process, so neither the replay's work nor another run's
memory is counted. The replay answers in the documented IIJmio shapes
(tests/fixtures/iijmio/README.md), with as many lines per account as the shape asks for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from unittest.mock import patch
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from homeassistant.components.rest.const import COORDINATOR
from homeassistant.const import __version__ as ha_version
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Our custom_components must be imported before Home Assistant's loader looks for it.
import custom_components.japan_sim_data  # noqa: E402, F401

SHAPES: Final = ((1, 1), (1, 10), (10, 10), (1, 100))
"""(accounts, SIMs per account)."""
TOKYO: Final = ZoneInfo("Asia/Tokyo")
PASSWORD: Final = "bench-password"
UPDATES: Final = 20
"""Updates per account timed for the CPU figures."""
STEADY_POLLS: Final = 5
MEMORY_UPDATES: Final = 5
IMPORT_RUNS: Final = 7
OUR_MODULES: Final = (
    "custom_components.japan_sim_data",
    "custom_components.japan_sim_data.config_flow",
    "custom_components.japan_sim_data.sensor",
    "custom_components.japan_sim_data.binary_sensor",
    "custom_components.japan_sim_data.button",
    "custom_components.japan_sim_data.diagnostics",
)
"""What Home Assistant imports to set up an entry: the package, its flow and its platforms."""


def mio_id(account: int) -> str:
    return f"bench-{account}@example.com"


def session_cookie(account: int) -> str:
    """The session the hand-made configuration is given (it cannot log in by itself)."""
    return f"premade-{account}"


# --- The replay (child process) ------------------------------------------------------------


def member_top(account: int, sims: int, version: int, today: datetime) -> dict[str, Any]:
    """POST /api/member/top for one account, shaped like tests/fixtures/iijmio/member_top.json.

    Each line has last month's coupon (expiring this month) and this month's. ``version``
    moves the carried-over figure, so each poll can bring new figures (or the same ones).
    """
    this_month = today.strftime("%Y%m")
    following = (today.replace(day=1) + timedelta(days=32)).strftime("%Y%m")
    lines = [
        {
            "serviceCode": f"hdc{account:02d}{line:06d}",
            "totalCapacity": 20.0,
            "planName": "ギガプラン",
            "serviceName": "音声SIM",
            "phoneNo": f"090-{account:04d}-{line:04d}",
            "dataShareExistence": False,
            "couponData": [
                {
                    "sequenceNo": 0,
                    "month": this_month,
                    "couponValue": round(4.5 + version / 100, 2),
                },
                {"sequenceNo": 1, "month": following, "couponValue": 20.0},
            ],
        }
        for line in range(sims)
    ]
    return {"serviceInfoList": lines, "billSummary": {"totalAmount": 2500}, "prefixList": ["hdc"]}


def serve(port: int, accounts: int, sims: int) -> None:  # noqa: C901
    """Serve IIJmio's login and member_top for ``accounts`` accounts, counting requests."""
    today = datetime.now(TOKYO)
    sessions: dict[str, int] = {session_cookie(a): a for a in range(accounts)}
    counts: dict[str, int] = {}
    state = {"changing": False, "version": 0}
    bodies: dict[tuple[int, int], bytes] = {}

    def body(account: int) -> bytes:
        key = (account, state["version"] if state["changing"] else 0)
        if key not in bodies:
            bodies[key] = json.dumps(member_top(account, sims, key[1], today)).encode()
        return bodies[key]

    def count(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    async def login_page(request: web.Request) -> web.Response:
        count("login_page")
        response = web.Response(text="<!DOCTYPE html><html>login</html>", content_type="text/html")
        response.set_cookie("waf", "passed")
        return response

    async def login(request: web.Request) -> web.Response:
        count("login")
        data = await request.json()
        account = next((a for a in range(accounts) if mio_id(a) == data.get("mioId")), None)
        if request.cookies.get("waf") != "passed":
            return web.Response(status=403, text="<html>Forbidden</html>", content_type="text/html")
        if account is None or data.get("password") != PASSWORD:
            return web.json_response({"error": "ERROR_CODE_008"})
        token = f"s{account}-{counts['login']}"
        sessions[token] = account
        response = web.json_response({})
        response.set_cookie("session", token)
        return response

    async def top(request: web.Request) -> web.Response:
        count("top")
        account = sessions.get(request.cookies.get("session", ""))
        if account is None:
            return web.json_response({"error": "ERROR_CODE_032"})
        if state["changing"]:
            state["version"] += 1
        return web.Response(body=body(account), content_type="application/json")

    async def control(request: web.Request) -> web.Response:
        command = request.match_info["command"]
        answer = web.json_response(dict(counts))
        if command == "expire":
            sessions.clear()
        elif command == "restore":
            sessions.update({session_cookie(a): a for a in range(accounts)})
        elif command == "reset":
            counts.clear()
        elif command in {"changing", "same"}:
            state["changing"] = command == "changing"
        return answer

    app = web.Application()
    app.router.add_get("/auth/login/", login_page)
    app.router.add_post("/api/member/login", login)
    app.router.add_post("/api/member/top", top)
    app.router.add_post("/_bench/{command}", control)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextmanager
def replay(accounts: int, sims: int) -> Iterator[str]:
    """Run the replay in a child process; yields its base URL (localhost, for the cookies)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(accounts), str(sims)]
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as attempt:
                if attempt.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the replay did not start")
            time.sleep(0.05)
        yield f"http://localhost:{port}"
    finally:
        child.terminate()
        child.wait(10)


# --- One measurement (child process): a fresh Home Assistant --------------------------------


@dataclass
class Figures:
    setup_s: float = 0.0
    steady_requests: float = 0.0
    expired_requests: float = 0.0
    cpu_changing_ms: float = 0.0
    cpu_same_ms: float = 0.0
    peak_mib: float = 0.0
    entities: int = 0
    not_numeric: int = 0
    """Sensors without a figure at the end (a broken template or a failed fetch shows here)."""


async def control(session: Any, base: str, command: str) -> dict[str, int]:
    async with session.post(f"{base}/_bench/{command}") as response:
        result: dict[str, int] = await response.json()
        return result


def requests_in(counts: dict[str, int]) -> int:
    return sum(counts.values())


async def measure(kind: str, accounts: int, sims: int, base: str, memory: bool) -> Figures:
    """Set up ``kind`` ("ours" or "rest") in a fresh Home Assistant and time it."""
    figures = Figures()
    # The test harness's default resolver is aiodns; the system's resolves localhost.
    with (
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            side_effect=lambda _hass: _threaded_resolver(ThreadedResolver),
        ),
        patch("custom_components.japan_sim_data.carriers.iijmio.BASE_URL", base),
    ):
        async with async_test_home_assistant() as hass, aiohttp.ClientSession() as control_http:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            await hass.config.async_set_time_zone("Asia/Tokyo")
            if memory:
                tracemalloc.start()
            started = time.perf_counter()
            if kind == "ours":
                coordinators = await _set_up_ours(hass, MockConfigEntry, accounts)
            else:
                assert await async_setup_component(hass, "rest", rest_config(base, accounts, sims))
                await hass.async_block_till_done()
                coordinators = hass.data["rest"][COORDINATOR]
            figures.setup_s = (time.perf_counter() - started) / accounts
            figures.entities = len(hass.states.async_all())
            if memory:
                await control(control_http, base, "changing")
                for _ in range(MEMORY_UPDATES):
                    await _update_all(hass, coordinators)
                figures.peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
                return figures

            await control(control_http, base, "reset")
            for _ in range(STEADY_POLLS):
                await _update_all(hass, coordinators)
            counts = await control(control_http, base, "reset")
            figures.steady_requests = requests_in(counts) / (STEADY_POLLS * accounts)
            await control(control_http, base, "expire")
            await _update_all(hass, coordinators)
            counts = await control(control_http, base, "reset")
            figures.expired_requests = requests_in(counts) / accounts
            await control(control_http, base, "restore")

            for mode in ("changing", "same"):
                await control(control_http, base, mode)
                await _update_all(hass, coordinators)
                cpu = time.process_time()
                for _ in range(UPDATES):
                    await _update_all(hass, coordinators)
                per_update = (time.process_time() - cpu) / (UPDATES * accounts) * 1000
                if mode == "changing":
                    figures.cpu_changing_ms = per_update
                else:
                    figures.cpu_same_ms = per_update
            figures.not_numeric = sum(
                1
                for state in hass.states.async_all("sensor")
                if state.state in {"unavailable", "unknown"}
            )
    return figures


def _threaded_resolver(resolver_class: type[Any]) -> Any:
    resolver = resolver_class()
    resolver.real_close = resolver.close
    return resolver


async def _set_up_ours(hass: Any, entry_class: Any, accounts: int) -> list[Any]:
    coordinators = []
    for account in range(accounts):
        entry = entry_class(
            domain="japan_sim_data",
            title=f"IIJmio {account}",
            unique_id=f"bench-{account}",
            data={"carrier": "iijmio", "username": mio_id(account), "password": PASSWORD},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        coordinators.append(entry.runtime_data.coordinator)
    return coordinators


async def _update_all(hass: Any, coordinators: list[Any]) -> None:
    """One poll of every account: fetch, parse and write the states."""
    for coordinator in coordinators:
        await coordinator.async_refresh()
    await hass.async_block_till_done()


def rest_config(base: str, accounts: int, sims: int) -> dict[str, Any]:
    """The hand-made equivalent: per account one `rest` resource, per SIM four templated sensors.

    The `rest` integration cannot log in, so each resource sends a session cookie made
    beforehand (the replay accepts it; on the real site it would expire within hours).
    """
    days_left = (
        "{% set n = now() %}{{ ((n.replace(day=28) + timedelta(days=4)).replace(day=1) - n).days }}"
    )
    resources = []
    for account in range(accounts):
        sensors = []
        for line in range(sims):
            path = f"value_json.serviceInfoList[{line}]"
            name = f"IIJmio {account} line {line}"
            sensors += [
                {
                    "name": f"{name} remaining",
                    "unit_of_measurement": "GB",
                    "value_template": f"{{{{ {path}.couponData | sum(attribute='couponValue') }}}}",
                },
                {
                    "name": f"{name} allowance",
                    "unit_of_measurement": "GB",
                    "value_template": f"{{{{ {path}.totalCapacity }}}}",
                },
                {
                    "name": f"{name} carried over",
                    "unit_of_measurement": "GB",
                    "value_template": (
                        f"{{{{ {path}.couponData | selectattr('month', 'eq', "
                        "now().strftime('%Y%m')) | sum(attribute='couponValue') }}"
                    ),
                },
                {
                    "name": f"{name} days left",
                    "unit_of_measurement": "d",
                    "value_template": days_left,
                },
            ]
        resources.append(
            {
                "resource": f"{base}/api/member/top",
                "method": "POST",
                "headers": {
                    "Cookie": f"session={session_cookie(account)}; waf=passed",
                    "Content-Type": "application/json",
                },
                "payload": "{}",
                "scan_interval": 1800,
                "timeout": 30,
                "sensor": sensors,
            }
        )
    return {"rest": resources}


def run_measurement(kind: str, accounts: int, sims: int, memory: bool) -> Figures:
    with replay(accounts, sims) as base:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                kind,
                str(accounts),
                str(sims),
                base,
                "memory" if memory else "perf",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout
    line = output.strip().splitlines()[-1]
    return Figures(**json.loads(line))


# --- Import time ----------------------------------------------------------------------------

_PRELOAD = """
import importlib, sys, time
sys.path.insert(0, {root!r})
import homeassistant.core
from homeassistant.helpers import (aiohttp_client, config_validation, device_registry,
    entity_platform, entity_registry, event, issue_registry, storage, update_coordinator)
from homeassistant.components import binary_sensor, button, diagnostics, sensor
from homeassistant import config_entries, data_entry_flow
{extra}
started = time.perf_counter()
for name in {modules!r}:
    importlib.import_module(name)
print((time.perf_counter() - started) * 1000)
"""


def import_times() -> tuple[float, float, list[str]]:
    """Median milliseconds to import our modules once Home Assistant's own are loaded.

    A first run lists the Home Assistant modules ours pull in; they are then preloaded, as a
    running Home Assistant has them (sensor, config entries...). Returns (median ms, the
    -X importtime self time of our own modules, the modules preloaded).
    """
    probe = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import homeassistant.core;"
        "before = set(sys.modules); import importlib\n"
        f"for m in {OUR_MODULES!r}: importlib.import_module(m)\n"
        "print(' '.join(sorted(m for m in set(sys.modules) - before "
        "if not m.startswith('custom_components'))))"
    )
    pulled = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    extra = "\n".join(f"import {m}" for m in pulled if "." in m or m.isidentifier())
    script = _PRELOAD.format(root=str(ROOT), modules=OUR_MODULES, extra=extra)
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", script], check=True, capture_output=True, text=True
            ).stdout.strip()
        )
        for _ in range(IMPORT_RUNS)
    ]
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    own = 0
    for row in traced.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(\S.*)$", row)
        if match and match[2].strip().startswith("custom_components"):
            own += int(match[1])
    return statistics.median(runs), own / 1000, pulled


# --- Report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    total_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo)[1])  # type: ignore[index]
    return {
        "CPU": f"{model} ({os.cpu_count()} logical CPUs, nproc {len(os.sched_getaffinity(0))})",
        "RAM": f"{total_kib / 2**20:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Home Assistant": ha_version,
    }


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "n/a"


def report(
    results: dict[tuple[str, int, int], Figures],
    imports: tuple[float, float, list[str]],
    seconds: float,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Polling cost of Japan SIM Data against the equivalent hand-made configuration (core",
        "`rest` + templated sensors), both polling the same local IIJmio replay. Written by",
        "`scripts/bench`; do not edit by hand.",
        "",
        "Reproduce: `scripts/bench` (from the repository root, after `scripts/setup`;",
        "the core `rest` integration needs `.venv/bin/pip install -r requirements_bench.txt`).",
        f"This run took {seconds:.0f} s.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in machine().items()]
    lines += [
        "",
        "## Per account and poll",
        "",
        "Each cell is ours / hand-made, with the ratio in bold. *Changing* polls bring new",
        "figures each time (every entity is written); *same* polls bring identical figures.",
        "CPU is per account and update.",
        "",
        (
            "| Accounts × SIMs | Entities (ours / rest) | Requests per poll, steady "
            "| Requests in the poll after the session expired |"
        ),
        "| --- | --- | --- | --- |",
    ]
    for accounts, sims in SHAPES:
        ours = results["ours", accounts, sims]
        rest = results["rest", accounts, sims]
        lines.append(
            f"| {accounts} × {sims} | {ours.entities} / {rest.entities} "
            f"| {ours.steady_requests:g} / {rest.steady_requests:g} "
            f"| {ours.expired_requests:g} / {rest.expired_requests:g} "
            "(rest cannot log in: its sensors fail from then on) |"
        )
    lines += [
        "",
        (
            "| Accounts × SIMs | CPU ms per update, changing | CPU ms per update, same "
            "| Setup s per entry | Peak traced MiB |"
        ),
        "| --- | --- | --- | --- | --- |",
    ]
    for accounts, sims in SHAPES:
        ours = results["ours", accounts, sims]
        rest = results["rest", accounts, sims]
        cells = [
            f"{mine:{spec}} / {theirs:{spec}} (**{ratio(mine, theirs)}**)"
            for mine, theirs, spec in (
                (ours.cpu_changing_ms, rest.cpu_changing_ms, ".2f"),
                (ours.cpu_same_ms, rest.cpu_same_ms, ".2f"),
                (ours.setup_s, rest.setup_s, ".3f"),
                (ours.peak_mib, rest.peak_mib, ".1f"),
            )
        ]
        lines.append(f"| {accounts} × {sims} | {' | '.join(cells)} |")
    median_ms, own_ms, pulled = imports
    big = results["ours", 1, 100]
    big_rest = results["rest", 1, 100]
    steady_ok = all(results["ours", a, s].steady_requests == 1 for a, s in SHAPES)
    expired_ok = all(results["ours", a, s].expired_requests <= 3 for a, s in SHAPES)  # noqa: PLR2004
    lines += [
        "",
        "## Import time",
        "",
        "- Importing the integration, its config flow and its platforms once Home Assistant's",
        f"  own modules are loaded: **{median_ms:.1f} ms** (median of {IMPORT_RUNS} fresh",
        f"  interpreters; {len(pulled)} Home Assistant and library modules preloaded, as a running",
        "  instance has them).",
        (
            f"- `python -X importtime`, self time of `custom_components.japan_sim_data.*` only: "
            f"{own_ms:.1f} ms."
        ),
        "",
        "## Targets",
        "",
        (
            f"- Exactly 1 request per account per poll in steady state: "
            f"{'met' if steady_ok else 'MISSED'}."
        ),
        f"- At most 2 more when the session has expired: {'met' if expired_ok else 'MISSED'}.",
        (
            f"- CPU per update for 100 SIMs at most half the hand-made configuration's: "
            f"{ratio(big.cpu_changing_ms, big_rest.cpu_changing_ms)} with changing figures, "
            f"{ratio(big.cpu_same_ms, big_rest.cpu_same_ms)} with the same figures: "
            f"{'met' if big.cpu_changing_ms <= big_rest.cpu_changing_ms / 2 else 'MISSED'}."
        ),
        (
            f"- Import time below 50 ms: {'met' if median_ms < 50 else 'MISSED'} "  # noqa: PLR2004
            f"({median_ms:.1f} ms)."
        ),
        "",
        "## How it is measured",
        "",
        "- The replay (`scripts/bench.py --serve`) runs in its own process on 127.0.0.1 and",
        "  is reached as `localhost` (Home Assistant's cookie jar drops cookies from bare IPs).",
        "  It counts requests; its own CPU is not in the figures.",
        "- Each cell is a fresh process running Home Assistant in-process, as",
        "  pytest-homeassistant-custom-component's `async_test_home_assistant` starts it (no",
        "  recorder, storage writes skipped, the same for both configurations).",
        f"- Requests: {STEADY_POLLS} polls of every account, counted by the replay; then the",
        "  replay forgets every session and one more poll is counted.",
        f"- CPU: `time.process_time()` around {UPDATES} polls of every account (each the",
        "  coordinator's refresh: fetch, parse, state writes, with the event loop run until idle),",
        "  divided by polls × accounts.",
        "- Setup: wall time from adding the entry (or the `rest` YAML) to the first states,",
        (
            "  per account. Peak memory: `tracemalloc` peak over setup and "
            f"{MEMORY_UPDATES} polls, in a separate run."
        ),
        "- Hand-made configuration: per account one `rest` resource (POST /api/member/top with",
        "  a session cookie made beforehand: the `rest` integration cannot log in, so once",
        "  that session expires its sensors lose their figures until someone pastes a new one)",
        "  and per SIM four templated sensors: remaining (sum of `couponValue`), allowance",
        "  (`totalCapacity`), carried over (the coupon expiring this month) and days left.",
        "  Ours writes more entities per SIM (buckets, expiry, plan, budget, forecast, alerts);",
        '  of them only the "runs out on" forecast is unknown here (it needs days of readings).',
        "- Setup per entry: ours logs in first (three requests) and sets entries up one after",
        "  another; `rest` sets up all its resources in one go, so its 10 × 10 figure is a tenth",
        "  of one setup.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", nargs=3, type=int, metavar=("PORT", "ACCOUNTS", "SIMS"))
    parser.add_argument("--measure", nargs=5, metavar=("KIND", "ACCOUNTS", "SIMS", "URL", "WHAT"))
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if args.measure:
        kind, accounts, sims, base, what = args.measure
        figures = asyncio.run(measure(kind, int(accounts), int(sims), base, what == "memory"))
        print(json.dumps(figures.__dict__))
        return

    started = time.monotonic()
    results: dict[tuple[str, int, int], Figures] = {}
    for accounts, sims in SHAPES:
        for kind in ("ours", "rest"):
            figures = run_measurement(kind, accounts, sims, memory=False)
            figures.peak_mib = run_measurement(kind, accounts, sims, memory=True).peak_mib
            results[kind, accounts, sims] = figures
            print(f"{kind:4} {accounts:2} × {sims:3}: {figures}", flush=True)
    imports = import_times()
    print(f"import: {imports[0]:.1f} ms (own self time {imports[1]:.1f} ms)")
    text = report(results, imports, time.monotonic() - started)
    args.output.write_text(text, encoding="utf-8")
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        main()
