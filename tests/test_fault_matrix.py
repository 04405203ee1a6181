"""Every fault a carrier can throw, through Home Assistant, with the real adapters.

Each live adapter (IIJmio, povo, SoftBank, Y!mobile, mineo) talks real HTTP to a local replay of its
carrier (the fakes of tests/carriers), reached as ``http://carrier.invalid:<port>``: a resolver
that only this test knows maps that name to 127.0.0.1, and fails it on demand (DNS failure).
``.invalid`` never resolves anywhere else, so nothing can leave the machine. A name rather than
a bare IP also lets Home Assistant's cookie jar keep the carriers' session cookies.

For each fault the matrix asserts: no unhandled exception; entities unavailable (never a 0);
one ERROR line when the outage starts and one line on recovery; reauth only when the
credentials are rejected; at most one login per update (counted on the server); Retry-After
honoured; the polling interval grows while failures last.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, ClassVar, Final, override
from unittest.mock import patch

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.typedefs import Handler
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_USERNAME,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import DATA_CONNECTOR
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.japan_sim_data.adapters import CARRIER_PROFILES
from custom_components.japan_sim_data.carriers import http as carrier_http
from custom_components.japan_sim_data.carriers.base import CarrierAdapter
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.carriers.povo import AUTH_PATH, USAGE_PATH
from custom_components.japan_sim_data.carriers.softbank import (
    SoftBankAdapter,
    YmobileAdapter,
)
from custom_components.japan_sim_data.const import (
    CONF_AUTH_TOKEN,
    CONF_CARRIER,
    CONF_DEVICE_ID,
    CONF_PHONE_NUMBER,
    CONF_REFRESH_TOKEN,
    CONF_RESET_DAY,
    DOMAIN,
    LOGGER,
    UPDATE_INTERVAL,
)
from tests.carriers import mineo_replay as mineo_fakes
from tests.carriers import softbank_replay as softbank_fakes
from tests.carriers import test_povo as povo_fakes
from tests.carriers.iijmio_replay import MIO_ID, PASSWORD, IijmioReplay

from .conftest import FROZEN_NOW
from .helpers import load_json_fixture, load_text_fixture

REPLAY_HOST: Final = "carrier.invalid"
RETRY_AFTER: Final = 3 * 3600
MAINTENANCE_PAGE: Final = (
    "<!DOCTYPE html><html lang='ja'><head><title>メンテナンス中</title></head>"
    "<body><h1>ただいまメンテナンス中です</h1></body></html>"
)


# --- The network: a resolver we control, and a server we can stop ------------------------------


class ReplayResolver(AbstractResolver):
    """Resolves REPLAY_HOST to 127.0.0.1; other names, and any name while failing: NXDOMAIN."""

    def __init__(self) -> None:
        self.failing = False
        self.lookups = 0

    @override
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        if self.failing or host != REPLAY_HOST:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    @override
    async def close(self) -> None:
        """Nothing to release."""

    async def real_close(self) -> None:
        """Home Assistant closes its resolver through this at shutdown."""


class ReplayServer:
    """A carrier replay on 127.0.0.1 that can go away and come back on the same port."""

    def __init__(self, make_app: Callable[[], web.Application]) -> None:
        self._make_app = make_app
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://{REPLAY_HOST}:{self.port}"

    async def start(self) -> None:
        # No access log: it reads the frozen test clock and fails.
        runner = web.AppRunner(
            self._make_app(), shutdown_timeout=0.1, access_log=None, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


# --- One harness per carrier: its replay, its entry, and how each fault looks there ----------

type Answer = Callable[[], Awaitable[web.StreamResponse]]


class CarrierHarness(ABC):
    """A carrier's replay, with a fault switch on the request that reads the figures."""

    carrier: ClassVar[Carrier]
    data_path: ClassVar[str]
    """The path of the request that brings the figures; faults answer there."""

    def __init__(self) -> None:
        self.fault: Answer | None = None
        self.served = 0

    def app(self) -> web.Application:
        app = self.replay_app()
        app.middlewares.insert(0, self._fault_middleware)
        return app

    def requests(self) -> int:
        """Requests the replay has received, faulty answers included."""
        return self.served

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.served += 1
        if self.fault is not None and request.path == self.data_path:
            return await self.fault()
        return await handler(request)

    @abstractmethod
    def replay_app(self) -> web.Application:
        """The carrier's replay, as tests/carriers serves it."""

    @abstractmethod
    def logins(self) -> int:
        """Login attempts the replay has seen (for povo: token renewals and code exchanges)."""

    @abstractmethod
    def entry_data(self) -> dict[str, Any]:
        """The config entry data of the replayed account."""

    @abstractmethod
    @contextmanager
    def pointed_at(self, base_url: str) -> Iterator[None]:
        """Make the integration build the real adapter against ``base_url``."""

    @abstractmethod
    def expire_session(self) -> None:
        """End the session in the middle of the next update."""

    @abstractmethod
    def reject_credentials(self) -> None:
        """Make the carrier refuse the stored credentials from now on."""

    @abstractmethod
    def figures(self) -> str:
        """The body of the figures request, as the replay answers it."""

    @abstractmethod
    def renamed_keys(self) -> str:
        """The figures with the carrier's keys or labels renamed."""

    @abstractmethod
    def missing_keys(self) -> str:
        """The figures with the keys the adapter needs left out."""

    @abstractmethod
    def numbers_reencoded(self) -> str:
        """The same figures, each number written the other way (as a string, or not)."""

    def maintenance_page(self) -> str:
        return MAINTENANCE_PAGE

    content_type: ClassVar[str] = "application/json"


