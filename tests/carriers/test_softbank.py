"""SoftBank, Y!mobile and LINEMO adapters against a local server replaying the documented pages."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.http import MOBILE_BROWSER_USER_AGENT
from custom_components.japan_sim_data.carriers.models import BucketKind, Carrier, DataBucket
from custom_components.japan_sim_data.carriers.softbank import (
    LinemoAdapter,
    SoftBankAdapter,
    YmobileAdapter,
    _MySoftBankAdapter,
    find_hidden_inputs,
    is_login_page,
    next_reset,
    parse_softbank_usage,
    parse_ymobile_usage,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from tests.conftest import ServeApp

FIXTURES = Path(__file__).parent.parent / "fixtures" / "softbank"

PHONE = "090-1234-5678"
PHONE_DIGITS = "09012345678"
PASSWORD = "s3cret-Pa55"
COOKIE = "SBSESSION"
# Tokyo 2025-04-15 10:00: the period of a line that resets on the 21st ends on 2025-04-20.
NOW = datetime(2025, 4, 15, 10, 0, tzinfo=TOKYO)

SB_HOP = "/msb/d/webLink/doSend/MRERE0000"
YM_ENTRY = "/muc/d/webLink/doSend/MWBWL0130"
YM_HOP = "/muc/d/webLink/doSend/MRERE0000"
LOGIN = "/sbid_auth/type1/2.0/login.php"
USAGE = "/resfe/top/"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def gb(value: float) -> int:
    return round(value * GIB)


def html(name: str, status: int = 200) -> web.Response:
    return web.Response(text=fixture(name), status=status, content_type="text/html")


@dataclass
class FakeMySoftBank:
    """A SoftBank ID portal: ticket page, login, hidden-field hop and usage page on one host."""

    brand: str = "softbank"
    usage_page: str | None = None
    """Serve this page as the usage page instead of the brand's usual one."""
    usage_status: int = 200
    hop_page: str | None = None
    """Serve this page on the hop instead of the real thing (maintenance, errors)."""
    hop_status: int = 200
    entry_page: str | None = None
    login_page: str | None = None
    login_status: int = 200
    remember_sessions: bool = True
    usage_logouts: int = 0
    """How many usage requests find that the session has just expired."""
    sessions: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    @property
    def logins(self) -> int:
        return self.hits.count(f"POST {LOGIN}")

    @property
    def hop_fields(self) -> dict[str, str]:
        if self.brand == "ymobile":
            return {"mfiv": "YIV-123", "mfym": "YM-456"}
        return {"mfiv": "IV-0f9e8d7c", "mfsb": 'SB-"x1"'}

    @property
    def ticket(self) -> str:
        return "YM-TICKET-77" if self.brand == "ymobile" else "TICKET-a1b2c3&d4"

    def forget_sessions(self) -> None:
        self.sessions.clear()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        if self.brand == "ymobile":
            app.router.add_get(YM_ENTRY, self._entry)
            app.router.add_get(YM_HOP, self._hop)
        else:
            app.router.add_get(SB_HOP, self._hop)
        app.router.add_post(LOGIN, self._login)
        app.router.add_post(USAGE, self._usage)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.hits.append(f"{request.method} {request.path}")
        self.user_agents.append(request.headers.get("User-Agent", ""))
        return await handler(request)

    def _logged_in(self, request: web.Request) -> bool:
        return request.cookies.get(COOKIE) in self.sessions

    async def _entry(self, request: web.Request) -> web.Response:
        if self.entry_page is not None:
            return html(self.entry_page)
        return html(f"{self.brand}_entry.html")

    async def _hop(self, request: web.Request) -> web.Response:
        if self.hop_page is not None:
            return html(self.hop_page, self.hop_status)
        if self._logged_in(request):
            return html(f"{self.brand}_hop.html")
        # SoftBank's MRERE0000 is its own login page; Y!mobile's asks for a login without a ticket.
        return html("softbank_entry.html" if self.brand == "softbank" else "session_expired.html")

    async def _login(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.forms.append(form)
        if self.login_page is not None:
            return html(self.login_page, self.login_status)
        right = (
            form.get("telnum") == PHONE_DIGITS
            and form.get("password") == PASSWORD
            and form.get("ticket") == self.ticket
        )
        if not right:
            return html("softbank_login_error.html")
        response = html("softbank_login_ok.html")
        token = secrets.token_hex(8)
        self.issued.append(token)
        if self.remember_sessions:
            self.sessions.add(token)
        response.set_cookie(COOKIE, token)
        return response

    async def _usage(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.forms.append(form)
        if not self._logged_in(request) or form != self.hop_fields:
            return html("session_expired.html")
        if self.usage_logouts:
            self.usage_logouts -= 1
            self.sessions.discard(request.cookies[COOKIE])
            return html("session_expired.html")
        return html(self.usage_page or f"{self.brand}_usage.html", self.usage_status)


async def adapter_for(
    serve: ServeApp,
    session: aiohttp.ClientSession,
    fake: FakeMySoftBank,
    cls: type[_MySoftBankAdapter] = SoftBankAdapter,
    *,
    password: str = PASSWORD,
    reset_day: int = 1,
) -> _MySoftBankAdapter:
    base_url = await serve(fake.app())
    return cls(
        session,
        phone_number=PHONE,
        password=password,
        reset_day=reset_day,
        base_url=base_url,
        clock=lambda: NOW,
    )


# --- SoftBank ---------------------------------------------------------------------------------


async def test_softbank_first_fetch_logs_in_and_reads_every_bucket(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake, reset_day=21)

    usage = await adapter.async_fetch()

    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}", f"GET {SB_HOP}", f"POST {USAGE}"]
    # The login form got the bare digits and the unescaped ticket; the usage page the hop fields.
    assert fake.forms[0] == {
        "telnum": PHONE_DIGITS,
        "password": PASSWORD,
        "ticket": "TICKET-a1b2c3&d4",
    }
    assert fake.forms[1] == {"mfiv": "IV-0f9e8d7c", "mfsb": 'SB-"x1"'}

    sim_id = anonymous_id("softbank", PHONE_DIGITS)
    assert adapter.account_id == sim_id
    assert list(usage.sims) == [sim_id]
    sim = usage.sims[sim_id]
    period_end = end_of_day(date(2025, 4, 20))
    assert sim.buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb(16.48), expires=period_end),
        DataBucket(BucketKind.CARRIED_OVER, remaining=gb(1.20), expires=period_end),
        # "" means 0 (documented), not unknown.
        DataBucket(BucketKind.TOPPING, remaining=0, total=0, expires=period_end),
        DataBucket(BucketKind.GIFT, remaining=gb(0.75), total=gb(1.00), expires=None),
    )
    assert sim.used == gb(3.52)
    assert sim.remaining == gb(16.48) + gb(1.20) + gb(0.75)
    assert sim.allowance is None
    assert sim.number_suffix == "5678"
    assert sim.resets_on == date(2025, 4, 21)
    assert sim.next_expiry == period_end
    assert sim.sim_id == sim_id
    assert PHONE_DIGITS not in sim_id


