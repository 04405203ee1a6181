"""A local stand-in for mineo: eo ID's token endpoint and the app API, on one server.

Shapes follow tests/fixtures/mineo/README.md. Refresh tokens work once, as mineard's
specification says: each use spends the token and hands out the next. The replay counts every
refresh token presented, and every spent one presented again, so tests can prove that the
integration never reuses one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.helpers import load_json_fixture

CLIENT_ID = "100064798"
"""The mineo app's client id as mineard's specification gives it (stated here on its own, so
that a typo in the adapter fails the tests; the e2e replay process needs no integration)."""
TOKEN_PATH = "/oidc/v1/token"
API_PATH = "/mineo/v1"
INITIAL_REFRESH_TOKEN = "rt-0-initial-sentinel"
SUBJECT = "eo-subject-sentinel"
LIFETIME = 86400

type Answer = Callable[[], web.StreamResponse]


def fake_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT with ``claims`` (mineo's are RS256; nothing here checks signatures)."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def _json(name: str, status: int = 200) -> web.Response:
    return web.json_response(load_json_fixture(f"mineo/{name}"), status=status)


@dataclass
class MineoReplay:
    """Serves mineo's token endpoint and the data calls the adapter makes."""

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    subject: str = SUBJECT
    telnum_list: Any = field(default_factory=lambda: load_json_fixture("mineo/telnum_list.json"))
    capacities: dict[str, Any] = field(
        default_factory=lambda: {
            "ABC12DE345": load_json_fixture("mineo/capacity.json"),
            "FGH67IJ890": load_json_fixture("mineo/capacity_switch_on.json"),
        }
    )
    charge_infos: dict[str, Any] = field(default_factory=dict)
    """get_packetcharge_info answers by custId (mineard §4.5); others get 0098 (the expiry of
    bought data is then unknown). Empty by default: the e2e suite runs on the real clock, where
    the fixture's "20251231" has passed."""
    histories: dict[str, Any] = field(default_factory=dict)
    """get_traffic_history answers by custId; a line without one gets 0098, as before."""
    history_answer: Answer | None = None
    """When set, get_traffic_history answers with this (the other calls as usual)."""
    token_answer: Answer | None = None
    """When set, the token endpoint answers with this (and spends nothing)."""
    token_gate: asyncio.Event | None = None
    """When set, the token endpoint holds each answer until the event is set (a slow login)."""
    token_asked: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a request reaches the token endpoint."""
    api_answer: Answer | None = None
    """When set, every data call answers with this."""
    valid_refresh_tokens: set[str] = field(default_factory=lambda: {INITIAL_REFRESH_TOKEN})
    spent_refresh_tokens: set[str] = field(default_factory=set)
    valid_id_tokens: set[str] = field(default_factory=set)
    refresh_uses: list[str] = field(default_factory=list)
    """Every refresh token presented, in order."""
    reused: int = 0
    """Spent refresh tokens presented again: must stay 0."""
    token_prefix: str = "rt"
    """How handed-out refresh tokens begin (the secrets test makes them sentinels)."""
    issued: list[str] = field(default_factory=list)
    """Every refresh token and id_token handed out, in order."""
    observer: Callable[[str], None] | None = None
    """When set, called with each call's name as it arrives (before it is answered)."""
    calls: list[str] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    bodies_seen: list[dict[str, str]] = field(default_factory=list)

    @property
    def current_refresh_token(self) -> str:
        """The one refresh token that works now."""
        (token,) = self.valid_refresh_tokens
        return token

    def expire_id_tokens(self) -> None:
        """Every id_token handed out so far stops working, as after 24 hours."""
        self.valid_id_tokens.clear()

    def reject_all_refresh_tokens(self) -> None:
        """The login is gone at mineo (logged out everywhere, or expired)."""
        self.valid_refresh_tokens.clear()

    def app(self) -> web.Application:
        """The routes, at mineo's own paths."""
        app = web.Application()
        self.install(app)
        return app

    def install(self, app: web.Application) -> None:
        """Add the routes to ``app`` (the e2e replay serves several carriers on one port)."""
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_post(f"{API_PATH}/{{call}}", self._call)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = dict(await request.post())
        self.calls.append("token")
        self.bodies_seen.append({key: str(value) for key, value in form.items()})
        self.token_asked.set()
        if self.token_gate is not None:
            await self.token_gate.wait()
        if self.token_answer is not None:
            return self.token_answer()
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != CLIENT_ID:
            return web.json_response({"error": "invalid_request"}, status=400)
        presented = str(form.get("refresh_token", ""))
        self.refresh_uses.append(presented)
        if presented in self.spent_refresh_tokens:
            self.reused += 1
            return _json("token_invalid_grant.json", status=400)
        if presented not in self.valid_refresh_tokens:
            return _json("token_rejected.json", status=400)
        # The token is spent; the next one is handed out with a new id_token.
        self.valid_refresh_tokens.discard(presented)
        self.spent_refresh_tokens.add(presented)
        issued = len(self.spent_refresh_tokens)
        refresh_token = f"{self.token_prefix}-{issued}-{secrets.token_hex(8)}"
        now = int(self.clock().timestamp())
        id_token = fake_jwt({"sub": self.subject, "exp": now + LIFETIME, "iat": now, "n": issued})
        self.valid_refresh_tokens.add(refresh_token)
        self.valid_id_tokens.add(id_token)
        self.issued += [refresh_token, id_token]
        answer = load_json_fixture("mineo/token.json")
        answer |= {
            "access_token": f"at-{issued}",
            "id_token": id_token,
            "refresh_token": refresh_token,
        }
        return web.json_response(answer)

    async def _call(self, request: web.Request) -> web.StreamResponse:
        call = request.match_info["call"]
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.calls.append(call)
        if self.observer is not None:
            self.observer(call)
        self.headers_seen.append(dict(request.headers))
        self.bodies_seen.append(form)
        if self.api_answer is not None:
            return self.api_answer()
        if call == "get_traffic_history" and self.history_answer is not None:
            return self.history_answer()
        authorization = request.headers.get("Authorization", "")
        if (
            not authorization.startswith("Bearer ")
            or authorization.removeprefix("Bearer ") not in self.valid_id_tokens
        ):
            return _json("invalid_jwt.json", status=401)
        if not all(request.headers.get(name) for name in ("appId", "appVersion", "aid")):
            return _json("result_system_error.json")
        return web.json_response(self._payload(call, form.get("custId", "")))

    def _payload(self, call: str, cust_id: str) -> Any:
        if call == "get_telnum_list":
            return self.telnum_list
        if call == "get_capacity" and (payload := self.capacities.get(cust_id)) is not None:
            return payload
        if call == "get_traffic_history" and (payload := self.histories.get(cust_id)) is not None:
            return payload
        if call == "get_packetcharge_info" and (payload := self.charge_infos.get(cust_id)):
            return payload
        # mineard §1: 0022 for an unknown custId, 0098 for anything else it cannot serve.
        return {"resultCode": "0022" if call == "get_capacity" else "0098", "messages": [None]}
