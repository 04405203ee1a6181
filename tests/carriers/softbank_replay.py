"""A local stand-in for the SoftBank ID portals: entry, login, hop and usage page on one host.

Pages come from tests/fixtures/softbank/ (its README names the public scraper each follows).
Every request is recorded in ``hits``, so tests can count what a poll costs. The hop's fields
are accepted again by default; ``one_shot_fields`` makes each hop's fields open the usage page
once, the other shape a live portal may have (no reference shows which).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from custom_components.japan_sim_data.carriers.dates import TOKYO
from custom_components.japan_sim_data.carriers.softbank import SoftBankAdapter, _MySoftBankAdapter
from custom_components.japan_sim_data.carriers.units import GIB
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


def gb(value: str) -> int:
    """Bytes of a GB figure written as the page writes it (1 GB = 1024³ bytes)."""
    return round(Decimal(value) * GIB)


def html(name: str, status: int = 200) -> web.Response:
    return web.Response(text=fixture(name), status=status, content_type="text/html")


def page(body: str) -> str:
    return f"<!DOCTYPE html><html lang='ja'><body>{body}</body></html>"


async def posted_form(request: web.Request) -> dict[str, str]:
    """A posted form's fields, as text."""
    return {key: str(value) for key, value in (await request.post()).items()}


def portal_app(
    brand: str,
    middleware: Middleware,
    *,
    entry: Handler,
    hop: Handler,
    login: Handler,
    usage: Handler,
) -> web.Application:
    """A portal's addresses as the adapters ask them: Y!mobile's entry page only on its brand."""
    app = web.Application(middlewares=[middleware])
    if brand == "ymobile":
        app.router.add_get(YM_ENTRY, entry)
        app.router.add_get(YM_HOP, hop)
    else:
        app.router.add_get(SB_HOP, hop)
    app.router.add_post(LOGIN, login)
    app.router.add_post(USAGE, usage)
    return app


def section(*tables: str, classes: str = "list-toggle-content js-toggle-content m-top-20") -> str:
    """A usage page's section of tables, as the portals wrap them."""
    return f'<div class="{classes}">{"".join(tables)}</div>'


def table(label: str | None, *cells: str) -> str:
    """A table with an optional heading row and one row per cell."""
    head = f"<tr><th>{label}</th></tr>" if label is not None else ""
    rows = "".join(f"<tr><td>{cell}</td></tr>" for cell in cells)
    return f"<table><tbody>{head}{rows}</tbody></table>"