async def test_softbank_missing_key_leaves_its_bucket_out(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(usage_page="softbank_usage_missing_key.html")
    adapter = await adapter_for(serve, http_session, fake)

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    period_end = end_of_day(date(2025, 4, 30))
    assert sim.buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb(2.25), expires=period_end),
        # Used more than granted: nothing left, never negative.
        DataBucket(BucketKind.TOPPING, remaining=0, total=gb(1.0), expires=period_end),
    )
    assert sim.remaining_of(BucketKind.CARRIED_OVER) is None
    assert sim.remaining_of(BucketKind.GIFT) is None
    assert sim.used == gb(0.75)
    assert sim.resets_on == date(2025, 5, 1)


async def test_softbank_page_without_figures_is_a_parse_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(usage_page="softbank_usage_no_figures.html")
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierParseError, match="none of the expected figures"):
        await adapter.async_fetch()


@pytest.mark.parametrize(
    ("where", "status"),
    [("hop", 200), ("usage", 200), ("hop", 404), ("usage", 403)],
)
async def test_maintenance_page(
    serve: ServeApp, http_session: aiohttp.ClientSession, where: str, status: int
) -> None:
    fake = FakeMySoftBank()
    if where == "hop":
        fake.hop_page, fake.hop_status = "maintenance.html", status
    else:
        fake.usage_page, fake.usage_status = "maintenance.html", status
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierMaintenanceError):
        await adapter.async_fetch()


async def test_server_maintenance_status_is_mapped_by_the_http_layer(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(hop_page="softbank_usage_no_figures.html", hop_status=503)
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierMaintenanceError, match="HTTP 503"):
        await adapter.async_fetch()


