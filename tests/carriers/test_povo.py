"""Tests of the povo 2.0 adapter against a local server replaying the captured answers.

The answers are the fixtures in tests/fixtures/povo (README there names each one's source):
roflsunriz/esp32-povo-2.0 @ bd9b0d04 ("esp32") and uirooong/povo-android @ 93399762
("povo-android").
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)
from custom_components.japan_sim_data.carriers.models import (
    BucketKind,
    Carrier,
    DailyUsage,
    SimUsage,
)
from custom_components.japan_sim_data.carriers.povo import (
    APP_VERSION,
    AUTH_PATH,
    LOGIN_ACTION_PATH,
    OTP_PATH,
    PLAN_DETAILS_PATH,
    PROFILE_PATH,
    TOKEN_PATH,
    USAGE_HISTORY_PATH,
    USAGE_PATH,
    USER_AGENT,
    PlanTile,
    PovoAdapter,
    PovoCodeRejectedError,
    PovoDeviceRejectedError,
    PovoLine,
    PovoMoreAuthNeededError,
    new_device_id,
    parse_expiry,
    parse_plan_details,
    parse_plan_tiles,
    parse_profile,
    parse_token,
    parse_usage,
    parse_usage_history,
    parse_used,
    request_uuid,
    unlimited_until,
)
from custom_components.japan_sim_data.carriers.units import GIB, KIB, MIB
from tests.conftest import ServeApp
from tests.helpers import Clock

FIXTURES = Path(__file__).parent.parent / "fixtures" / "povo"

EMAIL = "Owner@Example.com"
DEVICE_ID = "0123456789abcdef0123456789abcdef"
EXTERNAL_ID = "ext-0000"
CODE = "482913"
LINE = "LW000000000"
CHALLENGE = "challenge-7f3a"
JWT_HEADER = "eyJhbGciOiJIUzI1NiJ9"  # {"alg":"HS256"}

START = datetime(2026, 5, 1, 12, 0, tzinfo=TOKYO)
LIFETIME = timedelta(seconds=1200)  # povo-android PHASE1-FINDINGS.md: every token, 1200 s
EXPIRY = datetime(2027, 4, 30, 23, 59, tzinfo=TOKYO)
"""plan_details_dated.json: the povo-android sample with a plausible expiry."""
SIGNED_64 = re.compile(r"-?(0|[1-9]\d{0,18})")


def make_jwt(claims: dict[str, Any], header: str = JWT_HEADER) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.c2lnbmF0dXJl"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# A stored token is usually stale: it lived 20 minutes, long ago.
STORED_TOKEN = make_jwt(
    {"iss": "circles", "external_id": EXTERNAL_ID, "exp": epoch(datetime(2024, 1, 1, tzinfo=UTC))}
)
SECRETS = (EMAIL, EMAIL.lower(), DEVICE_ID, EXTERNAL_ID, CODE, LINE, CHALLENGE, JWT_HEADER)


def tokyo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def maintenance_page() -> str:
    return (FIXTURES / "maintenance.html").read_text(encoding="utf-8")


type Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _tokyo_now() -> datetime:
    return datetime.now(TOKYO)


class FakePovo:
    """povo's API as the captures show it: JWTs expire, renew, and are bound to a device."""

    def __init__(
        self,
        now: Callable[[], datetime] = _tokyo_now,
        device_id: str = DEVICE_ID,
        external_id: str = EXTERNAL_ID,
        stored_token: str = STORED_TOKEN,
    ) -> None:
        self.now = now
        self.device_id = device_id
        self.external_id = external_id
        self.valid_tokens = {stored_token}
        self.issued: list[str] = []
        self.refuse_refresh = False
        self.answers = {
            PROFILE_PATH: fixture("profile.json"),
            USAGE_PATH: fixture("usage_plan_account.json"),
            PLAN_DETAILS_PATH: fixture("plan_details_dated.json"),
            USAGE_HISTORY_PATH: fixture("usage_history_daily.json"),
        }
        # One-shot replies that replace the normal behaviour of a path.
        self.once: dict[str, list[Reply]] = {}
        self.calls: list[tuple[str, str]] = []
        self.bodies: dict[str, Any] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.queries: dict[str, dict[str, str]] = {}
        self.request_ids: list[str] = []
        self.uuids: list[str] = []

    @property
    def refreshes(self) -> int:
        return sum(1 for _, path in self.calls if path == TOKEN_PATH)

    def expire_all_tokens(self) -> None:
        self.valid_tokens.clear()

    def token_header(self, label: str) -> str:
        """The JWT's first segment; the sentinel test puts a marker there."""
        return JWT_HEADER

    def issue(self, label: str) -> str:
        claims = {
            "iss": "circles",
            "external_id": self.external_id,
            "exp": epoch(self.now() + LIFETIME),
            "jti": f"{label}-{len(self.issued)}",
        }
        token = make_jwt(claims, self.token_header(label))
        self.issued.append(token)
        self.valid_tokens.add(token)
        return token

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_post(LOGIN_ACTION_PATH, self._login_action)
        app.router.add_post(OTP_PATH, self._otp)
        app.router.add_post(AUTH_PATH, self._auth)
        app.router.add_get(TOKEN_PATH, self._token)
        for path in (PROFILE_PATH, USAGE_PATH, PLAN_DETAILS_PATH, USAGE_HISTORY_PATH):
            app.router.add_get(path, self._data)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Reply) -> web.StreamResponse:
        path = request.path
        self.calls.append((request.method, path))
        self.headers[path] = dict(request.headers)
        self.queries[path] = dict(request.query)
        self.request_ids.append(request.headers.get("X-REQUEST-ID", ""))
        if request.can_read_body:
            self.bodies[path] = await request.json()
            self.uuids.append(self.bodies[path].get("uuid"))
        if "uuid" in request.query:
            self.uuids.append(request.query["uuid"])
        if self.once.get(path):
            return await self.once[path].pop(0)(request)
        return await handler(request)

    def _bound_to_device(self, request: web.Request) -> bool:
        return (
            request.headers.get("X-Deviceid") == self.device_id
            and request.headers.get("X-USER-ID") == self.external_id
        )

    async def _login_action(self, request: web.Request) -> web.Response:
        return web.json_response(fixture("login_action.json"))

    async def _otp(self, request: web.Request) -> web.Response:
        return web.json_response(fixture("otp.json"))

    async def _auth(self, request: web.Request) -> web.Response:
        body = self.bodies[AUTH_PATH]
        if body["email_auth"]["otp_code"] != CODE:
            return web.json_response(fixture("auth_rejected.json"), status=401)
        answer = fixture("auth.json")
        answer["result"]["auth_token"] = self.issue("code")
        return web.json_response(answer)

    def expired(self, token: str) -> bool:
        """A token past its `exp` claim (povo-android PHASE1: 401 "Token Expired")."""
        segment = token.split(".")[1]
        exp = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))).get("exp")
        return isinstance(exp, int) and exp <= epoch(self.now())

    def usable(self, token: str | None) -> bool:
        return token in self.valid_tokens and not self.expired(token)

    async def _token(self, request: web.Request) -> web.Response:
        # Renewal works after expiry (povo-android PHASE1); only a refusal stops it.
        presented = request.headers.get("X-AUTH")
        if self.refuse_refresh or not presented:
            return web.json_response(fixture("token_expired.json"), status=401)
        if not self._bound_to_device(request):
            return web.json_response(fixture("device_rejected.json"), status=403)
        answer = fixture("token.json")
        # Renewed before its expiry, a token comes back unchanged (povo-android PHASE1, Jwt.kt).
        usable = self.usable(presented)
        answer["result"]["auth_token"] = presented if usable else self.issue("renewed")
        return web.json_response(answer)

    async def _data(self, request: web.Request) -> web.Response:
        if not self.usable(request.headers.get("X-AUTH")):
            return web.json_response(fixture("token_expired.json"), status=401)
        if not self._bound_to_device(request):
            return web.json_response(fixture("device_rejected.json"), status=403)
        return web.json_response(self.answers[request.path])