class IijmioHarness(CarrierHarness):
    carrier = Carrier.IIJMIO
    data_path = "/api/member/top"

    def __init__(self) -> None:
        super().__init__()
        # The app API answers 404, so every update falls back to the member site, whose
        # figures request the faults hit.
        self.replay = IijmioReplay(app_api=False)

    def replay_app(self) -> web.Application:
        return self.replay.app()

    def logins(self) -> int:
        return self.replay.logins

    def entry_data(self) -> dict[str, Any]:
        return {CONF_CARRIER: "iijmio", CONF_USERNAME: MIO_ID, CONF_PASSWORD: PASSWORD}

    @contextmanager
    def pointed_at(self, base_url: str) -> Iterator[None]:
        with (
            patch("custom_components.japan_sim_data.carriers.iijmio.BASE_URL", base_url),
            patch("custom_components.japan_sim_data.carriers.iijmio.APP_BASE_URL", base_url),
        ):
            yield

    def expire_session(self) -> None:
        self.replay.expire_sessions_with = lambda: web.json_response({"error": "ERROR_CODE_032"})

    def reject_credentials(self) -> None:
        self.replay.password = "changed-on-the-website"
        self.replay.sessions.clear()

    def figures(self) -> str:
        return json.dumps(self.replay.top_payload, ensure_ascii=False)

    def renamed_keys(self) -> str:
        payload = dict(self.replay.top_payload)
        payload["serviceInfos"] = payload.pop("serviceInfoList")
        return json.dumps(payload)

    def missing_keys(self) -> str:
        payload = json.loads(self.figures())
        for line in payload["serviceInfoList"]:
            del line["serviceCode"]
        return json.dumps(payload)

    def numbers_reencoded(self) -> str:
        payload = json.loads(self.figures())
        for line in payload["serviceInfoList"]:
            line["totalCapacity"] = _flip(line["totalCapacity"])
            for coupon in line["couponData"]:
                coupon["couponValue"] = _flip(coupon["couponValue"])
        return json.dumps(payload)