@pytest.mark.parametrize(
    ("where", "status", "error"),
    [
        ("hop", 404, CarrierConnectionError),
        ("hop", 200, CarrierParseError),
        ("usage", 404, CarrierConnectionError),
    ],
)
async def test_unexpected_pages(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    where: str,
    status: int,
    error: type[CarrierError],
) -> None:
    fake = FakeMySoftBank()
    if where == "hop":
        fake.hop_page, fake.hop_status = "softbank_usage_no_figures.html", status
    else:
        fake.usage_page, fake.usage_status = "softbank_usage_no_figures.html", status
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(error) as raised:
        await adapter.async_fetch()
    assert type(raised.value) is error


async def test_wrong_password_is_an_auth_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake, password="wrong-password")

    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_login_form_again_without_a_message_is_an_auth_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(login_page="softbank_entry.html")
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierAuthError):
        await adapter.async_login()


@pytest.mark.parametrize(
    ("page", "status", "error"),
    [
        ("maintenance.html", 200, None),
        ("maintenance.html", 403, CarrierMaintenanceError),
        ("softbank_usage_no_figures.html", 403, CarrierConnectionError),
    ],
)
async def test_login_answers_that_are_not_a_rejection(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    page: str,
    status: int,
    error: type[CarrierError] | None,
) -> None:
    fake = FakeMySoftBank(login_page=page, login_status=status)
    adapter = await adapter_for(serve, http_session, fake)

    if error is None:
        # A 200 page that is no login form counts as success; the hop will tell the truth.
        await adapter.async_login()
    else:
        with pytest.raises(error):
            await adapter.async_login()


async def test_session_is_reused_across_fetches(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)

    first = await adapter.async_fetch()
    fake.hits.clear()
    second = await adapter.async_fetch()

    assert first == second
    assert fake.hits == [f"GET {SB_HOP}", f"POST {USAGE}"]


async def test_expired_session_logs_in_again_exactly_once(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)
    await adapter.async_fetch()
    fake.forget_sessions()
    fake.hits.clear()

    usage = await adapter.async_fetch()

    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}", f"GET {SB_HOP}", f"POST {USAGE}"]
    assert usage.sims


async def test_usage_host_logout_fetches_a_ticket_and_logs_in_once(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)
    await adapter.async_fetch()
    fake.usage_logouts = 1
    fake.hits.clear()

    await adapter.async_fetch()

    # The usage host's login page has no ticket, so the entry page is asked for one.
    assert fake.hits == [
        f"GET {SB_HOP}",
        f"POST {USAGE}",
        f"GET {SB_HOP}",
        f"POST {LOGIN}",
        f"GET {SB_HOP}",
        f"POST {USAGE}",
    ]


@pytest.mark.parametrize("usage_logouts", [0, 2])
async def test_login_that_does_not_stick_never_loops(
    serve: ServeApp, http_session: aiohttp.ClientSession, usage_logouts: int
) -> None:
    fake = FakeMySoftBank(remember_sessions=usage_logouts > 0, usage_logouts=usage_logouts)
    adapter = await adapter_for(serve, http_session, fake)
    if usage_logouts:
        await adapter.async_login()
        fake.hits.clear()

    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_async_login(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)

    await adapter.async_login()
    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}"]

    # Logged in already: SoftBank's entry page is the hop page, and no password is sent again.
    fake.hits.clear()
    await adapter.async_login()
    assert fake.hits == [f"GET {SB_HOP}"]
    assert adapter.refreshed_secrets() == {}


@pytest.mark.parametrize(
    ("page", "error"),
    [("maintenance.html", CarrierMaintenanceError), ("ymobile_usage.html", CarrierParseError)],
)
async def test_login_without_a_ticket(
    serve: ServeApp, http_session: aiohttp.ClientSession, page: str, error: type[CarrierError]
) -> None:
    fake = FakeMySoftBank(brand="ymobile", entry_page=page)
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    with pytest.raises(error):
        await adapter.async_login()
    assert fake.logins == 0


async def test_every_request_sends_the_mobile_user_agent(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)
    await adapter.async_fetch()
    await adapter.async_login()

    assert len(fake.user_agents) == 5
    assert set(fake.user_agents) == {MOBILE_BROWSER_USER_AGENT}


# --- Y!mobile and LINEMO ----------------------------------------------------------------------