@dataclass
class FakeMySoftBank:
    """A SoftBank ID portal: ticket page, login, hidden-field hop and usage page on one host."""

    brand: str = "softbank"
    usage_page: str | None = None
    """Serve this fixture as the usage page instead of the brand's usual one."""
    usage_text: str | None = None
    """Serve this text as the usage page (takes precedence over usage_page)."""
    usage_bytes: bytes | None = None
    """Serve these bytes as the usage page, as `text/html` with no charset (takes precedence)."""
    one_shot_fields: bool = False
    """Each hop's fields open the usage page once; posted again they get the login page."""
    usage_status: int = 200
    hop_page: str | None = None
    """Serve this fixture on the hop instead of the real thing (maintenance, errors)."""
    hop_text: str | None = None
    """Serve this text on the hop to a logged-in session."""
    hop_status: int = 200
    entry_page: str | None = None
    entry_text: str | None = None
    """Serve this text as Y!mobile's entry page (takes precedence over entry_page)."""
    login_page: str | None = None
    login_status: int = 200
    login_redirect: str | None = None
    """Answer a right login with a 302 to this address (and the session cookie)."""
    remember_sessions: bool = True
    usage_logouts: int = 0
    """How many usage requests find that the session has just expired."""
    sessions: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    _fresh_fields: bool = False

    def count(self, method: str, path: str) -> int:
        """How many requests of this method reached this path."""
        return self.hits.count(f"{method} {path}")

    @property
    def requests(self) -> int:
        return len(self.hits)

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
        return portal_app(
            self.brand,
            self._record,
            entry=self._entry,
            hop=self._hop,
            login=self._login,
            usage=self._usage,
        )

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.hits.append(f"{request.method} {request.path}")
        self.user_agents.append(request.headers.get("User-Agent", ""))
        return await handler(request)

    def _logged_in(self, request: web.Request) -> bool:
        return request.cookies.get(COOKIE) in self.sessions

    async def _entry(self, request: web.Request) -> web.Response:
        if self.entry_text is not None:
            return web.Response(text=self.entry_text, content_type="text/html")
        if self.entry_page is not None:
            return html(self.entry_page)
        return html(f"{self.brand}_entry.html")

    async def _hop(self, request: web.Request) -> web.Response:
        if self.hop_page is not None:
            return html(self.hop_page, self.hop_status)
        if self._logged_in(request):
            self._fresh_fields = True
            if self.hop_text is not None:
                return web.Response(text=self.hop_text, content_type="text/html")
            return html(f"{self.brand}_hop.html")
        # SoftBank's MRERE0000 is its own login page; Y!mobile's asks for a login without a ticket.
        return html("softbank_entry.html" if self.brand == "softbank" else "session_expired.html")

    async def _login(self, request: web.Request) -> web.StreamResponse:
        form = await posted_form(request)
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
        response: web.StreamResponse = (
            web.Response(status=302, headers={"Location": self.login_redirect})
            if self.login_redirect
            else html("softbank_login_ok.html")
        )
        token = secrets.token_hex(8)
        self.issued.append(token)
        if self.remember_sessions:
            self.sessions.add(token)
        response.set_cookie(COOKIE, token)
        return response

    async def _usage(self, request: web.Request) -> web.Response:
        form = await posted_form(request)
        self.forms.append(form)
        if not self._logged_in(request) or form != self.hop_fields:
            return html("session_expired.html")
        if self.one_shot_fields and not self._fresh_fields:
            # Assumed shape of a refusal: the usage host's login page, as after a logout.
            return html("session_expired.html")
        self._fresh_fields = False
        if self.usage_logouts:
            self.usage_logouts -= 1
            self.sessions.discard(request.cookies[COOKIE])
            return html("session_expired.html")
        if self.usage_bytes is not None:
            return web.Response(
                body=self.usage_bytes,
                status=self.usage_status,
                headers={"Content-Type": "text/html"},
            )
        if self.usage_text is not None:
            return web.Response(
                text=self.usage_text, status=self.usage_status, content_type="text/html"
            )
        return html(self.usage_page or f"{self.brand}_usage.html", self.usage_status)


async def adapter_for(
    serve: ServeApp,
    session: aiohttp.ClientSession,
    fake: FakeMySoftBank,
    cls: type[_MySoftBankAdapter] = SoftBankAdapter,
    *,
    password: str = PASSWORD,
    reset_day: int = 1,
    **options: Any,
) -> _MySoftBankAdapter:
    """An adapter of ``cls`` on ``fake`` served anew (``options`` go to the adapter)."""
    base_url = await serve(fake.app())
    return cls(
        session,
        phone_number=PHONE,
        password=password,
        reset_day=reset_day,
        base_url=base_url,
        clock=lambda: NOW,
        **options,
    )


async def on_portal(
    serve: ServeApp,
    session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter] = SoftBankAdapter,
    *,
    polls: int = 0,
    password: str = PASSWORD,
    reset_day: int = 1,
    **answers: Any,
) -> tuple[FakeMySoftBank, _MySoftBankAdapter]:
    """A portal (``answers`` set its FakeMySoftBank fields) and an adapter on it that has
    fetched ``polls`` times."""
    fake = FakeMySoftBank(**answers)
    adapter = await adapter_for(serve, session, fake, cls, password=password, reset_day=reset_day)
    for _ in range(polls):
        await adapter.async_fetch()
    return fake, adapter
