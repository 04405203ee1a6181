"""Sentinel secrets never reach a log line, an error message, an adapter's repr or diagnostics.

Each adapter is built with sentinel credentials and driven through its success and failure
paths against a local server that hands out sentinel tokens, cookies and form fields (and
echoes the secrets back in its pages, as carriers do). Then nothing that may be logged or
shown (log messages, errors and every exception they were raised from, repr of the adapter)
may contain any sentinel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.japan_sim_data.adapters import CARRIER_PROFILES
from custom_components.japan_sim_data.carriers.base import CarrierAdapter
from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.carriers.povo import (
    AUTH_PATH,
    OTP_PATH,
    PLAN_DETAILS_PATH,
    PROFILE_PATH,
    TOKEN_PATH,
    USAGE_PATH,
    PovoAdapter,
    PovoCodeRejectedError,
)
from custom_components.japan_sim_data.carriers.softbank import (
    SoftBankAdapter,
    YmobileAdapter,
    _MySoftBankAdapter,
)
from custom_components.japan_sim_data.const import DOMAIN
from custom_components.japan_sim_data.flow_common import entry_title
from tests.carriers.iijmio_replay import IijmioReplay
from tests.carriers.softbank_replay import COOKIE as SESSION_COOKIE
from tests.carriers.softbank_replay import (
    SB_HOP,
    USAGE,
    YM_HOP,
    portal_app,
    posted_form,
)
from tests.carriers.test_povo import FakePovo, make_jwt, reply
from tests.conftest import MIO_ID, PASSWORD, ServeApp
from tests.helpers import load_json_fixture, load_text_fixture

# --- Sentinels ---------------------------------------------------------------------------------

S_PASSWORD = "SENTINEL-PASSWORD-7f3a"
S_MIO_ID = "sentinel-mioid-2b9e@example.invalid"
S_EMAIL = "sentinel.user@example.invalid"
S_PHONE = "090-1111-2222"
S_PHONE_DIGITS = "09011112222"
S_TOKEN = "SENTINEL-TOKEN-0c41"
S_TOKEN_FROM_CODE = "SENTINEL-TOKEN-FROM-CODE-5d2a"
S_TOKEN_RENEWED = "SENTINEL-TOKEN-RENEWED"
S_DEVICE_ID = "SENTINEL-DEVICE-ID-9e17"
S_CODE = "735102"
S_CHALLENGE = "SENTINEL-CHALLENGE-44d0"
S_SIN = "SENTINEL-SIN-6a83"
S_UUID = "SENTINEL-UUID-1f5c"
S_COOKIE = "SENTINEL-COOKIE-8b2d"
S_TICKET = "SENTINEL-TICKET-3e6f"
S_MFIV = "SENTINEL-MFIV-70aa"
S_MFBRAND = "SENTINEL-MFBRAND-c3d9"

SENTINELS = (
    S_PASSWORD,
    S_MIO_ID,
    S_EMAIL,
    S_PHONE,
    S_PHONE_DIGITS,
    S_TOKEN,
    S_TOKEN_FROM_CODE,
    S_TOKEN_RENEWED,
    S_DEVICE_ID,
    S_CODE,
    S_CHALLENGE,
    S_SIN,
    S_UUID,
    S_COOKIE,
    S_TICKET,
    S_MFIV,
    S_MFBRAND,
    "SENTINEL-",  # anything the list above missed
)

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)

# What a carrier page may echo back: the user's own identity, which must stay in the page.
ECHO = f"{S_EMAIL} {S_MIO_ID} {S_PHONE} {S_PHONE_DIGITS} {S_PASSWORD}"


def _exception_chain(err: BaseException) -> Iterator[BaseException]:
    """The error and everything it was raised from or while handling, each once.

    A context hidden with ``raise … from None`` is skipped, as tracebacks and logs skip it.
    """
    seen: set[int] = set()
    stack = [err]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            stack.append(current.__cause__)
        if current.__context__ is not None and not current.__suppress_context__:
            stack.append(current.__context__)


# The fake carriers' own server logs (access lines with query strings) are not ours to judge.
SERVER_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web")


def _texts(
    caplog: pytest.LogCaptureFixture,
    errors: Iterable[BaseException],
    adapters: Iterable[CarrierAdapter] = (),
) -> list[str]:
    texts = [
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(SERVER_LOGGERS)
    ]
    for err in errors:
        for link in _exception_chain(err):
            texts.extend((str(link), repr(link)))
    texts.extend(repr(adapter) for adapter in adapters)
    return texts


def _leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """Each secret found, with the 60 characters around it, to say where it leaked."""
    found = []
    for text in texts:
        lowered = text.lower()
        for secret in secrets:
            at = lowered.find(secret.lower())
            if at >= 0:
                found.append((secret, text[max(at - 30, 0) : at + len(secret) + 30]))
    return found


class Attempts:
    """Runs adapter calls that should fail, checks the error type and keeps the errors."""

    def __init__(self) -> None:
        self.errors: list[CarrierError] = []

    async def expect(self, call: Awaitable[Any], error: type[CarrierError]) -> CarrierError:
        with pytest.raises(error) as raised:
            await call
        self.errors.append(raised.value)
        return raised.value


async def _hang_up(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.close()
    return web.Response()


# --- IIJmio -----------------------------------------------------------------------------------


class SentinelIijmio(IijmioReplay):
    """IijmioReplay with the sentinel login and a sentinel session cookie."""

    async def _login(self, request: web.Request) -> web.Response:
        self.requests.append("POST /api/member/login")
        self.logins += 1
        body = await request.json()
        if body != {"mioId": S_MIO_ID, "password": S_PASSWORD}:
            return web.json_response({"error": "ERROR_CODE_008", "message": ECHO})
        self.sessions.add(S_COOKIE)
        response = web.json_response({"mioId": S_MIO_ID})
        response.set_cookie("session", S_COOKIE)
        return response


async def _run_iijmio(
    serve: ServeApp, session: aiohttp.ClientSession, attempts: Attempts
) -> list[CarrierAdapter]:
    # The app API is off (404): the member site is read, as its fallback route.
    replay = SentinelIijmio(app_api=False)
    base_url = await serve(replay.app())

    def build(password: str = S_PASSWORD) -> IijmioAdapter:
        return IijmioAdapter(
            session,
            mio_id=S_MIO_ID,
            password=password,
            base_url=base_url,
            app_base_url=base_url,
            clock=lambda: NOW,
        )

    adapter = build()
    assert (await adapter.async_fetch()).sims
    # The session ends: a silent second login.
    replay.expire_sessions_with = lambda: web.json_response({"error": "ERROR_CODE_032"})
    assert (await adapter.async_fetch()).sims
    # A session that keeps expiring is an error, not a loop.
    replay.expire_sessions_with = lambda: web.Response(status=401, text=ECHO)
    replay.expire_always = True
    await attempts.expect(adapter.async_fetch(), CarrierSessionExpiredError)
    replay.expire_sessions_with = None
    replay.expire_always = False

    failures: list[tuple[Any, type[CarrierError]]] = [
        (lambda: web.Response(status=500, text=ECHO), CarrierConnectionError),
        (
            lambda: web.Response(status=503, text=f"<html>{ECHO}</html>", content_type="text/html"),
            CarrierMaintenanceError,
        ),
        (
            lambda: web.Response(
                text=f"<!DOCTYPE html><html>メンテナンス {ECHO}</html>", content_type="text/html"
            ),
            CarrierMaintenanceError,
        ),
        (
            lambda: web.Response(text=f'{{"x": "{ECHO}"', content_type="application/json"),
            CarrierParseError,
        ),
        (
            lambda: web.json_response({"error": "ERROR_CODE_500", "message": ECHO}),
            CarrierParseError,
        ),
        (lambda: web.json_response({"message": ECHO}, status=404), CarrierParseError),
        (lambda: web.json_response({"serviceInfoList": ECHO}), CarrierParseError),
        (
            lambda: web.Response(status=429, text=ECHO, headers={"Retry-After": "60"}),
            CarrierRateLimitError,
        ),
    ]
    for answer, error in failures:
        replay.top_answer = answer
        await attempts.expect(adapter.async_fetch(), error)
    replay.top_answer = None

    await attempts.expect(build("wrong-" + S_PASSWORD).async_fetch(), CarrierAuthError)
    return [adapter, build()]


async def test_iijmio_secrets_stay_secret(
    serve: ServeApp, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    attempts = Attempts()
    adapters = await _run_iijmio(serve, http_session, attempts)

    # Nothing listens on the discard port of the loopback interface.
    refused = IijmioAdapter(
        http_session,
        mio_id=S_MIO_ID,
        password=S_PASSWORD,
        base_url="http://127.0.0.1:9",
        app_base_url="http://127.0.0.1:9",
    )
    await attempts.expect(refused.async_fetch(), CarrierConnectionError)
    adapters.append(refused)

    assert len(attempts.errors) == 11
    assert not _leaks(_texts(caplog, attempts.errors, adapters), SENTINELS)


# --- povo -------------------------------------------------------------------------------------


S_EXTERNAL_ID = "SENTINEL-EXTERNAL-ID-2c7e"
S_LINE = "LW-SENTINEL-SIN-6a83"


def _sentinel_jwt(header: str, expires: datetime) -> str:
    """A povo JWT whose first segment is a sentinel, so any leak of it is caught."""
    return make_jwt({"external_id": S_EXTERNAL_ID, "exp": int(expires.timestamp())}, header)


S_POVO_TOKEN = _sentinel_jwt(S_TOKEN, datetime(2024, 1, 1, tzinfo=TOKYO))
S_POVO_TOKEN_FROM_CODE = _sentinel_jwt(S_TOKEN_FROM_CODE, NOW + timedelta(minutes=20))


class SentinelPovo(FakePovo):
    """FakePovo that hands out sentinel tokens, challenges and line identifiers."""

    def __init__(self) -> None:
        super().__init__(
            now=lambda: NOW,
            device_id=S_DEVICE_ID,
            external_id=S_EXTERNAL_ID,
            stored_token=S_POVO_TOKEN,
        )
        self.answers[PROFILE_PATH] = {
            "result": {
                "external_id": S_EXTERNAL_ID,
                "email": S_EMAIL,
                "telco_info": {"service_instance_no": S_LINE, "phone_no": S_PHONE_DIGITS},
            },
        }

    def token_header(self, label: str) -> str:
        return f"{S_TOKEN_RENEWED}-{label}"

    async def _otp(self, request: web.Request) -> web.Response:
        return web.json_response({"success": True, "result": {"auth_id": S_CHALLENGE}})

    async def _auth(self, request: web.Request) -> web.Response:
        body = self.bodies[AUTH_PATH]
        if body["email_auth"]["otp_code"] != S_CODE:
            return web.json_response({"success": False, "result": {"message": ECHO}}, status=401)
        self.valid_tokens.add(S_POVO_TOKEN_FROM_CODE)
        answer = {"auth_token": S_POVO_TOKEN_FROM_CODE, "next_step": "dashboard"}
        return web.json_response({"success": True, "result": answer})


async def _run_povo(
    serve: ServeApp, session: aiohttp.ClientSession, attempts: Attempts
) -> list[CarrierAdapter]:
    povo = SentinelPovo()
    base_url = await serve(povo.app())

    def build(token: str | None, device_id: str = S_DEVICE_ID) -> PovoAdapter:
        return PovoAdapter(
            session,
            email=S_EMAIL,
            device_id=device_id,
            auth_token=token,
            base_url=base_url,
            clock=lambda: NOW,
        )

    # Logging in with an e-mailed code: refused first, then accepted.
    fresh = build(None)
    await attempts.expect(fresh.async_login(), CarrierAuthError)
    await attempts.expect(fresh.async_submit_code(S_CODE), CarrierAuthError)
    await fresh.async_request_code()
    await attempts.expect(fresh.async_submit_code("000000"), PovoCodeRejectedError)
    await fresh.async_submit_code(S_CODE)
    assert fresh.refreshed_secrets() == {"auth_token": S_POVO_TOKEN_FROM_CODE}
    assert (await fresh.async_fetch()).sims

    # A stored token, renewed before use, refused mid-update and renewed once more.
    stored = build(S_POVO_TOKEN)
    await stored.async_login()
    assert (await stored.async_fetch()).sims
    povo.expire_all_tokens()
    assert (await stored.async_fetch()).sims
    assert povo.refreshes >= 2

    failures: list[tuple[str, Any, type[CarrierError]]] = [
        (USAGE_PATH, reply(429, {"message": ECHO}, {"Retry-After": "60"}), CarrierRateLimitError),
        (USAGE_PATH, reply(400, {"success": False, "message": ECHO}), CarrierParseError),
        (USAGE_PATH, reply(200, {"success": False, "message": ECHO}), CarrierParseError),
        (USAGE_PATH, reply(200, {"data": {"basic": ECHO}}), CarrierParseError),
        (USAGE_PATH, reply(500, {"message": ECHO}), CarrierConnectionError),
        (USAGE_PATH, reply(403, f"<html>メンテナンス {ECHO}</html>"), CarrierError),
        (PLAN_DETAILS_PATH, reply(200, f"<!DOCTYPE html><html>{ECHO}</html>"), CarrierError),
    ]
    for path, answer, error in failures:
        povo.once[path] = [answer]
        # povo's plan page is read again only when it may have changed: a new adapter reads it.
        target = build(S_POVO_TOKEN) if path == PLAN_DETAILS_PATH else stored
        await attempts.expect(target.async_fetch(), error)
    # Refused once: renewed silently.
    povo.once[USAGE_PATH] = [reply(401, {"message": ECHO})]
    assert (await stored.async_fetch()).sims
    # aiohttp retries an idempotent request once on a fresh connection: hang up on both.
    povo.once[USAGE_PATH] = [_hang_up] * 2
    await attempts.expect(stored.async_fetch(), CarrierConnectionError)
    # Twice refused: the renewed token does not help either.
    povo.once[USAGE_PATH] = [reply(401, {"message": ECHO})] * 2
    await attempts.expect(stored.async_fetch(), CarrierAuthError)
    # The token belongs to another device (403001).
    povo.once[USAGE_PATH] = [reply(403, {"result": {"code": 403001, "message": ECHO}})]
    await attempts.expect(stored.async_fetch(), CarrierAuthError)
    povo.refuse_refresh = True
    await attempts.expect(stored.async_login(), CarrierAuthError)
    povo.refuse_refresh = False

    # A profile that names no line.
    unreadable = build(S_POVO_TOKEN_FROM_CODE)
    povo.once[PROFILE_PATH] = [reply(200, {"result": {"email": S_EMAIL, "telco_info": {}}})]
    await attempts.expect(unreadable.async_fetch(), CarrierParseError)

    # Failures while asking for a code.
    asking = build(None)
    povo.once[OTP_PATH] = [reply(400, {"message": ECHO})]
    await attempts.expect(asking.async_request_code(), CarrierAuthError)
    povo.once[OTP_PATH] = [reply(200, {"success": True, "result": {"message": ECHO}})]
    await attempts.expect(asking.async_request_code(), CarrierParseError)
    povo.once[TOKEN_PATH] = [reply(200, {"success": True, "result": {"email": S_EMAIL}})]
    await attempts.expect(build(S_POVO_TOKEN).async_login(), CarrierParseError)
    # A renewed token carrying a line break is never kept.
    povo.once[TOKEN_PATH] = [
        reply(200, {"success": True, "result": {"auth_token": f"{S_POVO_TOKEN}\r\n{ECHO}"}})
    ]
    await attempts.expect(build(S_POVO_TOKEN).async_login(), CarrierParseError)
    return [fresh, stored, unreadable, asking]


async def test_povo_secrets_stay_secret(
    serve: ServeApp, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    attempts = Attempts()
    adapters = await _run_povo(serve, http_session, attempts)

    assert len(attempts.errors) == 19
    assert any(r.name.startswith("custom_components.japan_sim_data") for r in caplog.records)
    assert not _leaks(_texts(caplog, attempts.errors, adapters), SENTINELS)


# --- SoftBank and Y!mobile ---------------------------------------------------------------------


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=f"<!DOCTYPE html><html lang='ja'><body>{body}</body></html>",
        status=status,
        content_type="text/html",
    )


def _canned(body: str, status: int = 200) -> Handler:
    async def answer(_request: web.Request) -> web.StreamResponse:
        return _page(body, status)

    return answer


def _login_form(ticket: str | None) -> str:
    hidden = f'<input type="hidden" name="ticket" value="{ticket}">' if ticket else ""
    return (
        f'<form method="post"><input type="tel" name="telnum" value="{S_PHONE_DIGITS}">'
        f'<input type="password" name="password" value="">{hidden}</form>'
    )


class SentinelPortal:
    """A SoftBank ID portal handing out a sentinel ticket, hop fields and session cookie."""

    def __init__(self, brand: str) -> None:
        self.brand = brand
        self.sessions: set[str] = set()
        self.remember_sessions = True
        self.once: dict[str, list[Handler]] = {}
        self.usage_fixture = f"{brand}_usage.html"

    @property
    def hop_fields(self) -> dict[str, str]:
        return {"mfiv": S_MFIV, "mfym" if self.brand == "ymobile" else "mfsb": S_MFBRAND}

    def app(self) -> web.Application:
        return portal_app(
            self.brand,
            self._once,
            entry=self._entry,
            hop=self._hop,
            login=self._login,
            usage=self._usage,
        )

    @web.middleware
    async def _once(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.once.get(request.path):
            return await self.once[request.path].pop(0)(request)
        return await handler(request)

    def _logged_in(self, request: web.Request) -> bool:
        return request.cookies.get(SESSION_COOKIE) in self.sessions

    async def _entry(self, request: web.Request) -> web.Response:
        return _page(_login_form(S_TICKET))

    async def _hop(self, request: web.Request) -> web.Response:
        if self._logged_in(request):
            fields = "".join(
                f'<input type="hidden" name="{name}" value="{value}">'
                for name, value in self.hop_fields.items()
            )
            return _page(f"<form method='post'>{fields}</form>")
        # SoftBank's hop is its own login page; Y!mobile's asks for a login without a ticket.
        return _page(_login_form(S_TICKET if self.brand == "softbank" else None))

    async def _login(self, request: web.Request) -> web.Response:
        form = await posted_form(request)
        if form != {"telnum": S_PHONE_DIGITS, "password": S_PASSWORD, "ticket": S_TICKET}:
            return _page(f"<p>パスワードが正しくありません {ECHO}</p>{_login_form(S_TICKET)}")
        if self.remember_sessions:
            self.sessions.add(S_COOKIE)
        response = _page(f"<p>ログインしました {S_PHONE}</p>")
        response.set_cookie(SESSION_COOKIE, S_COOKIE)
        return response

    async def _usage(self, request: web.Request) -> web.Response:
        form = await posted_form(request)
        if not self._logged_in(request) or form != self.hop_fields:
            return _page(_login_form(None))
        return web.Response(
            text=load_text_fixture(f"softbank/{self.usage_fixture}"), content_type="text/html"
        )


def _hop_form(portal: SentinelPortal, mfiv: str) -> str:
    fields = {**portal.hop_fields, "mfiv": mfiv}
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items()
    )
    return f"<form method='post'>{inputs}</form>"


def _sentinel_adapter(
    session: aiohttp.ClientSession,
    base_url: str,
    cls: type[_MySoftBankAdapter],
    password: str = S_PASSWORD,
) -> _MySoftBankAdapter:
    """An adapter with the sentinel phone number on the sentinel portal at ``base_url``."""
    return cls(
        session, phone_number=S_PHONE, password=password, base_url=base_url, clock=lambda: NOW
    )


async def _run_portal(
    serve: ServeApp,
    session: aiohttp.ClientSession,
    attempts: Attempts,
    cls: type[_MySoftBankAdapter],
    brand: str,
) -> list[CarrierAdapter]:
    portal = SentinelPortal(brand)
    base_url = await serve(portal.app())
    hop = YM_HOP if brand == "ymobile" else SB_HOP

    adapter = _sentinel_adapter(session, base_url, cls)
    assert (await adapter.async_fetch()).sims
    assert (await adapter.async_fetch()).sims
    portal.sessions.clear()  # the session expires: one silent login
    assert (await adapter.async_fetch()).sims
    # The kept hop fields are refused once: the hop's own fields are used from then on, so
    # each failure below meets the page it is meant for.
    portal.once[USAGE] = [_canned(_login_form(None))]
    assert (await adapter.async_fetch()).sims

    failures: list[tuple[str, Handler, type[CarrierError]]] = [
        (USAGE, _canned(f"メンテナンス中です {ECHO}"), CarrierMaintenanceError),
        (USAGE, _canned(f"<p>{ECHO}</p>"), CarrierParseError),
        (USAGE, _canned(f"<p>{ECHO}</p>", 500), CarrierConnectionError),
        (USAGE, _canned(f"<p>{ECHO}</p>", 404), CarrierConnectionError),
        (hop, _canned(f"<p>{ECHO}</p>", 404), CarrierConnectionError),
        (hop, _canned(f"<p>{ECHO}</p>"), CarrierParseError),
        (hop, _canned(ECHO, 429), CarrierRateLimitError),
        (USAGE, _hang_up, CarrierConnectionError),
        # A hidden field that cannot be sent back: refused, and named without its value.
        (hop, _canned(_hop_form(portal, f"{S_MFIV} {ECHO}")), CarrierParseError),
    ]
    for path, answer, error in failures:
        portal.once[path] = [answer]
        await attempts.expect(adapter.async_fetch(), error)

    # A login that does not stick never loops.
    session.cookie_jar.clear()
    portal.sessions.clear()
    portal.remember_sessions = False
    await attempts.expect(adapter.async_fetch(), CarrierSessionExpiredError)
    portal.remember_sessions = True

    wrong = _sentinel_adapter(session, base_url, cls, "wrong-" + S_PASSWORD)
    await attempts.expect(wrong.async_fetch(), CarrierAuthError)
    await attempts.expect(wrong.async_login(), CarrierAuthError)
    session.cookie_jar.clear()
    return [adapter, wrong]


@pytest.mark.parametrize(
    ("cls", "brand"), [(SoftBankAdapter, "softbank"), (YmobileAdapter, "ymobile")]
)
async def test_softbank_brand_secrets_stay_secret(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    cls: type[_MySoftBankAdapter],
    brand: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    attempts = Attempts()
    adapters = await _run_portal(serve, http_session, attempts, cls, brand)

    assert len(attempts.errors) == 12
    assert any(r.name.startswith("custom_components.japan_sim_data") for r in caplog.records)
    # Unreadable pages carry their outline for diagnostics: it must hold no secret either.
    skeletons = [str(getattr(err, "skeleton", None)) for err in attempts.errors]
    assert any("html" in skeleton for skeleton in skeletons)
    assert not _leaks([*_texts(caplog, attempts.errors, adapters), *skeletons], SENTINELS)


# --- Redirect loops: aiohttp's error carries the request's URL and headers ---------------------


async def test_povo_redirect_loop_keeps_the_line_and_token_secret(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    povo = SentinelPovo()
    base_url = await serve(povo.app())
    adapter = PovoAdapter(
        http_session,
        email=S_EMAIL,
        device_id=S_DEVICE_ID,
        auth_token=S_POVO_TOKEN,
        base_url=base_url,
        clock=lambda: NOW,
    )

    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(str(request.rel_url))

    povo.once[USAGE_PATH] = [loop] * 20
    attempts = Attempts()
    err = await attempts.expect(adapter.async_fetch(), CarrierConnectionError)
    texts = [text for link in _exception_chain(err) for text in (str(link), repr(link))]
    assert not _leaks(texts, SENTINELS)


@pytest.mark.parametrize(
    ("cls", "brand"), [(SoftBankAdapter, "softbank"), (YmobileAdapter, "ymobile")]
)
async def test_softbank_brand_redirect_loop_keeps_the_cookie_secret(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter],
    brand: str,
) -> None:
    portal = SentinelPortal(brand)
    adapter = _sentinel_adapter(http_session, await serve(portal.app()), cls)
    assert (await adapter.async_fetch()).sims  # logged in: the session cookie is set

    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(str(request.rel_url))

    portal.once[YM_HOP if brand == "ymobile" else SB_HOP] = [loop] * 20
    portal.once[USAGE] = [loop] * 20  # the kept fields go to the usage page first
    attempts = Attempts()
    err = await attempts.expect(adapter.async_fetch(), CarrierConnectionError)
    texts = [text for link in _exception_chain(err) for text in (str(link), repr(link))]
    assert not _leaks(texts, SENTINELS)


# --- Home Assistant: logs and diagnostics ------------------------------------------------------


def _phone_numbers() -> list[str]:
    """Every line's full phone number in the IIJmio fixture, as sent and as bare digits."""
    services = load_json_fixture("iijmio/member_top.json")["serviceInfoList"]
    numbers = [service["phoneNo"] for service in services]
    return [*numbers, *("".join(ch for ch in number if ch.isdigit()) for number in numbers)]