async def test_ymobile_reads_the_four_tables(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(brand="ymobile")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter, reset_day=11)

    usage = await adapter.async_fetch()

    # MRERE0000 asks for a login without a ticket, so MWBWL0130 hands one out first.
    assert fake.hits == [
        f"GET {YM_HOP}",
        f"GET {YM_ENTRY}",
        f"POST {LOGIN}",
        f"GET {YM_HOP}",
        f"POST {USAGE}",
    ]
    assert fake.forms[0]["ticket"] == "YM-TICKET-77"
    assert fake.forms[1] == {"mfiv": "YIV-123", "mfym": "YM-456"}
    assert set(fake.user_agents) == {MOBILE_BROWSER_USER_AGENT}

    sim = usage.sims[anonymous_id("ymobile", PHONE_DIGITS)]
    period_end = end_of_day(date(2025, 5, 10))
    assert sim.buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb(12.34), expires=period_end),
        DataBucket(BucketKind.CARRIED_OVER, remaining=gb(0.50), expires=period_end),
        DataBucket(BucketKind.TOPPING, remaining=512 * MIB, expires=period_end),
    )
    assert sim.used == gb(3.16)
    assert sim.resets_on == date(2025, 5, 11)
    assert sim.number_suffix == "5678"


async def test_ymobile_wrong_password(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    fake = FakeMySoftBank(brand="ymobile")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter, password="nope")

    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_ymobile_page_without_tables_is_a_parse_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(brand="ymobile", usage_page="softbank_usage.html")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    with pytest.raises(CarrierParseError, match="none of the expected tables"):
        await adapter.async_fetch()


async def test_linemo_uses_the_softbank_stack(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake, LinemoAdapter)

    usage = await adapter.async_fetch()

    assert adapter.carrier is Carrier.LINEMO
    assert adapter.account_id == anonymous_id("linemo", PHONE_DIGITS)
    assert adapter.account_id != anonymous_id("softbank", PHONE_DIGITS)
    assert usage.sims[adapter.account_id].used == gb(3.52)


# --- Secrets ----------------------------------------------------------------------------------


async def test_secrets_never_reach_errors_or_logs(
    serve: ServeApp, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scenarios = [
        (FakeMySoftBank(), "wrong-password"),
        (FakeMySoftBank(usage_page="softbank_usage_no_figures.html"), PASSWORD),
        (FakeMySoftBank(usage_page="maintenance.html"), PASSWORD),
        (FakeMySoftBank(remember_sessions=False), PASSWORD),
        (FakeMySoftBank(hop_page="softbank_usage_no_figures.html", hop_status=404), PASSWORD),
    ]
    messages: list[str] = []
    for fake, password in scenarios:
        adapter = await adapter_for(serve, http_session, fake, password=password)
        with pytest.raises(CarrierError) as raised:
            await adapter.async_fetch()
        messages.append(f"{raised.value} {raised.value!r}")
        http_session.cookie_jar.clear()
    # Tickets, hop fields and session cookies are secrets too.
    issued = [
        value
        for fake, _ in scenarios
        for value in [*fake.issued, *(v for form in fake.forms for v in form.values())]
    ]
    assert issued

    text = "\n".join([*messages, caplog.text])
    for secret in (PHONE, PHONE_DIGITS, PASSWORD, "wrong-password", "TICKET-a1b2c3", *issued):
        assert secret not in text


# --- Pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "reset_day", "expected"),
    [
        (date(2025, 1, 1), 1, date(2025, 2, 1)),
        (date(2025, 1, 31), 1, date(2025, 2, 1)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
        (date(2025, 12, 31), 1, date(2026, 1, 1)),
        (date(2025, 2, 10), 11, date(2025, 2, 11)),
        (date(2025, 2, 11), 11, date(2025, 3, 11)),
        (date(2025, 12, 11), 11, date(2026, 1, 11)),
        (date(2025, 12, 31), 11, date(2026, 1, 11)),
        (date(2025, 1, 20), 21, date(2025, 1, 21)),
        (date(2025, 1, 21), 21, date(2025, 2, 21)),
        (date(2024, 2, 29), 21, date(2024, 3, 21)),
        (date(2025, 12, 25), 21, date(2026, 1, 21)),
    ],
)
def test_next_reset(today: date, reset_day: int, expected: date) -> None:
    assert next_reset(today, reset_day) == expected


def test_next_reset_rejects_other_days() -> None:
    with pytest.raises(ValueError, match="1, 11 or 21"):
        next_reset(date(2025, 1, 1), 15)


async def test_reset_uses_the_tokyo_date(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    base_url = await serve(fake.app())
    # 15:30 UTC on 31 January is already 1 February in Tokyo.
    adapter = SoftBankAdapter(
        http_session,
        phone_number=PHONE,
        password=PASSWORD,
        base_url=base_url + "/",
        clock=lambda: datetime(2025, 1, 31, 15, 30, tzinfo=UTC),
    )

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    assert sim.resets_on == date(2025, 3, 1)
    assert sim.next_expiry == end_of_day(date(2025, 2, 28))


async def test_default_clock_is_tokyo_now(http_session: aiohttp.ClientSession) -> None:
    adapter = SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD)
    now = adapter._clock()
    assert now.tzinfo is TOKYO
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


async def test_constructor_validation(http_session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="reset_day"):
        SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD, reset_day=10)
    with pytest.raises(ValueError, match="phone_number") as raised:
        SoftBankAdapter(http_session, phone_number="12-", password=PASSWORD)
    assert "12-" not in str(raised.value)
    # Full-width digits and hyphens name the same account.
    full_width = SoftBankAdapter(
        http_session, phone_number="０９０－１２３４－５６７８", password=PASSWORD
    )
    assert full_width.account_id == anonymous_id("softbank", PHONE_DIGITS)