class PovoHarness(CarrierHarness):
    carrier = Carrier.POVO
    data_path = USAGE_PATH

    def __init__(self) -> None:
        super().__init__()
        self.replay = povo_fakes.FakePovo()
        self.replay.answers[USAGE_PATH] = povo_fakes.fixture("usage_partial.json")

    def replay_app(self) -> web.Application:
        return self.replay.app()

    def logins(self) -> int:
        codes = sum(1 for _, path in self.replay.calls if path == AUTH_PATH)
        return self.replay.refreshes + codes

    def entry_data(self) -> dict[str, Any]:
        return {
            CONF_CARRIER: "povo",
            CONF_EMAIL: povo_fakes.EMAIL,
            CONF_DEVICE_ID: povo_fakes.DEVICE_ID,
            CONF_AUTH_TOKEN: povo_fakes.STORED_TOKEN,
        }

    @contextmanager
    def pointed_at(self, base_url: str) -> Iterator[None]:
        with patch("custom_components.japan_sim_data.carriers.povo.BASE_URL", base_url):
            yield

    def expire_session(self) -> None:
        async def expired(request: web.Request) -> web.StreamResponse:
            self.replay.expire_all_tokens()
            return web.json_response(povo_fakes.fixture("token_expired.json"), status=401)

        self.replay.once[USAGE_PATH] = [expired]

    def reject_credentials(self) -> None:
        self.replay.expire_all_tokens()
        self.replay.refuse_refresh = True

    def figures(self) -> str:
        return json.dumps(self.replay.answers[USAGE_PATH])

    def renamed_keys(self) -> str:
        usage = self.replay.answers[USAGE_PATH]
        return json.dumps({"data": {f"{name}_v2": v for name, v in usage["data"].items()}})

    def missing_keys(self) -> str:
        return json.dumps({"data": {}, "promotion_text": {"line1": ""}})

    def numbers_reencoded(self) -> str:
        usage = json.loads(self.figures())
        for bucket in usage["data"].values():
            for key in ("left", "used", "plan_kb"):
                if bucket is not None and key in bucket:
                    bucket[key] = _flip(bucket[key])
        return json.dumps(usage)

    def maintenance_page(self) -> str:
        return load_text_fixture("povo/maintenance.html")


class MySoftBankHarness(CarrierHarness):
    """SoftBank and Y!mobile share the SoftBank ID portal's flow."""

    adapter: ClassVar[type[SoftBankAdapter | YmobileAdapter]]
    brand: ClassVar[str]
    data_path = "/resfe/top/"
    content_type = "text/html"

    def __init__(self) -> None:
        super().__init__()
        self.replay = softbank_fakes.FakeMySoftBank(brand=self.brand)

    def replay_app(self) -> web.Application:
        return self.replay.app()

    def logins(self) -> int:
        return self.replay.logins

    def entry_data(self) -> dict[str, Any]:
        return {
            CONF_CARRIER: self.carrier.value,
            CONF_PHONE_NUMBER: softbank_fakes.PHONE,
            CONF_PASSWORD: softbank_fakes.PASSWORD,
        }

    @contextmanager
    def pointed_at(self, base_url: str) -> Iterator[None]:
        # The profile builds the adapter with the carrier's own URLs; build it on the replay.
        def build(
            session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
        ) -> CarrierAdapter:
            return self.adapter(
                session,
                phone_number=data[CONF_PHONE_NUMBER],
                password=data[CONF_PASSWORD],
                reset_day=int(options.get(CONF_RESET_DAY, 1)),
                base_url=base_url,
            )

        profile = dataclasses.replace(CARRIER_PROFILES[self.carrier], build=build)
        with patch.dict(CARRIER_PROFILES, {self.carrier: profile}):
            yield

    def expire_session(self) -> None:
        self.replay.usage_logouts = 1

    def reject_credentials(self) -> None:
        self.replay.forget_sessions()
        self.replay.login_page = "softbank_login_error.html"

    def figures(self) -> str:
        return load_text_fixture(f"softbank/{self.brand}_usage.html")

    def maintenance_page(self) -> str:
        return load_text_fixture("softbank/maintenance.html")


class SoftBankHarness(MySoftBankHarness):
    carrier = Carrier.SOFTBANK
    adapter = SoftBankAdapter
    brand = "softbank"

    def renamed_keys(self) -> str:
        return re.sub(r'"(\w+)Data"', r'"\1Amount"', self.figures())

    def missing_keys(self) -> str:
        return load_text_fixture("softbank/softbank_usage_no_figures.html")

    def numbers_reencoded(self) -> str:
        # Documented: figures are GB strings. The same figures as bare numbers read the same.
        return re.sub(r'("\w+Data"): "(\d[\d.]*)"', r"\1: \2", self.figures())


