"""mineo in a real Home Assistant: added over REST against the replay, every figure shown, and
a restart of the whole process that needs no new login and spends no refresh token twice.

The suite's replay process serves mineo next to IIJmio (tests/e2e/replay_server.py); the shim
points the mineo adapter at it. The module runs a Home Assistant of its own, since it restarts
it: the suite's shared one (and the tests that count its entities) is left alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_socket

from tests.carriers.mineo_replay import INITIAL_REFRESH_TOKEN
from tests.e2e.conftest import OWNER, RunningHomeAssistant
from tests.e2e.harness import (
    ReplayProcess,
    RestClient,
    free_port,
    onboard,
    prepare_config_dir,
    remove_failed_entries,
    start_home_assistant,
    wait_for,
)

pytestmark = pytest.mark.e2e

FIRST = "mineo Dプラン デュアルタイプ (5GB) (1234)"
"""mineard's sample line, named by its plan and last four digits."""
SECOND = "mineo マイピタ デュアルタイプ 1GB (5678)"
"""A line with the mineo switch on (IIJmio's replay has a …5678 too: the plan tells them apart)."""
GIB_PER_MB = 1 / 1024


def _number(state: dict[str, Any]) -> float | None:
    try:
        return float(state["state"])
    except ValueError:
        return None


@pytest.fixture(scope="module")
def mineo_home_assistant(e2e_dir: Path, replay: ReplayProcess) -> Iterator[RunningHomeAssistant]:
    """A Home Assistant of this module's own: the restart below must not touch the suite's."""
    pytest_socket.enable_socket()
    port = free_port()
    config_dir = e2e_dir / "mineo-config"
    prepare_config_dir(config_dir, port)
    process = start_home_assistant(config_dir, port, iijmio_url=replay.url)
    running: RunningHomeAssistant | None = None
    try:
        process.wait_until_up()
        tokens = onboard(process.base_url, **OWNER)
        client = RestClient(process.base_url, tokens.access_token)
        remove_failed_entries(client)
        running = RunningHomeAssistant(process=process, tokens=tokens, client=client)
        yield running
    finally:
        # The restart test swaps the process: stop whichever runs now.
        (running.process if running is not None else process).stop()


@pytest.fixture(scope="module")
def mineo_entry(mineo_home_assistant: RunningHomeAssistant) -> str:
    """A mineo account added through the config-flow REST API with a pasted refresh token."""
    pytest_socket.enable_socket()
    client = mineo_home_assistant.client
    menu = client.start_flow()
    assert "mineo" in menu["menu_options"], menu
    form = client.flow_step(menu["flow_id"], {"next_step_id": "mineo"})
    assert (form["type"], form["step_id"]) == ("form", "mineo"), form
    assert [field["name"] for field in form["data_schema"]] == ["refresh_token"]
    result = client.flow_step(form["flow_id"], {"refresh_token": INITIAL_REFRESH_TOKEN})
    assert result["type"] == "create_entry", result
    assert result["result"]["state"] == "loaded", result
    assert result["result"]["title"] == "mineo 1234"
    return str(result["result"]["entry_id"])


def _figure(home_assistant: RunningHomeAssistant, line: str, name: str) -> float:
    entity_id = home_assistant.sim_entity(line, name)
    state = home_assistant.wait_for_state(
        entity_id, lambda s: _number(s) is not None, "to show a number"
    )
    value = _number(state)
    assert value is not None
    return value


def _text(
    home_assistant: RunningHomeAssistant, line: str, name: str, domain: str = "sensor"
) -> str:
    entity_id = home_assistant.sim_entity(line, name, domain=domain)
    return str(home_assistant.state(entity_id)["state"])