async def test_urls(http_session: aiohttp.ClientSession) -> None:
    real = SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD)
    url = "https://re11.my.softbank.jp/resfe/top/?a=1"
    assert real._url(url) == url
    local = SoftBankAdapter(
        http_session, phone_number=PHONE, password=PASSWORD, base_url="http://127.0.0.1:8/x/"
    )
    assert local._url(url) == "http://127.0.0.1:8/x/resfe/top/?a=1"


def test_find_hidden_inputs() -> None:
    assert find_hidden_inputs(fixture("softbank_hop.html")) == {
        "mfiv": "IV-0f9e8d7c",
        "mfsb": 'SB-"x1"',
    }
    assert find_hidden_inputs(fixture("softbank_entry.html")) == {"ticket": "TICKET-a1b2c3&d4"}
    assert find_hidden_inputs('<input type="hidden" value="x"><input type="hidden" name="e">') == {
        "e": ""
    }
    assert find_hidden_inputs("<p>no form</p>") == {}


def test_is_login_page() -> None:
    assert is_login_page(fixture("softbank_entry.html"))
    assert is_login_page(fixture("session_expired.html"))
    assert not is_login_page(fixture("softbank_hop.html"))
    assert not is_login_page(fixture("softbank_usage.html"))


def test_parse_softbank_tolerates_quoting_and_a_missing_marker() -> None:
    parsed = parse_softbank_usage(
        "<script>var d = {remainData: '2.5', 'usedGigaData': 1.25, stepRemainData : \"\"};"
        '"currentGivenData": "1.00"}</script>'
    )
    assert parsed.used == gb(1.25)
    assert parsed.buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb(2.5)),
        DataBucket(BucketKind.CARRIED_OVER, remaining=0),
        # Granted but with no "used" figure: how much is left is unknown.
        DataBucket(BucketKind.GIFT, remaining=None, total=gb(1.0)),
    )


def test_parse_softbank_reads_after_the_marker_and_rejects_garbage() -> None:
    before = '{"remainData": "9.99"} {"chartType": "pie", "remainData": "1.00"}'
    assert parse_softbank_usage(before).buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb(1.0)),
    )
    # A key that is a longer word is not the key.
    assert parse_softbank_usage(
        '"chartType": "pie", "remainDataX": "5", "remainData": "1"'
    ).buckets[0].remaining == gb(1)
    with pytest.raises(CarrierParseError):
        parse_softbank_usage('"chartType": "pie", "remainData": "-"')
    # Only the used figure: no bucket is known, and "" is a real 0 used.
    only_used = parse_softbank_usage('"chartType": "pie", "usedGigaData": ""')
    assert only_used.buckets == ()
    assert only_used.used == 0


def test_parse_ymobile_labels_in_the_first_cell() -> None:
    parsed = parse_ymobile_usage(fixture("ymobile_usage_first_cell_labels.html"))
    assert parsed.used == gb(2.0)
    assert parsed.buckets == (DataBucket(BucketKind.MONTHLY, remaining=gb(1024.5)),)


def test_parse_ymobile_ignores_stray_markup() -> None:
    page = (
        "</td><p>外</p><table> <caption>基本</caption><tr><td>1GB</td></tr>"
        "<tr><td>2GB<td>3GB</table></div>"
    )
    assert parse_ymobile_usage(page).buckets == (DataBucket(BucketKind.MONTHLY, remaining=GIB),)
    with pytest.raises(CarrierParseError):
        parse_ymobile_usage("<table><caption>基本</caption><tr><td>―</td></tr></table>")
