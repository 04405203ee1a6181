"""Tests of the povo 2.0 adapter against a local server replaying the documented answers."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, Carrier, SimUsage
from custom_components.japan_sim_data.carriers.povo import (
    APP_VERSION,
    AUTH_PATH,
    LOGIN_ACTION_PATH,
    OTP_PATH,
    PLAN_DETAILS_PATH,
    PROFILE_PATH,
    TOKEN_PATH,
    USAGE_PATH,
    USER_AGENT,
    PovoAdapter,
    PovoCodeRejectedError,
    PovoLine,
    new_device_id,
    parse_expiry,
    parse_plan_details,
    parse_profile,
    parse_usage,
    parse_used,
)
from custom_components.japan_sim_data.carriers.units import GIB, KIB, MIB
from tests.conftest import ServeApp

FIXTURES = Path(__file__).parent.parent / "fixtures" / "povo"

EMAIL = "Owner@Example.com"
DEVICE_ID = "0123456789abcdef0123456789abcdef"
STORED_TOKEN = "token-stored-0001"
CODE = "482913"
SIN = "SIN0009876543"
UUID = "4611686018427387904"
CHALLENGE = "challenge-7f3a"
SECRETS = (EMAIL, EMAIL.lower(), DEVICE_ID, STORED_TOKEN, CODE, SIN, UUID, CHALLENGE, "token-")

START = datetime(2026, 5, 1, 12, 0, tzinfo=TOKYO)
EXPIRY = datetime(2099, 12, 31, 23, 59, 59, tzinfo=TOKYO)


def tokyo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def maintenance_page() -> str:
    return (FIXTURES / "maintenance.html").read_text(encoding="utf-8")


type Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakePovo:
    """povo's API as carriers.md describes it: tokens expire, renew, and scope every call."""

    def __init__(self) -> None:
        self.valid_tokens = {STORED_TOKEN}
        self.issued = 0
        self.refuse_refresh = False
        self.answers = {
            PROFILE_PATH: fixture("profile.json"),
            USAGE_PATH: fixture("usage_boost_only.json"),
            PLAN_DETAILS_PATH: fixture("plan_details.json"),
        }
        # One-shot replies that replace the normal behaviour of a path.
        self.once: dict[str, list[Reply]] = {}
        self.calls: list[tuple[str, str]] = []
        self.bodies: dict[str, Any] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.queries: dict[str, dict[str, str]] = {}

    @property
    def refreshes(self) -> int:
        return sum(1 for _, path in self.calls if path == TOKEN_PATH)

    def expire_all_tokens(self) -> None:
        self.valid_tokens.clear()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_post(LOGIN_ACTION_PATH, self._login_action)
        app.router.add_post(OTP_PATH, self._otp)
        app.router.add_post(AUTH_PATH, self._auth)
        app.router.add_get(TOKEN_PATH, self._token)
        for path in (PROFILE_PATH, USAGE_PATH, PLAN_DETAILS_PATH):
            app.router.add_get(path, self._data)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Reply) -> web.StreamResponse:
        path = request.path
        self.calls.append((request.method, path))
        self.headers[path] = dict(request.headers)
        self.queries[path] = dict(request.query)
        if request.can_read_body:
            self.bodies[path] = await request.json()
        if self.once.get(path):
            return await self.once[path].pop(0)(request)
        return await handler(request)

    def _new_token(self) -> str:
        self.issued += 1
        token = f"token-renewed-{self.issued}"
        self.valid_tokens.add(token)
        return token

    async def _login_action(self, request: web.Request) -> web.Response:
        return web.json_response(fixture("login_action.json"))

    async def _otp(self, request: web.Request) -> web.Response:
        return web.json_response(fixture("otp.json"))

    async def _auth(self, request: web.Request) -> web.Response:
        body = self.bodies[AUTH_PATH]
        if body["email_auth"]["otp_code"] != CODE:
            return web.json_response(fixture("auth_rejected.json"), status=400)
        self.valid_tokens.add("token-from-code")
        return web.json_response(fixture("auth.json"))

    async def _token(self, request: web.Request) -> web.Response:
        # Renewal works after expiry (carriers.md); only a refusal stops it.
        if self.refuse_refresh or not request.headers.get("X-AUTH"):
            return web.json_response(fixture("token_expired.json"), status=401)
        answer = fixture("token.json")
        answer["result"]["auth_token"] = self._new_token()
        return web.json_response(answer)

    async def _data(self, request: web.Request) -> web.Response:
        if request.headers.get("X-AUTH") not in self.valid_tokens:
            return web.json_response(fixture("token_expired.json"), status=401)
        return web.json_response(self.answers[request.path])


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