def _assert_every_figure(home_assistant: RunningHomeAssistant) -> None:
    approx = pytest.approx
    assert _figure(home_assistant, FIRST, "Remaining data") == approx(
        (5120 + 33563) * GIB_PER_MB, abs=0.01
    )
    assert _figure(home_assistant, FIRST, "This period's data") == approx(5.0, abs=0.01)
    assert _figure(home_assistant, FIRST, "Carried-over data") == approx(
        33563 * GIB_PER_MB, abs=0.01
    )
    assert _figure(home_assistant, FIRST, "Monthly data allowance") == approx(5.0, abs=0.01)
    assert _figure(home_assistant, FIRST, "Topping data") == 0
    assert _figure(home_assistant, FIRST, "Gifted data") == 0
    assert _figure(home_assistant, FIRST, "Days left") >= 1
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    assert _text(home_assistant, FIRST, "Data resets on") == next_month.isoformat()
    assert _text(home_assistant, FIRST, "Throttled", "binary_sensor") == "off"
    # The second line: mineo switch on (節約モード), packets bought and received.
    assert _text(home_assistant, SECOND, "Throttled", "binary_sensor") == "on"
    assert _figure(home_assistant, SECOND, "Topping data") == approx(100 * GIB_PER_MB, abs=0.01)
    assert _figure(home_assistant, SECOND, "Gifted data") == approx(10 * GIB_PER_MB, abs=0.01)
    assert _figure(home_assistant, SECOND, "Remaining data") == approx(410 * GIB_PER_MB, abs=0.01)


def test_mineo_login_and_every_figure(
    mineo_home_assistant: RunningHomeAssistant, mineo_entry: str, replay: ReplayProcess
) -> None:
    """The pasted token was spent once, by the flow; setup used the login the flow obtained."""
    home_assistant = mineo_home_assistant
    entries = {entry["entry_id"]: entry for entry in home_assistant.client.config_entries()}
    assert entries[mineo_entry]["state"] == "loaded"
    _assert_every_figure(home_assistant)
    assert replay.control("mineo") == {"refresh_uses": 1, "distinct": 1, "reused": 0}


def test_mineo_survives_a_restart_without_a_new_login(
    mineo_home_assistant: RunningHomeAssistant, mineo_entry: str, replay: ReplayProcess
) -> None:
    """Home Assistant stopped and started again: the stored tokens carry on, none is reused."""
    home_assistant = mineo_home_assistant
    _assert_every_figure(home_assistant)
    before = replay.control("mineo")

    old = home_assistant.process
    old.stop()
    started = time.monotonic()
    restarted = start_home_assistant(old.config_dir, old.port, iijmio_url=replay.url)
    restarted.wait_until_up()
    home_assistant.process = restarted
    print(f"Home Assistant restarted in {time.monotonic() - started:.1f} s")  # noqa: T201

    def loaded() -> bool | None:
        entries = {e["entry_id"]: e for e in home_assistant.client.config_entries()}
        return True if entries.get(mineo_entry, {}).get("state") == "loaded" else None

    wait_for(loaded, timeout=60, what="the mineo entry to load after the restart")
    _assert_every_figure(home_assistant)
    # The id_token stored before the stop was still good: no renewal, no new login.
    assert replay.control("mineo") == before
    assert not [
        flow
        for flow in home_assistant.client.flows_in_progress()
        if flow.get("context", {}).get("source") == "reauth"
    ]

    # mineo drops the id_token: the Refresh action renews with the token saved before the stop.
    replay.control("mineo/expire")
    home_assistant.client.post(
        "/api/services/japan_sim_data/refresh", {"config_entry_id": mineo_entry}
    )
    after = wait_for(
        lambda: state if (state := replay.control("mineo"))["refresh_uses"] > 1 else None,
        timeout=30,
        what="the renewal after the restart",
    )
    assert after == {"refresh_uses": 2, "distinct": 2, "reused": 0}
    _assert_every_figure(home_assistant)
    entries = {entry["entry_id"]: entry for entry in home_assistant.client.config_entries()}
    assert entries[mineo_entry]["state"] == "loaded"