class YmobileHarness(MySoftBankHarness):
    carrier = Carrier.YMOBILE
    adapter = YmobileAdapter
    brand = "ymobile"

    def renamed_keys(self) -> str:
        # The references find the tables by the section's class; renamed, nothing is found.
        return self.figures().replace("list-toggle-content", "list-panel")

    def missing_keys(self) -> str:
        return re.sub(r"<table>.*?</table>", "", self.figures(), flags=re.DOTALL)

    def numbers_reencoded(self) -> str:
        # The references' page writes ASCII figures; the same in full-width digits read the same.
        return self.figures().translate(
            str.maketrans("0123456789.GB", "０１２３４５６７８９．ＧＢ")
        )


class MineoHarness(CarrierHarness):
    """One mineo line (a second would get the first one's faulty answer too)."""

    carrier = Carrier.MINEO
    data_path = f"{mineo_fakes.API_PATH}/get_capacity"

    def __init__(self) -> None:
        super().__init__()
        telnum_list = load_json_fixture("mineo/telnum_list.json")
        telnum_list["telNumList"] = telnum_list["telNumList"][:1]
        self.replay = mineo_fakes.MineoReplay(telnum_list=telnum_list)

    def replay_app(self) -> web.Application:
        return self.replay.app()

    def logins(self) -> int:
        # Refresh-token uses: each one spends a token, so a retry storm would show here.
        return len(self.replay.refresh_uses)

    def entry_data(self) -> dict[str, Any]:
        return {
            CONF_CARRIER: "mineo",
            CONF_REFRESH_TOKEN: mineo_fakes.INITIAL_REFRESH_TOKEN,
            CONF_DEVICE_ID: "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
        }

    @contextmanager
    def pointed_at(self, base_url: str) -> Iterator[None]:
        module = "custom_components.japan_sim_data.carriers.mineo"
        with (
            patch(f"{module}.TOKEN_URL", f"{base_url.rstrip('/')}{mineo_fakes.TOKEN_PATH}"),
            patch(f"{module}.API_BASE_URL", f"{base_url.rstrip('/')}{mineo_fakes.API_PATH}"),
        ):
            yield

    def expire_session(self) -> None:
        # The id_token stops working as the figures are asked for: Invalid JWT, then renewal.
        def expire(call: str) -> None:
            if call == "get_capacity":
                self.replay.expire_id_tokens()
                self.replay.observer = None

        self.replay.observer = expire

    def reject_credentials(self) -> None:
        self.replay.expire_id_tokens()
        self.replay.reject_all_refresh_tokens()

    def figures(self) -> str:
        return json.dumps(load_json_fixture("mineo/capacity.json"), ensure_ascii=False)

    def renamed_keys(self) -> str:
        payload = json.loads(self.figures())
        payload["result_code"] = payload.pop("resultCode")
        return json.dumps(payload)

    def missing_keys(self) -> str:
        payload = json.loads(self.figures())
        del payload["resultCode"]
        return json.dumps(payload)

    def numbers_reencoded(self) -> str:
        payload = json.loads(self.figures())
        payload["packetInfo"] = {k: _flip(v) for k, v in payload["packetInfo"].items()}
        return json.dumps(payload)

    def maintenance_page(self) -> str:
        return load_text_fixture("mineo/maintenance.html")


HARNESSES: Final[dict[str, type[CarrierHarness]]] = {
    "iijmio": IijmioHarness,
    "povo": PovoHarness,
    "softbank": SoftBankHarness,
    "ymobile": YmobileHarness,
    "mineo": MineoHarness,
}


def _flip(value: Any) -> Any:
    """A number as a string, or a numeric string as a number."""
    if isinstance(value, str):
        return float(value)
    return str(value)


def _answer(status: int, body: str, content_type: str, **headers: str) -> Answer:
    async def answer() -> web.StreamResponse:
        return web.Response(status=status, text=body, content_type=content_type, headers=headers)

    return answer


# --- Home Assistant side ---------------------------------------------------------------------