HA_SECRETS = (PASSWORD, MIO_ID, *_phone_numbers())


async def test_home_assistant_logs_and_diagnostics_keep_secrets(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_iijmio: MagicMock,
    init_integration: MockConfigEntry,
    # After init_integration: the access token must be issued on the frozen clock.
    hass_client: ClientSessionGenerator,
) -> None:
    caplog.set_level(logging.DEBUG)
    coordinator = init_integration.runtime_data.coordinator
    good = mock_iijmio.async_fetch.return_value
    assert len(HA_SECRETS) == 8

    async def update_and_diagnose() -> str:
        # Refreshing directly keeps the frozen clock, so the client's access token stays valid.
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
        return json.dumps(diagnostics, default=str)

    dumped = [await update_and_diagnose()]
    for error in (
        CarrierConnectionError("The carrier did not answer in time"),
        CarrierParseError("IIJmio's answer has no serviceInfoList"),
        CarrierRateLimitError("The carrier asked us to slow down (HTTP 429)", retry_after=60),
        None,  # recovered
        CarrierAuthError("IIJmio rejected the mioID or password"),
    ):
        mock_iijmio.async_fetch.side_effect = error
        mock_iijmio.async_fetch.return_value = good
        dumped.append(await update_and_diagnose())

    assert mock_iijmio.async_fetch.await_count == 7
    assert not coordinator.last_update_success
    messages = [record.getMessage() for record in caplog.records]
    assert any("Error fetching" in message for message in messages)
    assert not _leaks(messages, HA_SECRETS)
    assert not _leaks(dumped, HA_SECRETS)


@pytest.mark.parametrize(
    "error",
    [
        CarrierConnectionError("The carrier did not answer in time"),
        CarrierParseError("IIJmio's answer has no serviceInfoList"),
        CarrierAuthError("IIJmio rejected the mioID or password"),
    ],
)
async def test_home_assistant_setup_failures_keep_secrets(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_config_entry: MockConfigEntry,
    mock_iijmio: MagicMock,
    error: CarrierError,
) -> None:
    caplog.set_level(logging.DEBUG)
    mock_iijmio.async_fetch.side_effect = error
    # The title the config flow gives such an entry, so that fixing the flow fixes this test.
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(CARRIER_PROFILES[Carrier.IIJMIO], mock_config_entry.data),
        unique_id=mock_config_entry.unique_id,
        data=mock_config_entry.data,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert not _leaks([record.getMessage() for record in caplog.records], HA_SECRETS)
