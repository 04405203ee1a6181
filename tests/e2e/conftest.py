"""Fixtures of the end-to-end suite: one real Home Assistant and one IIJmio replay per session.

Every process is started in its own process group and stopped by that group's id in a
``finally``, whatever the tests did. Home Assistant gets START_TIMEOUT seconds to answer HTTP;
otherwise the suite fails with the end of its log.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from tests.e2e.harness import (
    HomeAssistantProcess,
    ReplayProcess,
    RestClient,
    Tokens,
    free_port,
    onboard,
    prepare_config_dir,
    remove_failed_entries,
    start_home_assistant,
    start_replay,
    wait_for,
)

OWNER = {"name": "E2E Owner", "username": "e2e-owner", "password": "e2e-owner-password"}
MIO_ID = "mio-sentinel-user@example.com"  # the account the replay knows (iijmio_replay.py)
MIO_PASSWORD = "sentinel-password-42"
ENTITY_TIMEOUT = 30.0


@dataclass
class RunningHomeAssistant:
    """The suite's Home Assistant: its process, the owner's tokens and a REST client."""

    process: HomeAssistantProcess
    tokens: Tokens
    client: RestClient

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>."""
        return self.process.base_url

    def state(self, entity_id: str) -> dict[str, Any]:
        """One entity's state object."""
        return self.client.states()[entity_id]

    def wait_for_state(
        self, entity_id: str, predicate: Any, what: str, timeout: float = ENTITY_TIMEOUT
    ) -> dict[str, Any]:
        """Wait until ``predicate(state)`` holds for the entity; return that state."""

        def probe() -> dict[str, Any] | None:
            state = self.client.states().get(entity_id)
            return state if state is not None and predicate(state) else None

        return wait_for(probe, timeout=timeout, what=f"{entity_id} {what}")

    def sim_entity(self, device: str, entity: str, *, domain: str = "sensor") -> str:
        """This integration's entity named ``entity`` on the device whose name has ``device``.

        Entity ids are made from Japanese device names, so tests find entities by the
        friendly name ("<device name> <entity name>") instead.
        """

        def probe() -> str | None:
            states = self.client.states()
            for entity_id in self.client.integration_entities():
                name = str(states.get(entity_id, {}).get("attributes", {}).get("friendly_name"))
                if (
                    entity_id.startswith(f"{domain}.")
                    and name.endswith(f" {entity}")
                    and device in name.removesuffix(entity)
                ):
                    return entity_id
            return None

        return wait_for(probe, timeout=ENTITY_TIMEOUT, what=f"'{entity}' of '{device}'")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the unit tests' fixture: these tests run no in-process Home Assistant."""


@pytest.fixture(autouse=True)
def _real_sockets(socket_enabled: None) -> None:
    """Home Assistant's test plugin blocks sockets; these tests talk to real processes."""


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the suite keeps Home Assistant's config, logs and screenshots."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def replay(e2e_dir: Path) -> Iterator[ReplayProcess]:
    """The IIJmio replay server, in a process of its own."""
    pytest_socket.enable_socket()
    server = start_replay(e2e_dir / "replay.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def home_assistant(e2e_dir: Path, replay: ReplayProcess) -> Iterator[RunningHomeAssistant]:
    """A real ``hass`` process, onboarded, with the IIJmio adapter pointed at the replay."""
    pytest_socket.enable_socket()
    port = free_port()
    config_dir = e2e_dir / "config"
    prepare_config_dir(config_dir, port)
    # The statistics-graph card (test_usage_history.py) shows nothing without it.
    with (config_dir / "configuration.yaml").open("a", encoding="utf-8") as configuration:
        configuration.write("history:\n")
    started = time.monotonic()
    process = start_home_assistant(config_dir, port, iijmio_url=replay.url)
    try:
        process.wait_until_up()
        tokens = onboard(process.base_url, **OWNER)
        client = RestClient(process.base_url, tokens.access_token)
        remove_failed_entries(client)
        print(f"Home Assistant answered and was onboarded in {time.monotonic() - started:.1f} s")  # noqa: T201
        yield RunningHomeAssistant(
            process=process,
            tokens=tokens,
            client=client,
        )
    finally:
        process.stop()


@pytest.fixture(scope="session")
def iijmio_entry(home_assistant: RunningHomeAssistant) -> str:
    """An IIJmio account added through the config-flow REST API; its entry id."""
    pytest_socket.enable_socket()  # session fixtures run before the per-test socket_enabled
    client = home_assistant.client
    menu = client.start_flow()
    assert menu["type"] == "menu", menu
    assert "iijmio" in menu["menu_options"]
    form = client.flow_step(menu["flow_id"], {"next_step_id": "iijmio"})
    assert (form["type"], form["step_id"]) == ("form", "iijmio"), form
    assert [field["name"] for field in form["data_schema"]] == ["username", "password"]
    result = client.flow_step(form["flow_id"], {"username": MIO_ID, "password": MIO_PASSWORD})
    assert result["type"] == "create_entry", result
    assert result["result"]["state"] == "loaded", result
    return str(result["result"]["entry_id"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, attach the end of Home Assistant's log to the report."""
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        running = funcargs.get("home_assistant")
        if isinstance(running, RunningHomeAssistant):
            report.sections.append(("Home Assistant log (last lines)", running.process.log_tail()))
    return report


def pytest_configure(config: pytest.Config) -> None:
    """Name the markers of this suite."""
    config.addinivalue_line("markers", "e2e: starts a real Home Assistant process")
    config.addinivalue_line("markers", "browser: drives a headless Chromium")