@dataclasses.dataclass
class Account:
    """A set-up entry on a replayed carrier, with what the test watches."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    entry: MockConfigEntry
    harness: CarrierHarness
    server: ReplayServer
    resolver: ReplayResolver
    written: list[tuple[str, str]]
    """(entity_id, state) of every state written, in order."""

    @property
    def entity_ids(self) -> list[str]:
        registry = er.async_get(self.hass)
        return [
            e.entity_id
            for e in er.async_entries_for_config_entry(registry, self.entry.entry_id)
            if e.domain in {"sensor", "binary_sensor"}
        ]

    def states(self) -> dict[str, str]:
        states = {}
        for entity_id in self.entity_ids:
            state = self.hass.states.get(entity_id)
            assert state is not None
            states[entity_id] = state.state
        return states

    async def poll(self, minutes: float) -> None:
        self.freezer.tick(timedelta(minutes=minutes))
        async_fire_time_changed(self.hass)
        # Polls run as background tasks, and these ones wait for real sockets.
        await self.hass.async_block_till_done(wait_background_tasks=True)

    def flows(self) -> list[Any]:
        return list(self.hass.config_entries.flow.async_progress_by_handler(DOMAIN))


@pytest.fixture(params=list(HARNESSES))
async def account(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    socket_enabled: None,
) -> AsyncIterator[Account]:
    """An account of each live carrier, set up in Home Assistant against its replay."""
    harness = HARNESSES[request.param]()
    server = ReplayServer(harness.app)
    await server.start()
    resolver = ReplayResolver()
    freezer.move_to(FROZEN_NOW)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"{harness.carrier} account",
        unique_id=f"{harness.carrier}-account",
        data=harness.entry_data(),
    )
    written: list[tuple[str, str]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.domain in {"sensor", "binary_sensor"}:
            written.append((new_state.entity_id, new_state.state))

    with (
        patch("homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=resolver),
        harness.pointed_at(server.base_url + "/"),
    ):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert resolver.lookups, "the integration's session did not use the test's resolver"
        unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, record)
        yield Account(hass, freezer, entry, harness, server, resolver, written)
        unsubscribe()
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    await server.stop()


# --- Faults ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outage:
    """How to break the carrier, and how to mend it."""

    start: Callable[[Account], Awaitable[None]]
    end: Callable[[Account], Awaitable[None]]
    message: str | None = None
    """What the logged error says, when it is the same for every carrier."""
    retry_after: float | None = None


async def _answer_with(account: Account, make: Callable[[CarrierHarness], Answer]) -> None:
    account.harness.fault = make(account.harness)


async def _mend(account: Account) -> None:
    account.harness.fault = None


async def _go_away(account: Account, *, dns: bool) -> None:
    await account.server.stop()
    account.resolver.failing = dns
    for connector in account.hass.data[DATA_CONNECTOR].values():
        assert isinstance(connector, aiohttp.TCPConnector)
        connector.clear_dns_cache()


async def _come_back(account: Account) -> None:
    account.resolver.failing = False
    await account.server.start()


def _slow(account: Account) -> Answer:
    async def answer() -> web.StreamResponse:
        # The carrier sits on the request: time runs on past the adapter's timeout (the test
        # clock is frozen, so move it), and the answer never comes. The server drops this
        # handler when the adapter gives up and closes the connection.
        account.freezer.tick(timedelta(seconds=2 * carrier_http.REQUEST_TIMEOUT))
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    return answer


def _truncated(harness: CarrierHarness) -> Answer:
    figures = harness.figures()
    return _answer(200, figures[: len(figures) // 2], harness.content_type)


OUTAGES: Final[dict[str, Outage]] = {
    "connection_refused": Outage(
        lambda a: _go_away(a, dns=False), _come_back, message="(ClientConnectorError)"
    ),
    "dns_failure": Outage(
        lambda a: _go_away(a, dns=True), _come_back, message="(ClientConnectorDNSError)"
    ),
    "timeout": Outage(
        lambda a: _answer_with(a, lambda _h: _slow(a)), _mend, message="did not answer in time"
    ),
    "server_error": Outage(
        lambda a: _answer_with(a, lambda _h: _answer(500, "Internal Server Error", "text/plain")),
        _mend,
        message="HTTP 500",
    ),
    "rate_limited": Outage(
        lambda a: _answer_with(
            a,
            lambda h: _answer(
                429,
                '{"error": "too many requests"}',
                h.content_type,
                **{"Retry-After": str(RETRY_AFTER)},
            ),
        ),
        _mend,
        message="HTTP 429",
        retry_after=RETRY_AFTER,
    ),
    "maintenance_page": Outage(
        lambda a: _answer_with(a, lambda h: _answer(200, h.maintenance_page(), "text/html")),
        _mend,
        message="maintenance",
    ),
    "truncated": Outage(lambda a: _answer_with(a, _truncated), _mend),
    # Hostile answers (issue #12): a redirect off the carrier's hosts, an answer too big to
    # read, nesting deep enough to break a parser. Each is an outage, never a crash or a 0.
    "redirect_offsite": Outage(
        lambda a: _answer_with(
            a, lambda _h: _answer(307, "", "text/plain", Location="http://attacker.invalid/x")
        ),
        _mend,
        message="outside its own",
    ),
    "huge_body": Outage(
        lambda a: _answer_with(
            a,
            lambda h: _answer(200, "x" * (carrier_http.MAX_BODY_BYTES + 1), h.content_type),
        ),
        _mend,
        message="larger than",
    ),
    "deeply_nested": Outage(
        lambda a: _answer_with(
            a,
            lambda h: _answer(
                200,
                "[" * 100_000 if h.content_type == "application/json" else "<div>" * 100_000,
                h.content_type,
            ),
        ),
        _mend,
    ),
    "renamed_keys": Outage(
        lambda a: _answer_with(a, lambda h: _answer(200, h.renamed_keys(), h.content_type)),
        _mend,
    ),
    "missing_keys": Outage(
        lambda a: _answer_with(a, lambda h: _answer(200, h.missing_keys(), h.content_type)),
        _mend,
    ),
}


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def _assert_no_exception_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("fault", list(OUTAGES))
async def test_outage(account: Account, caplog: pytest.LogCaptureFixture, fault: str) -> None:
    """The entities go unavailable, one line is logged each way, and polling slows down."""
    outage = OUTAGES[fault]
    coordinator = account.entry.runtime_data.coordinator
    before = account.states()
    assert STATE_UNAVAILABLE not in before.values()
    caplog.clear()
    caplog.set_level(logging.INFO, logger=LOGGER.name)

    await outage.start(account)
    logins = account.harness.logins()
    await account.poll(31)
    assert account.harness.logins() - logins <= 1
    assert set(account.states().values()) == {STATE_UNAVAILABLE}
    asked = timedelta(seconds=outage.retry_after or 0)
    # A first failure keeps the usual interval (most outages are short), unless the carrier
    # asked for a longer wait.
    assert coordinator.update_interval == max(UPDATE_INTERVAL, asked)

    requests = account.harness.requests()
    if outage.retry_after is not None:
        # The back-off alone would try again in half an hour; the carrier asked for three.
        for _ in range(5):
            await account.poll(31)
        assert account.harness.requests() == requests
        await account.poll(31)
        assert account.harness.requests() > requests
    else:
        logins = account.harness.logins()
        await account.poll(31)
        assert account.harness.logins() - logins <= 1
    # The second failure in a row doubles the wait (or keeps the carrier's longer one).
    assert coordinator.update_interval == max(2 * UPDATE_INTERVAL, asked)
    assert set(account.states().values()) == {STATE_UNAVAILABLE}
    (error,) = _errors(caplog)
    assert outage.message is None or outage.message in error.getMessage()

    await outage.end(account)
    await account.poll(outage.retry_after / 60 + 1 if outage.retry_after else 61)

    assert _settled(account.states()) == _settled(before)
    assert coordinator.update_interval == UPDATE_INTERVAL
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1
    assert len(_errors(caplog)) == 1
    # Nothing but "unavailable" was written while the carrier failed, then the old figures.
    settled = _settled(before)
    written = [(e, state) for e, state in account.written if e in settled]
    assert {state for _, state in written} <= {STATE_UNAVAILABLE, *settled.values()}
    assert all(state in {STATE_UNAVAILABLE, settled[e]} for e, state in written)
    assert not account.flows()
    assert account.entry.state is ConfigEntryState.LOADED
    _assert_no_exception_logged(caplog)


async def test_numbers_sent_the_other_way_read_the_same(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    before = account.states()
    harness = account.harness
    harness.fault = _answer(200, harness.numbers_reencoded(), harness.content_type)
    caplog.clear()

    await account.poll(31)
    assert harness.requests() > 0
    assert _settled(account.states()) == _settled(before)
    assert not account.written, "the same figures must not write new states"
    assert not _errors(caplog)
    assert not account.flows()


async def test_session_expiry_mid_update_logs_in_once_and_succeeds(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    before = account.states()
    harness = account.harness
    # A usual poll's logins: none with a cookie session; one token renewal for povo, whose
    # 20-minute token is always stale after a 30-minute poll interval.
    logins = harness.logins()
    await account.poll(31)
    usual = harness.logins() - logins
    harness.expire_session()
    caplog.clear()

    logins = harness.logins()
    await account.poll(31)
    assert harness.logins() - logins == usual + 1
    assert _settled(account.states()) == _settled(before)
    assert not _errors(caplog)
    assert not account.flows()


async def test_rejected_credentials_start_reauth_once_and_stop_polling(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    harness = account.harness
    harness.reject_credentials()
    caplog.clear()

    logins = harness.logins()
    await account.poll(31)
    assert harness.logins() - logins == 1
    assert set(account.states().values()) == {STATE_UNAVAILABLE}
    flows = account.flows()
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    # A rejected password is never tried again on its own: carriers lock accounts for that.
    requests = harness.requests()
    for _ in range(6):
        await account.poll(4 * 60 + 1)
    assert harness.requests() == requests
    assert len(account.flows()) == 1
    _assert_no_exception_logged(caplog)


async def test_rejected_credentials_are_not_sent_again_after_restarts(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue #22.7: a restart while reauthentication waits used to send them again."""
    harness, hass, entry = account.harness, account.hass, account.entry
    harness.reject_credentials()
    await account.poll(31)
    assert len(account.flows()) == 1
    requests = harness.requests()
    for _ in range(3):
        assert not await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.state is ConfigEntryState.SETUP_ERROR
    assert harness.requests() == requests
    assert len(account.flows()) == 1
    _assert_no_exception_logged(caplog)


