"""mineo's login (eo ID, OpenID Connect): refresh tokens that work once, renewed without loss.

Each renewal spends the stored refresh token and hands out the next one, which then exists
nowhere but in the answer. So the next refresh token is checked and handed to the rotation
listener (which writes it to disk) before anything else of the answer is read; an answer
whose id_token or expiry is unusable still leaves the new refresh token kept, and the spent
one is never sent again. Renewals run one at a time, as a task of their own: a caller that
gives up (a time budget, an entry being unloaded) does not cut a renewal between the answer
and the listener; ``close`` waits for one in flight and lets no other start (the session is
about to close: a renewal sent then would spend the token and lose the answer).

References: see carriers/mineo.py (mineard §2, mineo-auth.ts, token-manager.ts; APGifter).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from .dates import TOKYO, plausible_moment
from .errors import CarrierAuthError, CarrierConnectionError, CarrierParseError
from .http import HostPolicy, HttpReply, check_token, request
from .skeleton import reading
from .units import to_number

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS (login): each fact names the reference it follows; "Assumed" marks what none
# shows. The data calls' assumptions are in carriers/mineo.py.
# ==========================================================================================
TOKEN_URL: Final = "https://login.eonet.jp/oidc/v1/token"  # noqa: S105 - an address
"""mineard api-specification.md §2 and wrangler.toml; APGifter ref_token()."""
CLIENT_ID: Final = "100064798"
"""The app's public client id (mineard §2 "固定値"; APGifter sends the same number)."""
# Body, form-encoded: grant_type=refresh_token, refresh_token, client_id; no other header than
# the form's Content-Type (mineard mineo-auth.ts, token-manager.ts; APGifter).
# Answer: {access_token, expires_in: "86400" (a string), id_token, refresh_token, token_type}
# (mineard §2). The refresh token works once (§2: "1回限り有効"); the answer carries the next.
# An answer without a refresh_token leaves the old one valid (RFC 6749 §6: the server MAY
# issue a new one; assumed, no reference shows such an answer). One with a refresh_token that
# cannot be kept has spent the old one: the login is lost, nothing is sent with it again.
# A refused refresh token: {"error": "invalid_token", "error_description": "refresh token is
# not exists"} (mineard §2); "invalid_grant" is what OAuth 2.0 (RFC 6749 §5.2) names it.
# The HTTP status of a refusal is not shown: assumed any, the body decides.
REJECTED_GRANT_ERRORS: Final = frozenset({"invalid_grant", "invalid_token"})
"""Token-endpoint errors that mean the stored refresh token is dead: only these ask the user
for a new one. Any other error (invalid_client, invalid_request...) is a change on mineo's
side, reported as such, never a reason to drop the login."""
ID_TOKEN_LIFETIME: Final = timedelta(hours=24)
"""mineard §1 ("有効期限: 24時間"), Qiita; used when the answer gives no expires_in."""
RENEW_BEFORE_EXPIRY: Final = timedelta(hours=1)
"""Renew this long before the id_token expires: two polls' worth, so a poll never sends an
expired token (mineard renews 15 minutes early, from an hourly job)."""
# The id_token's claims are read, never verified (no reference checks its signature): only
# its `exp` (which may shorten, never lengthen, the login's life) and, once mineo's API has
# accepted that id_token, its `sub` as the account's name (carriers/mineo.py).

_MAX_LIFETIME: Final = timedelta(days=366)
"""No login lasts a year: a longer expires_in is a misread."""
_ERROR_CODE: Final = re.compile(r"[a-z_]{1,40}")

