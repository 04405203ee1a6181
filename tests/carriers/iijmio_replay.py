"""A local stand-in for IIJmio's member site that replays answers in the documented shapes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.helpers import load_json_fixture

MIO_ID = "mio-sentinel-user@example.com"
PASSWORD = "sentinel-password-42"


@dataclass
class IijmioReplay:
    """Serves /auth/login/, /api/member/login and /api/member/top like IIJmio does."""

    password: str = PASSWORD
    top_payload: Any = field(default_factory=lambda: load_json_fixture("iijmio/member_top.json"))
    top_answer: Callable[[], web.StreamResponse] | None = None
    """When set, /api/member/top answers with this instead of the payload."""
    expire_sessions_with: Callable[[], web.StreamResponse] | None = None
    """When set, a /api/member/top call ends the session and answers with this, once."""
    expire_always: bool = False
    logins: int = 0
    requests: list[str] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        """Build the aiohttp application."""
        app = web.Application()
        app.router.add_get("/auth/login/", self._login_page)
        app.router.add_post("/api/member/login", self._login)
        app.router.add_post("/api/member/top", self._top)
        return app

    async def _login_page(self, request: web.Request) -> web.Response:
        self.requests.append("GET /auth/login/")
        response = web.Response(text="<!DOCTYPE html><html>login</html>", content_type="text/html")
        response.set_cookie("waf", "passed")
        return response

    async def _login(self, request: web.Request) -> web.Response:
        self.requests.append("POST /api/member/login")
        self.logins += 1
        if request.cookies.get("waf") != "passed":
            return web.Response(status=403, text="<html>Forbidden</html>", content_type="text/html")
        body = await request.json()
        if body != {"mioId": MIO_ID, "password": self.password}:
            return web.json_response({"error": "ERROR_CODE_008"})
        token = secrets.token_hex(8)
        self.sessions.add(token)
        response = web.json_response({})
        response.set_cookie("session", token)
        return response

    async def _top(self, request: web.Request) -> web.StreamResponse:
        self.requests.append("POST /api/member/top")
        if request.cookies.get("session") not in self.sessions:
            return web.json_response({"error": "ERROR_CODE_032"})
        if self.expire_sessions_with is not None:
            self.sessions.clear()
            answer = self.expire_sessions_with()
            if not self.expire_always:
                self.expire_sessions_with = None
            return answer
        if self.top_answer is not None:
            return self.top_answer()
        return web.json_response(self.top_payload)
