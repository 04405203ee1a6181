"""Fixtures shared by every test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

# Importing the integration before the hass fixture runs makes Home Assistant's loader find
# this repository's custom_components, not the test plugin's own testing_config.
import custom_components.japan_sim_data  # noqa: F401

type ServeApp = Callable[[web.Application], Awaitable[str]]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> Iterator[None]:
    """Let Home Assistant load integrations from custom_components in every test."""
    yield  # noqa: PT022


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