type RotationListener = Callable[[], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class MineoTokens:
    """The account's login: a single-use refresh token and the id_token it last gave."""

    refresh_token: str
    id_token: str | None = None
    id_token_expires: datetime | None = None

    def as_secrets(self) -> dict[str, str]:
        """The tokens as the config entry stores them."""
        secrets = {"refresh_token": self.refresh_token}
        if self.id_token is not None:
            secrets["id_token"] = self.id_token
        if self.id_token_expires is not None:
            secrets["id_token_expires"] = self.id_token_expires.isoformat()
        return secrets


class MineoLogin:
    """One eo ID's tokens: renewed one renewal at a time, each new refresh token kept first."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: MineoTokens,
        *,
        token_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        """Hold the stored tokens; nothing is sent until an id_token is asked for."""
        self._session = session
        self._built = self._tokens = tokens
        self._token_url = token_url
        self._policy = HostPolicy.of(token_url)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._renewal: asyncio.Task[MineoTokens] | None = None
        self._listener: RotationListener | None = None
        self._lost = False
        self._closed = False

    @property
    def tokens(self) -> MineoTokens:
        """The tokens as they stand."""
        return self._tokens

    @property
    def changed(self) -> bool:
        """True once the tokens differ from those the login was built with."""
        return self._tokens != self._built

    def set_listener(self, listener: RotationListener) -> None:
        """Have ``listener`` persist the tokens each time a renewal changes them."""
        self._listener = listener

    async def id_token(self, *, rejected: str | None = None) -> str:
        """A usable id_token, renewing the login when it is missing, old or ``rejected``.

        Under the lock, and checked again inside it: a caller that waited while another one
        renewed uses the new token rather than spending the next refresh token.
        """
        async with self._lock:
            await self.settle()  # a renewal whose caller gave up: its answer comes first
            tokens = self._tokens
            if tokens.id_token is not None:
                if rejected is not None and tokens.id_token != rejected:
                    return tokens.id_token
                if rejected is None and not self._is_old(tokens):
                    return tokens.id_token
            self._renewal = task = asyncio.get_running_loop().create_task(self._renew())
            task.add_done_callback(_retrieve)
            # Waited for, not awaited: cancelling the caller must not cut the renewal before
            # the new refresh token is kept.
            await asyncio.wait({task})
            tokens = task.result()
            assert tokens.id_token is not None  # _renew returns only complete logins
            return tokens.id_token

    async def settle(self) -> None:
        """Wait for a renewal in flight to finish (its outcome is the tokens it left)."""
        if (renewal := self._renewal) is not None and not renewal.done():
            await asyncio.wait({renewal})

    async def close(self) -> None:
        """Wait for a renewal in flight, then start none: the login's session is closing."""
        self._closed = True
        await self.settle()

    def _is_old(self, tokens: MineoTokens) -> bool:
        expires = tokens.id_token_expires
        return expires is None or self._clock() >= expires - RENEW_BEFORE_EXPIRY

    async def _renew(self) -> MineoTokens:
        """Spend the refresh token for the next one."""
        if self._closed:
            raise CarrierConnectionError("mineo's login is closing; it is renewed after the reload")
        if self._lost:
            raise CarrierAuthError("mineo's last renewal gave no usable login; paste a new one")
        spent = self._tokens.refresh_token
        form = {"grant_type": "refresh_token", "refresh_token": spent, "client_id": CLIENT_ID}
        reply = await request(
            self._session,
            "POST",
            self._token_url,
            policy=self._policy,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data=urlencode(form),
        )
        return await self.accept(token_answer(reply), status=reply.status)

    async def accept(self, payload: Any, *, status: int = HTTPStatus.OK) -> MineoTokens:
        """Take a token answer: keep (and persist) its next refresh token, then read the rest.

        An answer with another ``status`` than 200 OK still has its refresh token kept (mineo
        may have rotated), but no login is read from it.
        """
        if not isinstance(payload, dict):
            raise CarrierParseError("mineo's login answer is not an object")  # nothing spent
        try:
            following = next_refresh_token(payload)
        except CarrierParseError:
            # The old token is spent and the next one unusable: never send either again.
            self._lost = True
            raise CarrierAuthError(
                "mineo handed out a refresh token that cannot be kept; paste a new one"
            ) from None
        if following is None:
            following = self._tokens.refresh_token
        else:
            await self._keep(MineoTokens(refresh_token=following))
        if status != HTTPStatus.OK:
            raise CarrierParseError(f"mineo's login server answered HTTP {status}")
        with reading(payload):
            tokens = parse_token_answer(payload, self._clock(), refresh_token=following)
        await self._keep(tokens)
        _LOGGER.debug("mineo login renewed")
        return tokens

    async def _keep(self, tokens: MineoTokens) -> None:
        """Make ``tokens`` the login and have the listener persist them before going on."""
        self._tokens = tokens
        if self._listener is not None and inspect.isawaitable(result := self._listener()):
            await result


def _retrieve(task: asyncio.Task[MineoTokens]) -> None:
    """Read a renewal's outcome, so one whose caller gave up is not reported as unretrieved."""
    if not task.cancelled():
        task.exception()


# -- answers ----------------------------------------------------------------------------------


def token_answer(reply: HttpReply) -> Any:
    """The token endpoint's answer as data; a refused refresh token is CarrierAuthError."""
    payload = reply.json()  # a web page raises CarrierMaintenanceError
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's login server answered in an unknown shape")
    error = payload.get("error")
    if error is not None:
        if error in REJECTED_GRANT_ERRORS:
            raise CarrierAuthError(
                "mineo rejected the stored login (refresh token); paste a new one"
            )
        code = error if isinstance(error, str) and _ERROR_CODE.fullmatch(error) else "unknown"
        raise CarrierParseError(f"mineo's login server refused the renewal ({code})")
    return payload


def next_refresh_token(payload: Any) -> str | None:
    """The answer's next refresh token: None when it gives none, CarrierParseError if unusable."""
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's login answer is not an object")
    raw = payload.get("refresh_token")
    return None if raw is None else check_token(raw, "refresh token")


def parse_token_answer(payload: Any, now: datetime, *, refresh_token: str) -> MineoTokens:
    """Read a token answer's id_token and its expiry, for the given (already kept) refresh token."""
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's login answer is not an object")
    id_token = check_token(payload.get("id_token"), "login token")
    lifetime = to_number(payload.get("expires_in"))
    expires = now + (ID_TOKEN_LIFETIME if lifetime is None else _seconds(lifetime))
    if (claimed := claimed_expiry(id_token, now)) is not None:
        expires = min(expires, claimed)
    if expires <= now:
        raise CarrierParseError("mineo handed out a login that has already expired")
    return MineoTokens(refresh_token=refresh_token, id_token=id_token, id_token_expires=expires)


def _seconds(value: float) -> timedelta:
    if value > _MAX_LIFETIME.total_seconds():
        raise CarrierParseError("mineo's login lifetime is implausible")
    return timedelta(seconds=value)


# -- the id_token's claims (read, not verified) -------------------------------------------------


def _jwt_claims(token: str | None) -> dict[str, Any]:
    if token is None or token.count(".") != 2:  # noqa: PLR2004 - header.claims.signature
        return {}
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except binascii.Error, ValueError, RecursionError:
        return {}
    return claims if isinstance(claims, dict) else {}


def subject(token: str | None) -> str | None:
    """The id_token's `sub` claim, when it has a usable one."""
    claimed = _jwt_claims(token).get("sub")
    if isinstance(claimed, str) and 0 < len(claimed) <= 255:  # noqa: PLR2004
        return claimed
    return None


def claimed_expiry(token: str, now: datetime) -> datetime | None:
    """The id_token's `exp` claim as a Tokyo moment; None when absent or implausible."""
    exp = _jwt_claims(token).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int):
        return None
    try:
        return plausible_moment(datetime.fromtimestamp(exp, TOKYO), now=now)
    except OverflowError, OSError, ValueError, CarrierParseError:
        return None


def stored_expiry(value: Any, now: datetime) -> datetime | None:
    """The stored expiry; unreadable, naive or implausible means unknown (then renewed)."""
    if not value or not isinstance(value, str):
        return None
    try:
        return plausible_moment(datetime.fromisoformat(value), now=now)
    except ValueError, CarrierParseError:
        return None
