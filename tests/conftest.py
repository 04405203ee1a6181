"""Fixtures shared by every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any
from unittest.mock import MagicMock, patch

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Importing the integration before the hass fixture runs makes Home Assistant's loader find
# this repository's custom_components, not the test plugin's own testing_config.
from custom_components.japan_sim_data import PLATFORMS
from custom_components.japan_sim_data.carriers.iijmio import parse_member_top
from custom_components.japan_sim_data.carriers.models import AccountUsage, Carrier
from custom_components.japan_sim_data.const import CONF_CARRIER, DOMAIN
from custom_components.japan_sim_data.identifiers import STORAGE_KEY, InstallationKey
from tests.helpers import load_json_fixture

type ServeApp = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Every test gets a configuration directory of its own.

    The test plugin's default is a folder inside the installed package: stores, recorder
    databases and the blueprints Home Assistant copies there would leak into later tests.
    """
    return hass_tmp_config_dir


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> Iterator[None]:
    """Let Home Assistant load integrations from custom_components in every test."""
    yield  # noqa: PT022


INSTALLATION_SECRET = "0f" * 32
"""A fixed installation key, so keyed unique ids are the same from run to run."""


@pytest.fixture(autouse=True)
def installation_key(hass_storage: dict[str, Any]) -> InstallationKey:
    """Store a known installation key before Home Assistant reads it."""
    hass_storage[STORAGE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORAGE_KEY,
        "data": {"secret": INSTALLATION_SECRET},
    }
    return InstallationKey(bytes.fromhex(INSTALLATION_SECRET))


def keyed_account_id(account_id: str) -> str:
    """An entry's unique id for an adapter's account id, under the test installation's key."""
    return InstallationKey(bytes.fromhex(INSTALLATION_SECRET)).account_id(account_id)


def sim_identifier(carrier: str, sim_id: str) -> tuple[str, str]:
    """A SIM device's identifier under the test installation's key."""
    return (DOMAIN, InstallationKey(bytes.fromhex(INSTALLATION_SECRET)).sim_id(carrier, sim_id))


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots that leave out what changes from run to run (ids, times)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[ServeApp]:
    """Start aiohttp apps on 127.0.0.1 and return their base URLs (no trailing slash).

    Home Assistant's test plugin blocks sockets; these tests need real ones, on loopback only.
    """
    servers: list[TestServer] = []

    async def start(app: web.Application) -> str:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session with its own cookie jar; `unsafe` lets it keep cookies from an IP host."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


ENTRY_ID = "01JSDATAENTRY00000000000000"
ACCOUNT_ID = "0123456789abcdef"
"""What the adapter calls the account."""
ENTRY_UNIQUE_ID = InstallationKey(bytes.fromhex(INSTALLATION_SECRET)).account_id(ACCOUNT_ID)
"""The account's entry unique id: its id keyed with the test installation's secret."""
MIO_ID = "mio-sentinel-user@example.com"
PASSWORD = "sentinel-password-42"
# The fixtures' months are written for November 2025; the clock is frozen in Tokyo then.
FROZEN_NOW = "2025-11-25T12:00:00+09:00"


def iijmio_usage() -> AccountUsage:
    """The account in tests/fixtures/iijmio/member_top.json, as the adapter parses it."""
    return parse_member_top(
        load_json_fixture("iijmio/member_top.json"), datetime.fromisoformat(FROZEN_NOW)
    )


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """An IIJmio account entry."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="IIJmio mi***",
        entry_id=ENTRY_ID,
        unique_id=ENTRY_UNIQUE_ID,
        minor_version=2,
        data={CONF_CARRIER: "iijmio", CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD},
    )


@pytest.fixture
def mock_iijmio() -> Iterator[MagicMock]:
    """Replace the IIJmio adapter with one that returns the fixture account.

    The adapter itself is tested over HTTP in tests/carriers; here only its interface matters.
    """
    with patch(
        "custom_components.japan_sim_data.carriers.iijmio.IijmioAdapter", autospec=True
    ) as adapter_class:
        adapter = adapter_class.return_value
        adapter.account_id = ACCOUNT_ID
        adapter.carrier = Carrier.IIJMIO
        adapter.async_fetch.return_value = iijmio_usage()
        adapter.refreshed_secrets.return_value = {}
        adapter.active_route = "app"
        adapter.route_details = None
        yield adapter


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms to set up; a test module narrows it to snapshot one platform."""
    return list(PLATFORMS)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
    platforms: list[Platform],
) -> MockConfigEntry:
    """Set up the IIJmio entry with the clock frozen in Tokyo."""
    freezer.move_to(FROZEN_NOW)
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.japan_sim_data.PLATFORMS", platforms):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    return mock_config_entry