type MakeAdapter = Callable[..., Awaitable[PovoAdapter]]


@pytest.fixture
def povo() -> FakePovo:
    return FakePovo()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_adapter(
    povo: FakePovo, serve: ServeApp, http_session: aiohttp.ClientSession, clock: Clock
) -> MakeAdapter:
    async def make(**overrides: Any) -> PovoAdapter:
        options: dict[str, Any] = {
            "email": EMAIL,
            "device_id": DEVICE_ID,
            "auth_token": STORED_TOKEN,
            "base_url": await serve(povo.app()) + "/",
            "clock": clock,
        }
        options.update(overrides)
        return PovoAdapter(http_session, **options)

    return make


def only_sim(usage: Any) -> SimUsage:
    assert len(usage.sims) == 1
    sim: SimUsage = next(iter(usage.sims.values()))
    return sim


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    async def answer(request: web.Request) -> web.Response:
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body if body is not None else {}, status=status, headers=headers)

    return answer


# -- login by e-mail one-time code ------------------------------------------------------------


def test_new_device_id() -> None:
    first, second = new_device_id(), new_device_id()
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


async def test_request_and_submit_code(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(auth_token=None, clock=None)
    assert adapter.carrier is Carrier.POVO
    assert adapter.refreshed_secrets() == {}

    await adapter.async_request_code()
    # Typed with a Japanese input method: full-width digits and a stray space.
    await adapter.async_submit_code(" ４８２９１３ ")

    assert povo.calls == [("POST", LOGIN_ACTION_PATH), ("POST", OTP_PATH), ("POST", AUTH_PATH)]
    assert povo.bodies[LOGIN_ACTION_PATH] == {"email": "Owner@Example.com"}
    assert povo.bodies[OTP_PATH] == {
        "email": "Owner@Example.com",
        "request_type": "LOGIN_EMAIL_OTP",
        "auth_mode": "ENHANCED_EMAIL_OTP",
        "otp_duration": 15,
        "device_id": DEVICE_ID,
    }
    assert povo.bodies[AUTH_PATH]["email_auth"] == {
        "auth_id": CHALLENGE,
        "otp_code": CODE,
        "device_id": DEVICE_ID,
    }
    assert povo.bodies[AUTH_PATH]["device"]["device_id"] == DEVICE_ID
    for path in (LOGIN_ACTION_PATH, OTP_PATH, AUTH_PATH):
        assert povo.headers[path]["X-App-Version"] == APP_VERSION == "1.69.0-JP"
        assert povo.headers[path]["User-Agent"] == USER_AGENT == "okhttp/4.12.0"
        assert "X-AUTH" not in povo.headers[path]
    assert adapter.refreshed_secrets() == {"auth_token": "token-from-code"}

    # The fresh token is used as it is: no renewal right after logging in.
    usage = await adapter.async_fetch()
    assert povo.refreshes == 0
    assert povo.headers[USAGE_PATH]["X-AUTH"] == "token-from-code"
    assert only_sim(usage).remaining == 120 * GIB


async def test_wrong_code(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(PovoCodeRejectedError):
        await adapter.async_submit_code("000000")
    assert adapter.refreshed_secrets() == {}
    # The challenge survives a typo: the right code still works.
    await adapter.async_submit_code(CODE)
    assert adapter.refreshed_secrets() == {"auth_token": "token-from-code"}


async def test_code_refused_with_success_false(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[AUTH_PATH] = [reply(200, fixture("auth_rejected.json"))]
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(PovoCodeRejectedError):
        await adapter.async_submit_code(CODE)


async def test_submit_before_request_or_empty(make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(CarrierAuthError) as err:
        await adapter.async_submit_code(CODE)
    assert not isinstance(err.value, PovoCodeRejectedError)
    await adapter.async_request_code()
    with pytest.raises(PovoCodeRejectedError):
        await adapter.async_submit_code("  ")


@pytest.mark.parametrize(
    ("path", "answer", "error"),
    [
        (LOGIN_ACTION_PATH, reply(404, {"success": False}), CarrierAuthError),
        (OTP_PATH, reply(400, {"success": False}), CarrierAuthError),
        (OTP_PATH, reply(200, {"success": False}), CarrierAuthError),
        (OTP_PATH, reply(200, {"success": True, "result": {}}), CarrierParseError),
        (OTP_PATH, reply(200, {"result": {"auth_id": ""}}), CarrierParseError),
        (LOGIN_ACTION_PATH, reply(200, maintenance_page()), CarrierMaintenanceError),
    ],
)
async def test_request_code_failures(
    povo: FakePovo, make_adapter: MakeAdapter, path: str, answer: Reply, error: type[Exception]
) -> None:
    povo.once[path] = [answer]
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(error):
        await adapter.async_request_code()


async def test_auth_answer_without_token(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[AUTH_PATH] = [reply(200, {"success": True, "result": {"first_login": True}})]
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(CarrierParseError):
        await adapter.async_submit_code(CODE)


async def test_no_token_stored(make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(CarrierAuthError):
        await adapter.async_login()
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()


def test_account_id_hides_the_email(http_session: aiohttp.ClientSession) -> None:
    first = PovoAdapter(http_session, email=EMAIL, device_id=DEVICE_ID)
    second = PovoAdapter(http_session, email=" owner@example.com", device_id=new_device_id())
    assert first.account_id == second.account_id
    assert "owner" not in first.account_id
    assert re.fullmatch(r"[0-9a-f]{16}", first.account_id)


# -- token lifetime --------------------------------------------------------------------------


async def test_login_renews_the_stored_token(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter()
    await adapter.async_login()
    assert povo.refreshes == 1
    assert povo.headers[TOKEN_PATH]["X-AUTH"] == STORED_TOKEN
    assert adapter.refreshed_secrets() == {"auth_token": "token-renewed-1"}
    await adapter.async_fetch()
    assert povo.refreshes == 1


async def test_stored_token_of_unknown_age_is_renewed_before_use(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    await adapter.async_fetch()
    assert povo.calls[0] == ("GET", TOKEN_PATH)
    assert povo.refreshes == 1


async def test_token_expired_mid_update(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter()
    await adapter.async_login()
    povo.calls.clear()
    # The profile call still works, then povo expires the token.
    povo.once[USAGE_PATH] = [reply(401, fixture("token_expired.json"))]

    sim = only_sim(await adapter.async_fetch())

    assert povo.calls == [
        ("GET", PROFILE_PATH),
        ("GET", USAGE_PATH),
        ("GET", TOKEN_PATH),
        ("GET", USAGE_PATH),
        ("GET", PLAN_DETAILS_PATH),
    ]
    assert povo.headers[USAGE_PATH]["X-AUTH"] == "token-renewed-2"
    assert sim.remaining == 120 * GIB
    assert adapter.refreshed_secrets() == {"auth_token": "token-renewed-2"}


async def test_refused_refresh(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.refuse_refresh = True
    adapter = await make_adapter()
    with pytest.raises(CarrierAuthError):
        await adapter.async_login()
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert adapter.refreshed_secrets() == {}


async def test_refresh_answered_success_false(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[TOKEN_PATH] = [reply(200, fixture("token_expired.json"))]
    adapter = await make_adapter()
    with pytest.raises(CarrierAuthError):
        await adapter.async_login()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (reply(200, {"success": True, "result": {}}), CarrierParseError),
        (reply(404, {"message": "Not Found"}), CarrierParseError),
        (reply(403, maintenance_page()), CarrierMaintenanceError),
    ],
)
async def test_refresh_not_understood(
    povo: FakePovo, make_adapter: MakeAdapter, answer: Reply, error: type[Exception]
) -> None:
    povo.once[TOKEN_PATH] = [answer]
    adapter = await make_adapter()
    with pytest.raises(error) as err:
        await adapter.async_login()
    assert not isinstance(err.value, CarrierAuthError)


async def test_renewed_token_still_refused(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter()
    await adapter.async_login()
    povo.calls.clear()
    povo.once[PROFILE_PATH] = [reply(401, fixture("token_expired.json"))] * 2
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert povo.refreshes == 1


async def test_proactive_refresh(povo: FakePovo, make_adapter: MakeAdapter, clock: Clock) -> None:
    adapter = await make_adapter()
    await adapter.async_login()
    assert povo.refreshes == 1

    clock.now += timedelta(seconds=1099)
    await adapter.async_fetch()
    assert povo.refreshes == 1

    clock.now += timedelta(seconds=1)  # 1100 s old: renew before povo's 1200 s are up
    povo.calls.clear()
    await adapter.async_fetch()
    assert povo.calls[0] == ("GET", TOKEN_PATH)
    assert povo.refreshes == 1  # counted since clear(): exactly one renewal
    assert adapter.refreshed_secrets() == {"auth_token": "token-renewed-2"}

    clock.now += timedelta(seconds=600)
    povo.calls.clear()
    await adapter.async_fetch()
    assert povo.refreshes == 0


# -- usage -------------------------------------------------------------------------------------


async def test_fetch_topped_up_line(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter()
    await adapter.async_login()
    sim = only_sim(await adapter.async_fetch())

    # Toppings land in boost: a line with nothing in basic is not empty.
    assert sim.remaining == 125829120 * KIB == 120 * GIB
    assert sim.remaining_of(BucketKind.TOPPING) == 120 * GIB
    assert sim.remaining_of(BucketKind.MONTHLY) == 0
    assert sim.used == 0
    assert sim.allowance == 0
    assert [bucket.kind for bucket in sim.buckets] == [
        BucketKind.MONTHLY,
        BucketKind.TOPPING,
        BucketKind.TOPPING,
        BucketKind.GIFT,
        BucketKind.GIFT,
    ]
    # The drained 1 GB topping expires sooner, but the data left expires in 2099.
    assert sim.next_expiry == EXPIRY
    assert all(bucket.expires == EXPIRY for bucket in sim.buckets)
    assert sim.sim_id not in {SIN, UUID}
    assert re.fullmatch(r"[0-9a-f]{16}", sim.sim_id)
    assert povo.queries[USAGE_PATH] == {"sin": SIN, "uuid": UUID}
    assert povo.queries[PLAN_DETAILS_PATH] == {"sin": SIN, "uuid": UUID}
    assert povo.queries[PROFILE_PATH] == {"include_telco": "true"}

    # The profile is read once: the line does not change.
    povo.calls.clear()
    again = only_sim(await adapter.async_fetch())
    assert ("GET", PROFILE_PATH) not in povo.calls
    assert again == sim


async def test_fetch_all_zero(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.answers[USAGE_PATH] = fixture("usage_all_zero.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    # Every bucket said 0: a real zero, not unknown.
    assert sim.remaining == 0
    assert sim.used == 0
    assert len(sim.buckets) == 5
    assert sim.next_expiry == EXPIRY


async def test_fetch_absent_buckets(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.answers[USAGE_PATH] = fixture("usage_partial.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    # extra and plus are missing and bonus is null: not created, not zero.
    assert [bucket.kind for bucket in sim.buckets] == [BucketKind.MONTHLY, BucketKind.TOPPING]
    assert sim.remaining == round(58147676.87109375 * KIB)
    assert sim.used == 1024 * KIB + 1024 * MIB
    assert sim.allowance == 3 * GIB
    assert sim.remaining_of(BucketKind.GIFT) is None


async def test_fetch_unreadable_expiry(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.answers[PLAN_DETAILS_PATH] = fixture("plan_details_unreadable.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert sim.next_expiry is None
    assert all(bucket.expires is None for bucket in sim.buckets)
    assert sim.remaining == 120 * GIB


async def test_profile_without_uuid(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.answers[PROFILE_PATH] = {"result": {"telco_info": {"service_instance_number": 12345}}}
    adapter = await make_adapter()
    await adapter.async_fetch()
    assert povo.queries[USAGE_PATH] == {"sin": "12345"}


# -- failures ----------------------------------------------------------------------------------


async def test_rate_limited(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[USAGE_PATH] = [reply(429, {"message": "Too Many Requests"}, {"Retry-After": "120"})]
    adapter = await make_adapter()
    with pytest.raises(CarrierRateLimitError) as err:
        await adapter.async_fetch()
    assert err.value.retry_after == 120.0
    assert povo.refreshes == 1  # only the renewal of the stored token: no retry on 429


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (reply(500, {"message": "Internal Server Error"}), CarrierConnectionError),
        (reply(502, {"message": "Bad Gateway"}), CarrierConnectionError),
        (reply(503, maintenance_page()), CarrierMaintenanceError),
        (reply(200, maintenance_page()), CarrierMaintenanceError),
        (reply(403, maintenance_page()), CarrierMaintenanceError),
        (reply(404, {"message": "Not Found"}), CarrierParseError),
        (reply(200, {"success": False, "result": {"message": "error"}}), CarrierParseError),
        (reply(200, {"data": {"promotion_text": {}}}), CarrierParseError),
        (reply(200, {"data": {"boost": [1, 2]}}), CarrierParseError),
    ],
)
async def test_usage_failures(
    povo: FakePovo, make_adapter: MakeAdapter, answer: Reply, error: type[Exception]
) -> None:
    povo.once[USAGE_PATH] = [answer]
    adapter = await make_adapter()
    with pytest.raises(error) as err:
        await adapter.async_fetch()
    assert not isinstance(err.value, CarrierAuthError)
    assert povo.refreshes == 1


async def test_connection_dropped(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    async def hang_up(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    povo.once[LOGIN_ACTION_PATH] = [hang_up]
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(CarrierConnectionError):
        await adapter.async_request_code()


async def test_secrets_never_in_errors_or_logs(
    povo: FakePovo, make_adapter: MakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[CarrierError] = []

    async def collect(call: Awaitable[Any]) -> None:
        try:
            await call
        except CarrierError as err:
            errors.append(err)

    adapter = await make_adapter(auth_token=None)
    await collect(adapter.async_submit_code(CODE))
    await collect(adapter.async_login())
    await collect(adapter.async_fetch())
    await adapter.async_request_code()
    await collect(adapter.async_submit_code("999999"))
    await adapter.async_submit_code(CODE)
    povo.once[PROFILE_PATH] = [reply(401, fixture("token_expired.json"))] * 2
    await collect(adapter.async_fetch())
    povo.answers[PROFILE_PATH] = {"result": {"email": EMAIL, "telco_info": {}}}
    await collect(adapter.async_fetch())
    povo.refuse_refresh = True
    await collect(adapter.async_login())
    stored = await make_adapter()
    povo.refuse_refresh = False
    povo.once[USAGE_PATH] = [reply(429, {"message": EMAIL}, {"Retry-After": "60"})]
    povo.answers[PROFILE_PATH] = fixture("profile.json")
    await collect(stored.async_fetch())
    povo.once[USAGE_PATH] = [reply(400, {"success": False, "message": SIN})]
    await collect(stored.async_fetch())

    assert len(errors) == 9
    ours = [r for r in caplog.records if r.name.startswith("custom_components.japan_sim_data")]
    assert ours  # the renewals were logged, without secrets
    texts = [str(err) for err in errors] + [record.getMessage() for record in ours]
    for text in texts:
        for secret in SECRETS:
            assert secret.lower() not in text.lower()


# -- pure parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2099年 12月 31日 午後11:59\n残り 999 日間", tokyo("2099-12-31 23:59:59")),
        ("2026年 6月 1日 午前9:05\n残り 31 日間", tokyo("2026-06-01 09:05:59")),
        ("2026年 6月 1日 午後12:30", tokyo("2026-06-01 12:30:59")),
        ("2026年 6月 1日 午前12:30", tokyo("2026-06-01 00:30:59")),
        ("２０２６年　６月　１日　午後１１：５９", tokyo("2026-06-01 23:59:59")),
        ("2026年6月1日 23:59", tokyo("2026-06-01 23:59:59")),
        ("有効期限 2026年 6月 1日", tokyo("2026-06-01 23:59:59")),
        ("2026年 2月 30日 午後11:59", None),
        ("2026年 6月 1日 午後13:00", None),
        ("2026年 6月 1日 25:00", None),
        ("2026年 6月 1日 10:75", None),
        ("まもなく表示されます", None),
        ("", None),
    ],
)
def test_parse_expiry(text: str, expected: datetime | None) -> None:
    parsed = parse_expiry(text)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is TOKYO


def test_parse_usage_binary_kilobytes() -> None:
    payload = {"data": {"boost": {"left": 125829120, "used": 0, "unit": "kilobytes"}}}
    (bucket,) = parse_usage(payload)
    assert bucket.remaining == 120 * GIB == 128849018880
    assert bucket.total is None
    # A bucket without a unit is in the documented kilobytes.
    (bucket,) = parse_usage({"data": {"basic": {"left": 1, "used": 2}}})
    assert bucket.remaining == KIB
    assert parse_used({"data": {"basic": {"left": 1}}}) is None


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "data",
        {"data": {}},
        {"data": {"basic": "0"}},
        {"data": {"basic": {"left": -1, "unit": "kilobytes"}}},
        {"data": {"basic": {"left": "lots", "unit": "kilobytes"}}},
        {"data": {"basic": {"left": 1, "unit": "parsecs"}}},
        {"data": {"basic": {"left": 1, "unit": 1024}}},
        {"data": {"basic": {"left": True, "unit": "kilobytes"}}},
    ],
)
def test_parse_usage_malformed(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_usage(payload)


def test_parse_profile() -> None:
    assert parse_profile(fixture("profile.json")) == PovoLine(sin=SIN, uuid=UUID)
    assert parse_profile({"sin": " 42 ", "uuid": True}) == PovoLine(sin="42")
    assert PovoLine(sin="42").params() == {"sin": "42"}
    assert SIN not in repr(PovoLine(sin=SIN, uuid=UUID))
    assert UUID not in repr(PovoLine(sin=SIN, uuid=UUID))
    unreadable: list[Any] = [{}, {"result": {"sin": ""}}, {"sin": False}, {"sin": {"id": 1}}, []]
    for payload in [*unreadable, None]:
        with pytest.raises(CarrierParseError):
            parse_profile(payload)


def test_parse_plan_details_tolerates_reshaped_pages() -> None:
    assert parse_plan_details(fixture("plan_details.json")) == EXPIRY
    assert parse_plan_details(None) is None
    assert parse_plan_details({"widgets": []}) is None
    tile = "povo-tile-plan-detail"
    soon = "2026年 6月 1日 午前9:00"
    late = "2026年 7月 1日 午前9:00"
    page = {
        "result": {
            "pageWidgets": [
                {
                    "items": [
                        {"type": tile, "data": {"expiry": {"value": 20260601}}},
                        {"type": tile, "data": {"expiry": "2026年 5月 1日"}},
                        # Fields inline instead of under "data".
                        {"type": tile, "expiry": {"value": late}, "remaining": {"value": None}},
                        # Remaining texts that cannot be read count as holding data.
                        {
                            "type": tile,
                            "data": {"expiry": {"value": soon}, "remaining": {"value": "使い放題"}},
                        },
                    ]
                }
            ]
        }
    }
    assert parse_plan_details(page) == datetime(2026, 6, 1, 9, 0, 59, tzinfo=TOKYO)
    odd = {"type": tile, "data": {"expiry": {"value": soon}, "remaining": {"value": "1.2.3GB"}}}
    assert parse_plan_details([odd]) == datetime(2026, 6, 1, 9, 0, 59, tzinfo=TOKYO)
    # Only drained toppings: their soonest expiry still says when the line's validity ends.
    drained = [
        {"type": tile, "data": {"expiry": {"value": late}, "remaining": {"value": "0GB / 1GB"}}},
        {"type": tile, "data": {"expiry": {"value": soon}, "remaining": {"value": "０ＭＢ"}}},
    ]
    assert parse_plan_details({"widgets": [{"components": drained}]}) == datetime(
        2026, 6, 1, 9, 0, 59, tzinfo=TOKYO
    )
