"""A local stand-in for IIJmio: the member site and the My IIJmio app API, on one server.

Shapes follow tests/fixtures/iijmio/README.md. The member site's session is a cookie; the app
API's is a bearer token. Both kinds of session live in ``sessions``, so clearing it (a password
change on IIJmio's site) ends both.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.helpers import load_json_fixture

MIO_ID = "mio-sentinel-user@example.com"
PASSWORD = "sentinel-password-42"
ACCOUNT_MIO_ID = "MA0000001"
"""The account's own mioID, as IIJmio names it whichever login (mioID or e-mail) was typed."""
APP_VERSION = "3.2.5"

_BEARER = re.compile(r"^Bearer (?P<token>[^,]+),appVersion=(?P<version>\S+)$")

type Answer = Callable[[], web.StreamResponse]


@dataclass
class IijmioReplay:
    """Serves the member site's and the app API's routes like IIJmio does."""

    password: str = PASSWORD
    login_id: str = MIO_ID
    """The login the account was opened with (an e-mail address here)."""
    top_payload: Any = field(default_factory=lambda: load_json_fixture("iijmio/member_top.json"))
    top_answer: Answer | None = None
    """When set, /api/member/top answers with this instead of the payload."""
    expire_sessions_with: Answer | None = None
    """When set, a /api/member/top call ends the session and answers with this, once."""
    expire_always: bool = False
    logins: int = 0
    """Logins on the member site."""
    requests: list[str] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)

    # --- The app API -------------------------------------------------------------------------
    app_api: bool = True
    """False: the app API's paths are not served (404), as if the app API had moved."""
    app_version: str = APP_VERSION
    """The app version the API accepts; any other gets HTTP 505."""
    account_mio_id: str = ACCOUNT_MIO_ID
    line_info: Any = field(default_factory=lambda: load_json_fixture("iijmio/app_line_info.json"))
    data_traffic: Any = field(
        default_factory=lambda: load_json_fixture("iijmio/app_data_traffic.json")
    )
    past_traffic: Any = field(
        default_factory=lambda: load_json_fixture("iijmio/app_past_data_traffic.json")
    )
    app_answers: dict[str, Answer] = field(default_factory=dict)
    """Per app path ("/token", "/dataTraffic", ...): answer with this instead."""
    expire_tokens_with: Answer | None = None
    """When set, a /dataTraffic call ends the app session and answers with this, once."""
    app_logins: int = 0
    authorizations: list[str] = field(default_factory=list)
    """The Authorization header of every app API request, in order."""
    app_queries: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """(path, query) of every app API GET, in order."""

    def app(self) -> web.Application:
        """Build the aiohttp application."""
        app = web.Application()
        app.router.add_get("/auth/login/", self._login_page)
        app.router.add_post("/api/member/login", self._login)
        app.router.add_post("/api/front/loginInfo", self._login_info)
        app.router.add_post("/api/member/top", self._top)
        if self.app_api:
            app.router.add_post("/token", self._token)
            app.router.add_get("/lineInfo", self._app_get)
            app.router.add_get("/dataTraffic", self._app_get)
            app.router.add_get("/pastDataTraffic", self._app_get)
        return app

    def add_app_api_routes(self, app: web.Application) -> None:
        """Serve this account's app API on ``app``, an application of another account's site.

        For the end-to-end server, where one account reads the member site and another the app
        API: /token answers 404 to any other login, as the member-site account's app API
        answered before (its adapter then falls back to the member site, as ever).
        """

        async def token(request: web.Request) -> web.StreamResponse:
            body = await request.json()  # aiohttp keeps the body: _token reads it again
            if not isinstance(body, dict) or body.get("loginId") not in {
                self.login_id,
                self.account_mio_id,
            }:
                return web.Response(status=404, text="404: Not Found")
            return await self._token(request)

        app.router.add_post("/token", token)
        for path in ("/lineInfo", "/dataTraffic", "/pastDataTraffic"):
            app.router.add_get(path, self._app_get)

    # --- Member site -------------------------------------------------------------------------

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
        if body != {"mioId": self.login_id, "password": self.password}:
            return web.json_response({"error": "ERROR_CODE_008"})
        token = secrets.token_hex(8)
        self.sessions.add(token)
        response = web.json_response({})
        response.set_cookie("session", token)
        return response

    async def _login_info(self, request: web.Request) -> web.Response:
        self.requests.append("POST /api/front/loginInfo")
        if request.cookies.get("session") not in self.sessions:
            return web.json_response({"error": "ERROR_CODE_032"})
        return web.json_response(
            {
                "login_flg": True,
                "user_name": "見尾 太郎",
                "id_ma": self.account_mio_id,
                "webViewFlg": False,
            }
        )

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

    # --- App API -----------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        self.requests.append("POST /token")
        self.app_logins += 1
        authorization = request.headers.get("Authorization", "")
        self.authorizations.append(authorization)
        if (answer := self.app_answers.get("/token")) is not None:
            return answer()
        if authorization != f"appVersion={self.app_version}":
            return web.json_response({}, status=505)
        body = await request.json()
        if (
            body.get("loginId") not in {self.login_id, self.account_mio_id}
            or body.get("password") != self.password
        ):
            return web.json_response({}, status=401)
        token = secrets.token_hex(16)
        self.sessions.add(token)
        return web.json_response(
            {"mioId": self.account_mio_id, "token": token, "contractorName": "見尾 太郎"}
        )

    async def _app_get(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(f"GET {request.path}")
        self.app_queries.append((request.path, dict(request.query)))
        authorization = request.headers.get("Authorization", "")
        self.authorizations.append(authorization)
        match = _BEARER.match(authorization)
        if match is None or match["token"] not in self.sessions:
            return web.json_response({}, status=401)
        if match["version"] != self.app_version:
            return web.json_response({}, status=505)
        if (answer := self.app_answers.get(request.path)) is not None:
            return answer()
        if request.path == "/dataTraffic" and self.expire_tokens_with is not None:
            self.sessions.discard(match["token"])
            answer, self.expire_tokens_with = self.expire_tokens_with, None
            return answer()
        # Every answer names the account it is for, as IIJmio's do.
        return web.json_response({**self._app_payload(request), "mioId": self.account_mio_id})

    def _app_payload(self, request: web.Request) -> Any:
        if request.path == "/lineInfo":
            return self.line_info
        if request.path == "/dataTraffic":
            return self.data_traffic
        return {**self.past_traffic, "serviceCode": request.query.get("serviceCode")}