@pytest.mark.parametrize("account", ["iijmio", "povo"], indirect=True)
async def test_missing_figure_reads_unknown_never_zero(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    """A figure the carrier leaves out is unknown; a low-data alert never fires on it."""
    harness = account.harness
    payload = json.loads(harness.figures())
    _drop_keys(payload, {"couponValue", "left"})
    harness.fault = _answer(200, json.dumps(payload), harness.content_type)

    await account.poll(31)
    states = account.states()
    remaining = [s for e, s in states.items() if e.endswith("_remaining_data")]
    assert remaining
    assert set(remaining) == {STATE_UNKNOWN}
    low_data = [s for e, s in states.items() if e.endswith("_low_data")]
    assert "on" not in low_data
    # Used today may read 0: it follows the carrier's own "used" figure where one is given
    # (povo's answer still carries it), and that figure did not grow.
    zeros = [
        e for e, s in states.items() if s in {"0", "0.0", "0.00"} and not e.endswith("_used_today")
    ]
    assert not zeros, zeros
    assert not _errors(caplog)


def _settled(states: dict[str, str]) -> dict[str, str]:
    """States to compare before and after an outage.

    "Used today" is left out: it is unknown until two readings can be compared, and the poll
    that ends an outage is such a second reading, so unknown may rightly become a figure.
    """
    return {e: s for e, s in states.items() if not e.endswith("_used_today")}


def _drop_keys(node: Any, keys: set[str]) -> None:
    if isinstance(node, dict):
        for key in keys & node.keys():
            del node[key]
        for value in node.values():
            _drop_keys(value, keys)
    elif isinstance(node, list):
        for value in node:
            _drop_keys(value, keys)