type MakeAdapter = Callable[..., Awaitable[PovoAdapter]]


# The povo modules' fixtures, named so that test_povo_turnover.py imports them unshadowed.
@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(START)


@pytest.fixture(name="povo")
def povo_fixture(clock: Clock) -> FakePovo:
    return FakePovo(now=clock)


@pytest.fixture(name="make_adapter")
def make_adapter_fixture(
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


def auth_answer(**result: Any) -> Reply:
    """A users/auth (or users/token) answer as captured, with these result fields."""
    return reply(200, {"success": True, "result": result})


def good_token(**claims: Any) -> str:
    base = {"iss": "circles", "external_id": EXTERNAL_ID, "exp": epoch(START + LIFETIME)}
    return make_jwt(base | claims)


# -- login by e-mail one-time code ------------------------------------------------------------


def test_new_device_id_and_request_uuid() -> None:
    first, second = new_device_id(), new_device_id()
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    uuids = {request_uuid() for _ in range(50)}
    assert len(uuids) == 50
    for value in uuids:
        assert SIGNED_64.fullmatch(value)
        assert -(2**63) <= int(value) < 2**63


async def test_request_and_submit_code(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    """The login as esp32 captured it: v3 login action, v4 otp, v5/public users/auth."""
    adapter = await make_adapter(auth_token=None)
    assert adapter.carrier is Carrier.POVO
    assert adapter.refreshed_secrets() == {}

    await adapter.async_request_code()
    # Typed with a Japanese input method: full-width digits and a stray space.
    await adapter.async_submit_code(" ４８２９１３ ")

    assert povo.calls == [("POST", LOGIN_ACTION_PATH), ("POST", OTP_PATH), ("POST", AUTH_PATH)]
    assert LOGIN_ACTION_PATH == "/api/v3/user-service/v3/jp/ja/mobile/users/login/action"
    action = povo.bodies[LOGIN_ACTION_PATH]
    assert action == {"email": "Owner@Example.com", "uuid": action["uuid"]}
    otp = povo.bodies[OTP_PATH]
    assert otp == {
        "device_id": DEVICE_ID,
        "email": "Owner@Example.com",
        "otp_duration": 15,
        "auth_mode": "ENHANCED_EMAIL_OTP",
        "request_type": "LOGIN_EMAIL_OTP",
        "uuid": otp["uuid"],
    }
    auth = povo.bodies[AUTH_PATH]
    assert auth == {
        "email_auth": {"auth_id": CHALLENGE, "otp_code": CODE, "device_id": DEVICE_ID},
        "device": {"device_id": DEVICE_ID, "device_type": "Mobile", "app_type": "ecosystem"},
        "uuid": auth["uuid"],
    }
    # Each POST carries its own uuid: a signed 64-bit number, as a decimal string.
    assert len(set(povo.uuids)) == 3
    assert all(isinstance(value, str) and SIGNED_64.fullmatch(value) for value in povo.uuids)
    for path in (LOGIN_ACTION_PATH, OTP_PATH, AUTH_PATH):
        headers = povo.headers[path]
        assert headers["X-App-Version"] == APP_VERSION == "1.70.0-JP"
        assert headers["User-Agent"] == USER_AGENT == "okhttp/4.12.0"
        assert headers["X-App-Platform"] == "Android"
        assert headers["X-Deviceid"] == DEVICE_ID
        assert headers["X-Timezone"] == "Asia/Tokyo"
        assert "X-AUTH" not in headers
        assert "X-USER-ID" not in headers
        assert "X-Captcha" not in headers
    assert len(set(povo.request_ids)) == 3
    assert all(uuid.UUID(request_id) for request_id in povo.request_ids)
    assert adapter.refreshed_secrets() == {"auth_token": povo.issued[-1]}

    # The fresh token is used as it is: no renewal right after logging in.
    usage = await adapter.async_fetch()
    assert povo.refreshes == 0
    assert povo.headers[USAGE_PATH]["X-AUTH"] == povo.issued[-1]
    assert povo.headers[USAGE_PATH]["X-USER-ID"] == EXTERNAL_ID
    assert povo.headers[USAGE_PATH]["X-Deviceid"] == DEVICE_ID
    assert only_sim(usage).remaining == round(62914560.37109375 * KIB)


async def test_wrong_code(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    """esp32 independent-flows.jsonl: a late code answers 401; the resent one 200."""
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(PovoCodeRejectedError):
        await adapter.async_submit_code("000000")
    assert adapter.refreshed_secrets() == {}
    # The challenge survives a typo: the right code still works.
    await adapter.async_submit_code(CODE)
    assert adapter.refreshed_secrets() == {"auth_token": povo.issued[-1]}


async def test_code_refused_with_success_false(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[AUTH_PATH] = [reply(200, fixture("auth_rejected.json"))]
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(PovoCodeRejectedError):
        await adapter.async_submit_code(CODE)


@pytest.mark.parametrize("code", ["  ", "12a456", "１２３-456", "1" * 17])
async def test_code_that_is_not_digits_is_not_sent(
    povo: FakePovo, make_adapter: MakeAdapter, code: str
) -> None:
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(PovoCodeRejectedError):
        await adapter.async_submit_code(code)
    assert ("POST", AUTH_PATH) not in povo.calls


async def test_submit_before_request(make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(CarrierAuthError) as err:
        await adapter.async_submit_code(CODE)
    assert not isinstance(err.value, PovoCodeRejectedError)


@pytest.mark.parametrize(
    ("path", "answer", "error"),
    [
        (LOGIN_ACTION_PATH, reply(404, {"success": False}), CarrierAuthError),
        (LOGIN_ACTION_PATH, reply(200, {"success": False}), CarrierAuthError),
        (LOGIN_ACTION_PATH, auth_answer(actions=[]), CarrierParseError),
        (LOGIN_ACTION_PATH, auth_answer(actions=[{"action": None}]), CarrierParseError),
        (LOGIN_ACTION_PATH, reply(200, {"actions": [{"action": "EMAIL_OTP"}]}), CarrierParseError),
        (LOGIN_ACTION_PATH, reply(200, maintenance_page()), CarrierMaintenanceError),
        (OTP_PATH, reply(400, {"success": False}), CarrierAuthError),
        (OTP_PATH, reply(200, {"success": False}), CarrierAuthError),
        (OTP_PATH, auth_answer(), CarrierParseError),
        (OTP_PATH, auth_answer(auth_id=""), CarrierParseError),
        (OTP_PATH, auth_answer(auth_id="challenge\r\nX-Evil: 1"), CarrierParseError),
    ],
)
async def test_request_code_failures(
    povo: FakePovo, make_adapter: MakeAdapter, path: str, answer: Reply, error: type[Exception]
) -> None:
    povo.once[path] = [answer]
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(error) as err:
        await adapter.async_request_code()
    assert not isinstance(err.value, PovoMoreAuthNeededError)


@pytest.mark.parametrize(
    "actions",
    [
        [{"action": "MOBILE_OTP"}],
        [{"action": "EMAIL_OTP"}, {"action": "EMAIL_OTP"}],
        [{"action": "EMAIL_OTP"}, {"action": "PIN"}],
    ],
)
async def test_login_action_asks_for_another_step(
    povo: FakePovo, make_adapter: MakeAdapter, actions: list[dict[str, str]]
) -> None:
    """esp32 auth-protocol.h: only a single EMAIL_OTP action is a code we can answer."""
    povo.once[LOGIN_ACTION_PATH] = [auth_answer(actions=actions, message="")]
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(PovoMoreAuthNeededError) as err:
        await adapter.async_request_code()
    assert not isinstance(err.value, PovoCodeRejectedError)
    assert ("POST", OTP_PATH) not in povo.calls


@pytest.mark.parametrize(
    "extra",
    [
        {"pin_token": "pin-challenge"},
        {"next_step": "pin"},
        {"next_step": "dashboard", "pin_token": "pin-challenge"},
    ],
)
async def test_login_answer_asks_for_another_step(
    povo: FakePovo, make_adapter: MakeAdapter, extra: dict[str, str]
) -> None:
    """esp32 auth-protocol.h / README: a PIN or a next_step other than dashboard is no success."""
    povo.once[AUTH_PATH] = [auth_answer(auth_token=good_token(), first_login=False, **extra)]
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(PovoMoreAuthNeededError) as err:
        await adapter.async_submit_code(CODE)
    assert not isinstance(err.value, PovoCodeRejectedError)
    assert adapter.refreshed_secrets() == {}


@pytest.mark.parametrize(
    ("result", "expires"),
    [
        ({"next_step": None}, START + LIFETIME),
        ({"next_step": "", "pin_token": ""}, START + LIFETIME),
        # The sooner of exp and expiry_time counts; digits as a string are epoch seconds too.
        ({"auth_token": good_token(expiry_time=str(epoch(START) + 600))}, START + LIFETIME / 2),
    ],
)
async def test_login_answers_that_succeed(
    povo: FakePovo, make_adapter: MakeAdapter, result: dict[str, Any], expires: datetime
) -> None:
    token = result.pop("auth_token", good_token())
    povo.once[AUTH_PATH] = [auth_answer(auth_token=token, **result)]
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    await adapter.async_submit_code(CODE)
    assert adapter.refreshed_secrets() == {"auth_token": token}
    assert parse_token(token).expires == expires


@pytest.mark.parametrize(
    "result",
    [
        {"first_login": True},
        {"auth_token": good_token() + "\r\nX-Evil: 1"},
        {"auth_token": "token with spaces"},
        {"auth_token": "not-a-jwt"},
        {"auth_token": good_token(external_id=None)},
        {"auth_token": good_token(external_id="")},
        {"auth_token": good_token(exp=epoch(START) - 1)},
        {"auth_token": good_token(exp=True)},
        {"auth_token": good_token(exp=3000.5)},
        {"auth_token": good_token(exp="3e3")},
        {"auth_token": good_token(exp=253402300800)},
        {"auth_token": good_token(exp=253402268400)},  # year 10000 in Tokyo
        {"auth_token": good_token(), "pin_token": True},
    ],
)
async def test_unusable_login_answer_is_never_kept(
    povo: FakePovo, make_adapter: MakeAdapter, result: dict[str, Any]
) -> None:
    povo.once[AUTH_PATH] = [auth_answer(**result)]
    adapter = await make_adapter(auth_token=None)
    await adapter.async_request_code()
    with pytest.raises(CarrierParseError):
        await adapter.async_submit_code(CODE)
    assert adapter.refreshed_secrets() == {}


async def test_no_token_stored(make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(CarrierAuthError):
        await adapter.async_login()
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()


@pytest.mark.parametrize("stored", ["not-a-jwt", good_token(external_id=None), "a\r\nb"])
async def test_unusable_stored_token(
    povo: FakePovo, make_adapter: MakeAdapter, stored: str
) -> None:
    adapter = await make_adapter(auth_token=stored)
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert povo.calls == []


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
    headers = povo.headers[TOKEN_PATH]
    assert headers["X-AUTH"] == STORED_TOKEN
    assert headers["X-USER-ID"] == EXTERNAL_ID
    assert headers["X-Deviceid"] == DEVICE_ID
    assert povo.queries[TOKEN_PATH] == {}
    assert adapter.refreshed_secrets() == {"auth_token": povo.issued[-1]}
    await adapter.async_fetch()
    assert povo.refreshes == 1


async def test_expired_stored_token_is_renewed_before_use(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    adapter = await make_adapter()
    await adapter.async_fetch()
    assert povo.calls[0] == ("GET", TOKEN_PATH)
    assert povo.refreshes == 1


async def test_fresh_stored_token_is_used_as_it_is(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    """The token's own expiry decides; renewing early only hands back the same JWT."""
    token = good_token(exp=epoch(START + timedelta(minutes=10)))
    povo.valid_tokens.add(token)
    adapter = await make_adapter(auth_token=token)
    await adapter.async_fetch()
    assert povo.refreshes == 0
    assert povo.headers[USAGE_PATH]["X-AUTH"] == token
    assert adapter.refreshed_secrets() == {}


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
        ("GET", USAGE_HISTORY_PATH),
    ]
    assert povo.headers[USAGE_PATH]["X-AUTH"] == povo.issued[-1]
    assert sim.remaining == round(62914560.37109375 * KIB)
    assert adapter.refreshed_secrets() == {"auth_token": povo.issued[-1]}


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
        (auth_answer(), CarrierParseError),
        (auth_answer(auth_token="token\nsplit"), CarrierParseError),
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
    assert adapter.refreshed_secrets() == {}


async def test_refresh_asking_for_a_pin(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[TOKEN_PATH] = [auth_answer(auth_token=good_token(), pin_token="pin")]
    adapter = await make_adapter()
    with pytest.raises(PovoMoreAuthNeededError):
        await adapter.async_login()
    assert adapter.refreshed_secrets() == {}


async def test_refresh_for_another_user_is_refused(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    """esp32 povo-client.cpp: a renewal naming another external_id is not taken."""
    povo.once[TOKEN_PATH] = [auth_answer(auth_token=good_token(external_id="ext-9999"))]
    adapter = await make_adapter()
    with pytest.raises(CarrierAuthError):
        await adapter.async_login()
    assert adapter.refreshed_secrets() == {}


async def test_renewed_token_still_refused(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter()
    await adapter.async_login()
    povo.calls.clear()
    povo.once[PROFILE_PATH] = [reply(401, fixture("token_expired.json"))] * 2
    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert povo.refreshes == 1


async def test_token_renewed_only_once_expired(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """povo-android renews only once `exp` has passed; earlier, povo hands back the same JWT,
    so an early renewal would cost a request for nothing."""
    adapter = await make_adapter()
    await adapter.async_login()
    assert povo.refreshes == 1
    token = povo.issued[-1]

    clock.now += LIFETIME - timedelta(seconds=1)
    povo.calls.clear()
    await adapter.async_fetch()
    assert povo.refreshes == 0
    assert povo.headers[USAGE_PATH]["X-AUTH"] == token

    clock.now += timedelta(seconds=1)  # the token's own expiry
    povo.calls.clear()
    await adapter.async_fetch()
    assert povo.calls[0] == ("GET", TOKEN_PATH)
    assert povo.refreshes == 1
    assert adapter.refreshed_secrets() == {"auth_token": povo.issued[-1]}
    assert povo.issued[-1] != token

    clock.now += timedelta(seconds=600)
    povo.calls.clear()
    await adapter.async_fetch()
    assert povo.refreshes == 0


async def test_token_that_expires_in_flight_is_renewed_once(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """A token povo already refuses (401) is renewed once and the request asked again."""
    adapter = await make_adapter()
    await adapter.async_fetch()
    povo.calls.clear()
    povo.once[USAGE_PATH] = [reply(401, fixture("token_expired.json"))]
    clock.now += timedelta(minutes=5)
    await adapter.async_fetch()
    assert povo.calls == [("GET", USAGE_PATH), ("GET", TOKEN_PATH), ("GET", USAGE_PATH)]


async def test_token_without_expiry_lives_1200_seconds(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    """Assumed lifetime when a token names no expiry: povo-android measured 1200 s."""
    token = make_jwt({"external_id": EXTERNAL_ID})
    povo.once[TOKEN_PATH] = [auth_answer(auth_token=token)]
    povo.valid_tokens.add(token)
    adapter = await make_adapter()
    await adapter.async_login()
    assert adapter.refreshed_secrets() == {"auth_token": token}
    clock.now += LIFETIME - timedelta(seconds=1)
    await adapter.async_fetch()
    assert povo.refreshes == 1
    clock.now += timedelta(seconds=1)
    await adapter.async_fetch()
    assert povo.refreshes == 2


# -- 403 and 403001 ----------------------------------------------------------------------------


async def test_device_mismatch_needs_a_new_login(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    """povo-android AccountRepository.kt: a token presented with another device id answers
    403001, and renewing does not re-pair them."""
    token = good_token()
    povo.valid_tokens.add(token)
    adapter = await make_adapter(auth_token=token, device_id=new_device_id())
    with pytest.raises(PovoDeviceRejectedError):
        await adapter.async_fetch()
    assert povo.refreshes == 0
    assert povo.calls == [("GET", PROFILE_PATH)]


async def test_renewal_refused_for_the_device(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    adapter = await make_adapter(device_id=new_device_id())
    with pytest.raises(PovoDeviceRejectedError):
        await adapter.async_login()


@pytest.mark.parametrize(
    "body",
    [{"code": "403001"}, {"error": {"code": 403001}}, {"result": {"code": 403001}}],
)
async def test_device_mismatch_code_wherever_it_is(
    povo: FakePovo, make_adapter: MakeAdapter, body: dict[str, Any]
) -> None:
    povo.once[USAGE_PATH] = [reply(403, body)]
    adapter = await make_adapter()
    with pytest.raises(PovoDeviceRejectedError):
        await adapter.async_fetch()
    assert povo.refreshes == 1  # only the renewal of the stale stored token


@pytest.mark.parametrize(
    "answer",
    [
        reply(403, [403001]),
        reply(403, {"code": True}),
        reply(403, {"code": "4030O1"}),
    ],
)
async def test_403_without_a_readable_code_is_a_plain_refusal(
    povo: FakePovo, make_adapter: MakeAdapter, answer: Reply
) -> None:
    povo.once[USAGE_PATH] = [answer]
    adapter = await make_adapter()
    with pytest.raises(CarrierAuthError) as err:
        await adapter.async_fetch()
    assert not isinstance(err.value, PovoDeviceRejectedError)


async def test_403_as_plain_text_is_a_plain_refusal(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    async def forbidden(request: web.Request) -> web.Response:
        return web.Response(status=403, text="Forbidden", content_type="text/plain")

    povo.once[USAGE_PATH] = [forbidden]
    adapter = await make_adapter()
    with pytest.raises(CarrierAuthError) as err:
        await adapter.async_fetch()
    assert not isinstance(err.value, PovoDeviceRejectedError)


async def test_other_403_needs_a_new_login_too(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[USAGE_PATH] = [reply(403, {"success": False, "result": {"code": 400101}})]
    adapter = await make_adapter()
    with pytest.raises(CarrierAuthError) as err:
        await adapter.async_fetch()
    assert not isinstance(err.value, PovoDeviceRejectedError)
    assert povo.refreshes == 1


# -- usage -------------------------------------------------------------------------------------


async def test_fetch_povo_android_plan_account(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    """povo-android samples: account-usage-plan-get.plan-account.json with
    quilt-user-plan-details-v2.json. UsageParserTest: boost left 62914560.37109375 KB and used
    62914560.62890625 KB, 125,829,121 KB in all, "120.00 GB"; basic 0; only boost active.
    QuiltParserTest: "60.00GB / 120.00GB" (its expiry moved from the placeholder 2099 to a
    plausible date: plan_details_dated.json)."""
    adapter = await make_adapter()
    await adapter.async_login()
    sim = only_sim(await adapter.async_fetch())

    assert sim.remaining == round(62914560.37109375 * KIB)
    assert sim.used == round(62914560.62890625 * KIB)
    assert sim.allowance == 125829121 * KIB
    assert f"{sim.allowance / GIB:.2f}" == "120.00"
    assert sim.remaining_of(BucketKind.TOPPING) == sim.remaining
    assert sim.remaining_of(BucketKind.MONTHLY) == 0
    # basic, bonus and plus as povo sends them; boost and extra (the toppings) cut into one
    # slice per topping of the plan page, with its expiry: here the one 120 GB topping.
    assert [bucket.kind for bucket in sim.buckets] == [
        BucketKind.MONTHLY,
        BucketKind.GIFT,
        BucketKind.GIFT,
        BucketKind.TOPPING,
    ]
    active = [bucket for bucket in sim.buckets if bucket.remaining]
    assert [bucket.kind for bucket in active] == [BucketKind.TOPPING]
    assert active[0].expires == EXPIRY
    assert active[0].total == 120 * GIB  # "60.00GB / 120.00GB"
    assert sim.next_expiry == EXPIRY
    # The page does not say which topping the other buckets belong to: no expiry.
    assert [bucket.expires for bucket in sim.buckets[:3]] == [None] * 3
    assert sim.unlimited_until is None
    # The line's id, hashed: the id entities were created with.
    assert sim.sim_id == anonymous_id(Carrier.POVO, LINE)
    assert LINE not in sim.sim_id

    assert povo.queries[PROFILE_PATH] == {"include_telco": "true"}
    usage_query = povo.queries[USAGE_PATH]
    assert usage_query == {"sin": LINE, "uuid": usage_query["uuid"]}
    assert SIGNED_64.fullmatch(usage_query["uuid"])
    # Both clients ask the quilt page with no query.
    assert povo.queries[PLAN_DETAILS_PATH] == {}
    for path in (PROFILE_PATH, USAGE_PATH, PLAN_DETAILS_PATH):
        assert povo.headers[path]["X-USER-ID"] == EXTERNAL_ID
        assert povo.headers[path]["X-Deviceid"] == DEVICE_ID
        assert povo.headers[path]["X-App-Platform"] == "Android"

    # The profile is read once: the line does not change.
    povo.calls.clear()
    again = only_sim(await adapter.async_fetch())
    assert ("GET", PROFILE_PATH) not in povo.calls
    assert again == sim


async def test_fetch_povo_android_empty_account(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    """povo-android account-usage-plan-get.json: 5 buckets, 0 KB left, none active."""
    povo.answers[USAGE_PATH] = fixture("usage_all_zero.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    # Every bucket said 0: a real zero, not unknown.
    assert len(sim.buckets) == 5
    assert sim.remaining == 0
    assert sim.used == 0
    assert not [bucket for bucket in sim.buckets if bucket.remaining]


async def test_fetch_absent_buckets(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.answers[USAGE_PATH] = fixture("usage_partial.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    # extra and plus are missing and bonus is null: not created, not zero. "other" is calls
    # and SMS: its counters never become data.
    assert [bucket.kind for bucket in sim.buckets] == [BucketKind.MONTHLY, BucketKind.TOPPING]
    assert sim.remaining == round(58147676.87109375 * KIB)
    assert sim.used == 1024 * KIB + 1024 * MIB
    assert sim.buckets[0].total == 3 * GIB  # plan_kb above 0
    # The allowance is the usage answer's sizes (boost: used + left), not the page's.
    assert sim.allowance == 3 * GIB + round((1048576 + 58147676.87109375) * KIB)
    assert sim.remaining_of(BucketKind.GIFT) is None


async def test_allowance_from_the_plan_page_when_buckets_do_not_say(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    povo.answers[USAGE_PATH] = {"data": {"boost": {"left": 1024, "unit": "kilobytes"}}}
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert parse_usage(povo.answers[USAGE_PATH])[0].total is None
    assert sim.allowance == 120 * GIB  # "60.00GB / 120.00GB"


async def test_fetch_running_unlimited_topping(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    """A running 使い放題 tile (esp32 README, direct-status.h) gives its end; its expiry is not
    the data's, and the drained 1 GB tile does not date the data left."""
    povo.answers[PLAN_DETAILS_PATH] = fixture("plan_details_toppings.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert sim.unlimited_until == tokyo("2026-05-02 11:30")
    assert sim.is_unlimited(START)
    assert not sim.is_unlimited(tokyo("2026-05-02 11:30"))
    assert sim.next_expiry == tokyo("2026-12-31 23:59")
    assert not sim.unlimited


async def test_fetch_unreadable_expiry(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.answers[PLAN_DETAILS_PATH] = fixture("plan_details_unreadable.json")
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert sim.next_expiry is None
    assert all(bucket.expires is None for bucket in sim.buckets)
    assert sim.remaining == round(62914560.37109375 * KIB)


async def test_plan_page_refused_leaves_expiry_unknown(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    """povo-android PHASE1 once saw this page answer 404; the usage still counts."""
    povo.once[PLAN_DETAILS_PATH] = [reply(404, {"message": "no Route matched with those values"})]
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert sim.next_expiry is None
    assert sim.unlimited_until is None
    assert sim.remaining == round(62914560.37109375 * KIB)


@pytest.mark.parametrize("name", ["profile.json", "profile_bare.json"])
async def test_profile_bare_or_wrapped(
    povo: FakePovo, make_adapter: MakeAdapter, name: str
) -> None:
    povo.answers[PROFILE_PATH] = fixture(name)
    adapter = await make_adapter()
    await adapter.async_fetch()
    assert povo.queries[USAGE_PATH]["sin"].startswith("LW")


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
        (reply(491, {"message": "error_not_found_message"}), CarrierParseError),
        (reply(200, {"success": False, "result": {"message": "error"}}), CarrierParseError),
        (reply(200, {"data": {"promotion_text": {}}}), CarrierParseError),
        (reply(200, {"data": {"boost": [1, 2]}}), CarrierParseError),
        # Calls and SMS only: "other" is never read as data.
        (reply(200, {"other": fixture("usage_plan_account.json")["other"]}), CarrierParseError),
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


async def test_unreadable_usage_keeps_its_shape(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    povo.once[USAGE_PATH] = [reply(200, {"data": {"boost": {"left": "lots"}}, "sms": None})]
    adapter = await make_adapter()
    with pytest.raises(CarrierParseError) as err:
        await adapter.async_fetch()
    assert err.value.skeleton == {"data": {"boost": {"left": "str(4)"}}, "sms": "null"}


@pytest.mark.parametrize(
    "profile",
    [
        {"result": {"telco_info": {}}},
        {"result": {"telco_info": {"sin": "SIN0009876543"}}},
        {"result": {"telco_info": {"service_instance_no": "LW0\r\n"}}},
        {"result": {"telco_info": {"service_instance_no": 12345}}},
    ],
)
async def test_profile_without_a_usable_line(
    povo: FakePovo, make_adapter: MakeAdapter, profile: dict[str, Any]
) -> None:
    povo.answers[PROFILE_PATH] = profile
    adapter = await make_adapter()
    with pytest.raises(CarrierParseError) as err:
        await adapter.async_fetch()
    assert err.value.skeleton is not None
    assert ("GET", USAGE_PATH) not in povo.calls


async def test_connection_dropped(povo: FakePovo, make_adapter: MakeAdapter) -> None:
    async def hang_up(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    povo.once[LOGIN_ACTION_PATH] = [hang_up]
    adapter = await make_adapter(auth_token=None)
    with pytest.raises(CarrierConnectionError):
        await adapter.async_request_code()


async def test_redirect_to_another_host_is_not_followed(
    povo: FakePovo, make_adapter: MakeAdapter
) -> None:
    async def elsewhere(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("https://collector.example.invalid/usage")

    povo.once[USAGE_PATH] = [elsewhere]
    adapter = await make_adapter()
    with pytest.raises(CarrierConnectionError):
        await adapter.async_fetch()


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
    povo.once[USAGE_PATH] = [reply(400, {"success": False, "message": LINE})]
    await collect(stored.async_fetch())
    povo.once[USAGE_PATH] = [reply(403, fixture("device_rejected.json"))]
    await collect(stored.async_fetch())

    assert len(errors) == 10
    ours = [r for r in caplog.records if r.name.startswith("custom_components.japan_sim_data")]
    assert ours  # the renewals were logged, without secrets
    texts = [str(err) for err in errors] + [record.getMessage() for record in ours]
    texts += [repr(stored), repr(parse_token(STORED_TOKEN)), repr(PovoLine(sin=LINE))]
    for text in texts:
        for secret in (*SECRETS, STORED_TOKEN, *povo.issued):
            assert secret.lower() not in text.lower()


# -- pure parsers ------------------------------------------------------------------------------


def test_esp32_expiry_sample() -> None:
    """esp32 test/direct-status-test.cpp: "2026年 9月 5日 午後4:42\\n残り 7 日間" is
    1788594120000 ms; 午後12:00 is 12 hours after 午前12:00; 29 Feb 2026, 午後13:42 and 4:62 are
    not dates."""
    parsed = parse_expiry("2026年 9月 5日 午後4:42\n残り 7 日間")
    assert parsed is not None
    assert parsed.timestamp() * 1000 == 1788594120000
    noon = parse_expiry("2026年 9月 5日 午後12:00")
    midnight = parse_expiry("2026年 9月 5日 午前12:00")
    assert noon is not None
    assert midnight is not None
    assert noon - midnight == timedelta(hours=12)
    for text in ("2026年 2月 29日 午後4:42", "2026年 9月 5日 午後13:42", "2026年 9月 5日 午後4:62"):
        assert parse_expiry(text) is None


def test_esp32_unlimited_sample() -> None:
    """esp32 direct-status-test.cpp: the running 使い放題 tile ends at 1788594120000 ms."""
    tiles = parse_plan_tiles(fixture("plan_details_unlimited.json"))
    assert tiles == (
        PlanTile(
            name=None,
            status="適用中",
            remaining=None,
            total=None,
            unlimited=True,
            expires=tokyo("2026-09-05 16:42"),
        ),
    )
    end = unlimited_until(tiles)
    assert end is not None
    assert end.timestamp() * 1000 == 1788594120000
    # An unlimited tile is not data: it dates no bucket.
    assert parse_plan_details(fixture("plan_details_unlimited.json")) is None
    assert unlimited_until(parse_plan_tiles({"widgets": []})) is None


def test_unlimited_tile_that_is_not_running() -> None:
    tile = json.loads(json.dumps(fixture("plan_details_unlimited.json")))
    tile["widgets"][0]["components"][0]["data"]["name"]["value"] = "予約中"
    assert unlimited_until(parse_plan_tiles(tile)) is None


def test_povo_android_plan_page_sample() -> None:
    """povo-android QuiltParserTest: one topping, 【セール】データ追加120GB（365日間）,
    "60.00GB / 120.00GB", expiry "2099年 12月 31日 午後11:59"; the divider is no topping.
    2099 (残り 999 日間) is the sample's masking placeholder: past the plausibility rule's ten
    years, it is no expiry, never 27,000 days left."""
    (tile,) = parse_plan_tiles(fixture("plan_details.json"), now=START)
    assert tile.name == "【セール】データ追加120GB（365日間）"
    assert tile.remaining == 60 * GIB
    assert tile.total == 120 * GIB
    assert not tile.unlimited
    assert tile.expires is None
    assert parse_plan_details(fixture("plan_details.json"), now=START) is None
    # The same page with a plausible date.
    assert parse_plan_details(fixture("plan_details_dated.json"), now=START) == EXPIRY
    (tile,) = parse_plan_tiles(fixture("plan_details_dated.json"), now=START)
    assert tile.expires == EXPIRY


def test_povo_android_usage_samples() -> None:
    """povo-android UsageParserTest: the empty account has 5 buckets, 0 KB left; the plan
    account's boost left/used are 62914560.37109375 / 62914560.62890625 KB, 120.00 GB in all;
    plan_kb is 0 on basic and absent on boost (which never makes a size of 0)."""
    empty = parse_usage(fixture("usage_all_zero.json"))
    assert len(empty) == 5
    assert sum(bucket.remaining or 0 for bucket in empty) == 0
    plan = fixture("usage_plan_account.json")
    basic, extra, boost, bonus, plus = parse_usage(plan)
    assert boost.remaining == round(62914560.37109375 * KIB)
    assert boost.total == 125829121 * KIB
    assert f"{boost.total / GIB:.2f}" == "120.00"
    assert basic.total == extra.total == bonus.total == plus.total == 0
    assert parse_used(plan) == round(62914560.62890625 * KIB)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027年 12月 31日 午後11:59\n残り 999 日間", tokyo("2027-12-31 23:59")),
        ("2026年 6月 1日 午前9:05\n残り 31 日間", tokyo("2026-06-01 09:05")),
        ("2026年 6月 1日 午後12:30", tokyo("2026-06-01 12:30")),
        ("2026年 6月 1日 午前12:30", tokyo("2026-06-01 00:30")),
        ("２０２６年　６月　１日　午後１１：５９", tokyo("2026-06-01 23:59")),
        ("2026年6月1日 23:59", tokyo("2026-06-01 23:59")),
        ("有効期限 2026年 6月 1日", tokyo("2026-06-01 23:59:59")),
        ("2026年 2月 30日 午後11:59", None),
        # The app writes midnight 午前0:00 and noon 午後12:00; read modulo 12.
        ("2026年 6月 1日 午前0:00", tokyo("2026-06-01 00:00")),
        ("2026年 6月 1日 午後0:30", tokyo("2026-06-01 12:30")),
        ("2026年 6月 1日 午後12:00\n残り 31 日間", tokyo("2026-06-01 12:00")),
        ("２０２６年　６月　１日　午前０：００", tokyo("2026-06-01 00:00")),
        ("2026年 6月 1日 午後13:00", None),
        ("2026年 6月 1日 25:00", None),
        ("2026年 6月 1日 10:75", None),
        ("まもなく表示されます", None),
        ("", None),
    ],
)
def test_parse_expiry(text: str, expected: datetime | None) -> None:
    parsed = parse_expiry(text, now=START)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is TOKYO


@pytest.mark.parametrize(
    "text",
    [
        "0001年 1月 1日 午前0:00",
        "9999年 12月 31日 午後11:59\n残り 2900000 日間",
        "1970年 1月 1日 午前9:00",
        "1999年 12月 31日",
        "2036年 5月 2日 午前0:00",  # one day past ten years from START
    ],
)
def test_implausible_expiry_is_a_parse_error(text: str) -> None:
    """dates.plausible_moment: years like 0001 or 9999 are placeholders, never an expiry."""
    with pytest.raises(CarrierParseError):
        parse_expiry(text, now=START)


def test_implausible_expiry_leaves_the_tile_undated() -> None:
    page = fixture("plan_details_dated.json")
    tile = page["widgets"][0]["components"][1]["data"]
    for text in ("0001年 1月 1日 午前0:00", "9999年 12月 31日 午後11:59\n残り 2900000 日間"):
        tile["expiry"]["value"] = text
        (parsed,) = parse_plan_tiles(page, now=START)
        assert parsed.expires is None
        assert parsed.remaining == 60 * GIB
        assert parse_plan_details(page, now=START) is None


def test_parse_usage_binary_kilobytes() -> None:
    payload = {"data": {"boost": {"left": 125829120, "used": 0, "unit": "kilobytes"}}}
    (bucket,) = parse_usage(payload)
    assert bucket.remaining == 120 * GIB == 128849018880
    assert bucket.total == 120 * GIB
    # A bucket without a unit is in kilobytes, as every captured bucket.
    (bucket,) = parse_usage({"data": {"basic": {"left": 1, "used": 2}}})
    assert bucket.remaining == KIB
    assert bucket.total == 3 * KIB
    (bucket,) = parse_usage({"data": {"boost": {"left": 1}}})
    assert bucket.total is None
    assert parse_used({"data": {"basic": {"left": 1}}}) is None
    # Wrapped in "result" too; "data" inside is the payload, not another wrapper.
    assert parse_usage({"result": {"data": {"plus": {"left": 0, "used": 0}}}})[0].total == 0


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "data",
        {"data": {}},
        {"other": {"basic": {"left": 1}, "boost": {"left": 1}}},
        {"data": {"basic": "0"}},
        {"data": {"basic": {"left": -1, "unit": "kilobytes"}}},
        {"data": {"basic": {"left": "lots", "unit": "kilobytes"}}},
        {"data": {"basic": {"left": 1, "unit": "parsecs"}}},
        {"data": {"basic": {"left": 1, "unit": 1024}}},
        {"data": {"basic": {"left": True, "unit": "kilobytes"}}},
        {"data": {"basic": {"left": 1, "plan_kb": "many"}}},
    ],
)
def test_parse_usage_malformed(payload: Any) -> None:
    with pytest.raises(CarrierParseError):
        parse_usage(payload)


PHISHING = "GB 残量わずか！今すぐ https://povo-support.example.invalid で再ログイン 0120-000-000"


@pytest.mark.parametrize(
    ("unit", "named"),
    [
        ("parsecs", "an unknown unit (parsecs)"),
        (PHISHING, "an unknown unit"),
        ("x" * 13, "an unknown unit"),
        ("GB\nX-Evil: 1", "an unknown unit"),
        ("ｍｅｇａｓ", "an unknown unit (megas)"),
    ],
)
def test_unknown_unit_never_quoted_verbatim(unit: str, named: str) -> None:
    """povo's unit field is carrier text: an error names it only when it is one short word
    (#23: a phishing line fits in 160 characters), as error codes are quoted."""
    with pytest.raises(CarrierParseError) as err:
        parse_usage({"data": {"boost": {"left": 1, "used": 0, "unit": unit}}})
    message = str(err.value)
    assert message == f"povo sent an amount in {named}"
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__
    for fragment in ("https", "0120", "\n", "X-Evil", "x" * 13):
        assert fragment not in message


async def test_unknown_unit_reaches_no_log_or_error_verbatim(
    povo: FakePovo, make_adapter: MakeAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    povo.answers[USAGE_PATH] = {"data": {"boost": {"left": 1, "used": 0, "unit": PHISHING}}}
    adapter = await make_adapter()
    with pytest.raises(CarrierParseError) as err:
        await adapter.async_fetch()
    assert "povo-support" not in str(err.value)
    assert "povo-support" not in caplog.text
    assert "0120" not in caplog.text


def test_parse_profile() -> None:
    assert parse_profile(fixture("profile.json")) == PovoLine(sin=LINE)
    assert parse_profile(fixture("profile_bare.json")) == PovoLine(sin="LW000000001")
    assert parse_profile(
        {"success": True, "result": {"telco_info": {"service_instance_no": "LW1"}}}
    )
    assert LINE not in repr(PovoLine(sin=LINE))
    unreadable: list[Any] = [
        {},
        {"result": {"telco_info": {"service_instance_no": ""}}},
        {"telco_info": {"service_instance_no": False}},
        {"telco_info": {"service_instance_no": {"id": 1}}},
        {"telco_info": {"sin": "LW1"}},
        {"sin": "LW1"},
        [],
        None,
    ]
    for payload in unreadable:
        with pytest.raises(CarrierParseError):
            parse_profile(payload)


def test_parse_token_reads_the_claims() -> None:
    """esp32 auth-protocol-test.cpp: expiry_time "2000" and exp 3000 give 2000, with the
    external_id "test-user"."""
    token = make_jwt(
        {"iss": "circles", "external_id": "test-user", "expiry_time": "2000", "exp": 3000}
    )
    parsed = parse_token(token)
    assert parsed.external_id == "test-user"
    assert parsed.expires == datetime.fromtimestamp(2000, TOKYO)
    assert "test-user" not in repr(parsed)
    assert token not in repr(parsed)
    assert parse_token(make_jwt({"external_id": "u"})).expires is None
    for bad in (
        None,
        "",
        "a.b",
        "a.b.c.d",
        "a.!!!.c",
        make_jwt({"external_id": "u"})[:-30] + "\n",
        "x." + base64.urlsafe_b64encode(b"[1]").decode() + ".s",
        make_jwt({"external_id": "u\u0000x"}),
        make_jwt({"external_id": "u", "exp": None}),
        make_jwt({"external_id": "u", "exp": -1}),
        make_jwt({"external_id": "u", "exp": "3000x"}),
        make_jwt({"external_id": "u", "exp": 3000, "expiry_time": None}),
    ):
        with pytest.raises(CarrierParseError):
            parse_token(bad)


def test_parse_plan_details_tolerates_reshaped_pages() -> None:
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
                            "data": {"expiry": {"value": soon}, "remaining": {"value": "1.2.3GB"}},
                        },
                    ]
                }
            ]
        }
    }
    assert parse_plan_details(page) == tokyo("2026-06-01 09:00")
    # Only drained toppings: their soonest expiry still says when the line's validity ends.
    drained = [
        {"type": tile, "data": {"expiry": {"value": late}, "remaining": {"value": "0GB / 1GB"}}},
        {"type": tile, "data": {"expiry": {"value": soon}, "remaining": {"value": "０ＭＢ"}}},
    ]
    assert parse_plan_details({"widgets": [{"components": drained}]}) == tokyo("2026-06-01 09:00")


# -- usage history (data used per day) ----------------------------------------------------------

HISTORY_TODAY = datetime(2026, 9, 8, 12, 0, tzinfo=TOKYO)
"""The day after the fixture's window (2026年 8月 8日~9月 7日): povo leaves today out."""
SAMPLE_DAYS = (
    # povo-android USAGE-HISTORY-FINDINGS.md §2: "usage": 1.23 on "2026年 8月 8日", GB.
    DailyUsage(day=date(2026, 8, 8), used=round(1.23 * GIB)),
    DailyUsage(day=date(2026, 8, 9), used=round(0.5 * GIB)),
    # 8月 10日 has no figure: absent, never 0. 8月 11日 is a real zero.
    DailyUsage(day=date(2026, 8, 11), used=0),
    DailyUsage(day=date(2026, 9, 7), used=round(2.25 * GIB)),
)


def history_calls(povo: FakePovo) -> int:
    return sum(1 for _, path in povo.calls if path == USAGE_HISTORY_PATH)


async def test_fetch_daily_usage_history(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    clock.now = HISTORY_TODAY
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())

    assert sim.daily_usage == SAMPLE_DAYS
    assert sim.daily_usage[0].used == 1320702444  # 1.23 GiB
    # The app's request: type=DAILY and nothing else (no sin/uuid on quilt pages).
    assert povo.queries[USAGE_HISTORY_PATH] == {"type": "DAILY"}
    assert povo.headers[USAGE_HISTORY_PATH]["X-USER-ID"] == EXTERNAL_ID
    assert povo.headers[USAGE_HISTORY_PATH]["X-Deviceid"] == DEVICE_ID
    # The figures are those of the other calls, untouched.
    assert sim.remaining == round(62914560.37109375 * KIB)


async def test_daily_usage_history_at_most_every_six_hours(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    clock.now = datetime(2026, 9, 8, 9, 0, tzinfo=TOKYO)
    adapter = await make_adapter()
    first = only_sim(await adapter.async_fetch())
    assert history_calls(povo) == 1

    for later in (timedelta(minutes=30), timedelta(hours=3), timedelta(hours=5, minutes=59)):
        clock.now = datetime(2026, 9, 8, 9, 0, tzinfo=TOKYO) + later
        assert only_sim(await adapter.async_fetch()).daily_usage == first.daily_usage
    assert history_calls(povo) == 1
    assert sum(1 for _, path in povo.calls if path == USAGE_PATH) == 4  # figures every poll

    clock.now = datetime(2026, 9, 8, 15, 0, tzinfo=TOKYO)
    await adapter.async_fetch()
    assert history_calls(povo) == 2


async def test_daily_usage_history_again_on_a_new_tokyo_day(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    clock.now = datetime(2026, 9, 7, 23, 30, tzinfo=TOKYO)
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    # Read on 7 September, 7 September is not a whole day yet.
    assert sim.daily_usage == SAMPLE_DAYS[:-1]

    clock.now = datetime(2026, 9, 8, 0, 10, tzinfo=TOKYO)
    sim = only_sim(await adapter.async_fetch())
    assert history_calls(povo) == 2
    assert sim.daily_usage == SAMPLE_DAYS


async def _hang_up(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()
    return web.Response()


@pytest.mark.parametrize(
    "answer",
    [
        reply(404, {"code": 404, "type": "NO_RESULT", "description": "mongo: no documents"}),
        reply(400, {"message": "Incorrect 'type' query param"}),
        reply(500, {"message": "Internal Server Error"}),
        reply(503, maintenance_page()),
        reply(200, maintenance_page()),
        reply(429, {"message": "Too Many Requests"}, {"Retry-After": "60"}),
        reply(403, {"code": 403001}),
        reply(200, {"success": False}),
        _hang_up,
    ],
)
async def test_failing_daily_usage_history_leaves_the_figures(
    povo: FakePovo,
    make_adapter: MakeAdapter,
    clock: Clock,
    answer: Reply,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    clock.now = HISTORY_TODAY
    # aiohttp asks once more on a dropped kept-alive connection: hang up on both.
    povo.once[USAGE_HISTORY_PATH] = [answer, answer] if answer is _hang_up else [answer]
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())

    assert sim.daily_usage == ()
    assert sim.remaining == round(62914560.37109375 * KIB)
    assert sim.next_expiry == EXPIRY
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.japan_sim_data")
    )
    assert "usage history" in ours
    for secret in (*SECRETS, *povo.issued):
        assert secret not in ours
    # A failure is not asked again at the next poll: one request per poll stays the rule.
    asked = history_calls(povo)  # two when aiohttp asked again on a dropped connection
    clock.now = HISTORY_TODAY + timedelta(minutes=30)
    await adapter.async_fetch()
    assert history_calls(povo) == asked
    # After six hours it is asked again, and povo answers.
    povo.once.pop(USAGE_HISTORY_PATH, None)
    clock.now = HISTORY_TODAY + timedelta(hours=6)
    assert only_sim(await adapter.async_fetch()).daily_usage == SAMPLE_DAYS


def _graph(details: Any) -> dict[str, Any]:
    return {"widgets": [{"components": [{"type": "povo-tile-graph", "data": details}]}]}


def _day(usage: Any, title: Any = "2026年 8月 8日") -> dict[str, Any]:
    return {"time": "8日", "usage": usage, "tooltip": {"title": title}}


@pytest.mark.parametrize(
    "page",
    [
        _graph({"graph_details": {"8日": 1.23}}),
        _graph({"graph_details": [_day(-1.0)]}),
        _graph({"graph_details": [_day("-0.5")]}),
        _graph({"graph_details": [_day(1e12)]}),
        _graph({"graph_details": [_day("lots")]}),
        _graph({"graph_details": [_day(True)]}),
        _graph({"graph_details": [_day([1.23])]}),
        _graph({"graph_details": ["2026年 8月 8日 1.23GB"]}),
        _graph(None),
        "[" * 100_000 + "]" * 100_000,
    ],
)
async def test_malformed_daily_usage_history_is_dropped(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock, page: Any
) -> None:
    clock.now = HISTORY_TODAY
    if isinstance(page, str):
        povo.once[USAGE_HISTORY_PATH] = [_raw_json(page)]  # deep nesting, served as JSON
    else:
        povo.answers[USAGE_HISTORY_PATH] = page
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert sim.daily_usage == ()
    assert sim.remaining == round(62914560.37109375 * KIB)


@pytest.mark.parametrize(
    "title", ["0001年 1月 1日", "9999年 12月 31日", "1970年 1月 1日", "1999年 12月 31日"]
)
def test_implausible_history_day_is_a_parse_error(title: str) -> None:
    """dates.plausible_day: a history day in year 1, 1970 or 9999 is a misread, never a day
    written into the statistics (#23)."""
    page = _graph({"graph_details": [_day(0.5, "2026年 9月 6日"), _day(1.0, title)]})
    with pytest.raises(CarrierParseError):
        parse_usage_history(page, HISTORY_TODAY)


async def test_implausible_history_day_leaves_the_figures(
    povo: FakePovo, make_adapter: MakeAdapter, clock: Clock
) -> None:
    clock.now = HISTORY_TODAY
    povo.answers[USAGE_HISTORY_PATH] = _graph({"graph_details": [_day(1.0, "0001年 1月 1日")]})
    adapter = await make_adapter()
    sim = only_sim(await adapter.async_fetch())
    assert sim.daily_usage == ()
    assert sim.remaining == round(62914560.37109375 * KIB)


def _raw_json(text: str) -> Reply:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="application/json")

    return answer


def test_parse_usage_history_keeps_only_whole_reported_days() -> None:
    page = _graph(
        {
            "graph_details": [
                _day(0.25, "２０２６年 ９月 ６日"),  # full-width digits
                _day(0.75, "2026年 9月 8日"),  # today: not whole yet
                _day(0.5, "2026年 9月 9日"),  # tomorrow: a misread
                _day(0.5, "2026年 2月 30日"),  # no such day
                _day(0.5, None),  # no date
                _day(0.5, "8日"),  # only the short label
                {"time": "7日", "usage": 1.0},  # no tooltip
                _day(None, "2026年 9月 5日"),  # no figure
                _day("1.5", "2026年 9月 7日"),
                _day(1.0, "2026年 9月 7日"),  # a later entry for the same day wins
            ]
        }
    )
    days = parse_usage_history(page, HISTORY_TODAY)
    assert days == (
        DailyUsage(day=date(2026, 9, 6), used=GIB // 4),
        DailyUsage(day=date(2026, 9, 7), used=GIB),
    )
    # A page without the graph tile (reshaped) reports no day.
    assert parse_usage_history(fixture("plan_details.json"), HISTORY_TODAY) == ()
    assert parse_usage_history({"widgets": []}, HISTORY_TODAY) == ()
