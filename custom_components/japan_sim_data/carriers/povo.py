"""povo 2.0 (KDDI): remaining data from the private API behind the povo app.

Every request, header and answer shape here follows what two public clients captured from the
povo app and from their own logins; each module's ASSUMPTIONS block names the source of each
fact and marks what no source shows. The adapter is split by concern: `povo_login.py` (login,
token, refusals), `povo_usage.py` (profile, usage buckets, plan-details page, month turnover),
`povo_history.py` (daily usage history); this module sends the requests and decides when.
The references, by commit:

- roflsunriz/esp32-povo-2.0 @ bd9b0d04b694018a9e84870af98036a69eae195b ("esp32"):
  docs/auth-capture/{README.md, android-flows.jsonl, independent-flows.jsonl,
  static-analysis.md}, include/auth-protocol.h, include/direct-status.h, src/povo-client.cpp,
  test/direct-status-test.cpp (@ 6f6f94273bbbea67dcec278fac3cd17eccf4363d).
- uirooong/povo-android @ 93399762cab3b1a23cfc1dcc5c858158765fa1a9 ("povo-android"):
  docs/PHASE1-FINDINGS.md, docs/POVO-CORE-CHANGES.md, docs/samples/, core-povo's samples,
  parsers (ProfileParser, UsageParser, QuiltParser, Jwt) and their tests; the 403001 finding in
  app/.../AccountRepository.kt (@ 56386ed5162e4c7fbf47c1c84b5fff7efd0fcaa9) and
  SessionScopedCache.kt (@ d47e5c27ccbd2523a95a298199f1ecbc4f9ac20c); the daily usage history
  in docs/USAGE-HISTORY-FINDINGS.md (@ 90e184e41696aac2d4b02b9c9c5ccf223735626c).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Final

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import history_is_fresh, tokyo_now
from .errors import CarrierAuthError, CarrierError, CarrierParseError

# Defined in errors.py, so error_keys.py names them without importing this adapter; re-exported
# (the "as" form) so they stay importable from here.
from .errors import PovoCodeRejectedError as PovoCodeRejectedError  # noqa: PLC0414
from .errors import PovoMoreAuthNeededError as PovoMoreAuthNeededError  # noqa: PLC0414
from .http import HostPolicy, HttpReply, check_token, request
from .models import AccountUsage, Carrier, DailyUsage, DataBucket
from .povo_history import HISTORY_GRAPH_TILE as HISTORY_GRAPH_TILE  # noqa: PLC0414
from .povo_history import USAGE_HISTORY_PATH as USAGE_HISTORY_PATH  # noqa: PLC0414
from .povo_history import USAGE_HISTORY_QUERY as USAGE_HISTORY_QUERY  # noqa: PLC0414
from .povo_history import parse_usage_history as parse_usage_history  # noqa: PLC0414
from .povo_login import (
    ACCEPT_LANGUAGE,
    APP_PLATFORM,
    DEVICE_META,
    LIFETIME_WITHOUT_EXPIRY,
    MAX_CODE_LENGTH,
    MAX_ID_LENGTH,
    OTP_REQUEST,
    TIMEZONE,
    PageRefusedError,
    envelope,
    identifier,
    is_json_status,
    is_refusal,
    refuse_login,
)
from .povo_login import APP_VERSION as APP_VERSION  # noqa: PLC0414
from .povo_login import AUTH_PATH as AUTH_PATH  # noqa: PLC0414
from .povo_login import LOGIN_ACTION_PATH as LOGIN_ACTION_PATH  # noqa: PLC0414
from .povo_login import OTP_PATH as OTP_PATH  # noqa: PLC0414
from .povo_login import TOKEN_PATH as TOKEN_PATH  # noqa: PLC0414
from .povo_login import USER_AGENT as USER_AGENT  # noqa: PLC0414
from .povo_login import PovoDeviceRejectedError as PovoDeviceRejectedError  # noqa: PLC0414
from .povo_login import PovoToken as PovoToken  # noqa: PLC0414
from .povo_login import check_login_actions as check_login_actions  # noqa: PLC0414
from .povo_login import check_next_step as check_next_step  # noqa: PLC0414
from .povo_login import new_device_id as new_device_id  # noqa: PLC0414
from .povo_login import parse_token as parse_token  # noqa: PLC0414
from .povo_login import request_uuid as request_uuid  # noqa: PLC0414
from .povo_usage import BUCKET_NAMES as BUCKET_NAMES  # noqa: PLC0414
from .povo_usage import PLAN_DETAIL_TILE as PLAN_DETAIL_TILE  # noqa: PLC0414
from .povo_usage import PLAN_DETAILS_PATH as PLAN_DETAILS_PATH  # noqa: PLC0414
from .povo_usage import PROFILE_PATH as PROFILE_PATH  # noqa: PLC0414
from .povo_usage import TILE_ROUNDING, build_sim, sum_known
from .povo_usage import USAGE_PATH as USAGE_PATH  # noqa: PLC0414
from .povo_usage import PlanTile as PlanTile  # noqa: PLC0414
from .povo_usage import PovoLine as PovoLine  # noqa: PLC0414
from .povo_usage import parse_expiry as parse_expiry  # noqa: PLC0414
from .povo_usage import parse_plan_details as parse_plan_details  # noqa: PLC0414
from .povo_usage import parse_plan_tiles as parse_plan_tiles  # noqa: PLC0414
from .povo_usage import parse_profile as parse_profile  # noqa: PLC0414
from .povo_usage import parse_usage as parse_usage  # noqa: PLC0414
from .povo_usage import parse_used as parse_used  # noqa: PLC0414
from .povo_usage import soonest_data_expiry as soonest_data_expiry  # noqa: PLC0414
from .povo_usage import unlimited_until as unlimited_until  # noqa: PLC0414
from .skeleton import reading
from .units import MIB, normalize_text

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS (the host and how often each page is asked); the other facts are in
# povo_login.py, povo_usage.py and povo_history.py.
# ==========================================================================================

BASE_URL: Final = "https://app.povo.jp"
"""esp32 README (the final authority measured: app.povo.jp:443) and src/povo-client.cpp."""

# Requests per poll. A poll asks for the usage (the figures, as povo-android reads them at
# every refresh) and, as the token lives 1200 s (povo-android PHASE1-FINDINGS.md), renews it
# first whenever it has expired: at Home Assistant's 30-minute interval that is every poll,
# 2 requests; a Refresh while the token lives is 1. The profile (the line) is read once. The
# plan-details page dates the data and names a running unlimited topping, and changes only
# when a topping is bought, runs out or expires; it is read again when one of these may have
# happened, judged from the usage answer (a bucket's size changed; a tile's expiry passed;
# the data spent since the read covers the soonest topping, which povo spends first), and
# otherwise every PLAN_PAGE_REFRESH (assumed: no reference says how often; esp32 reads only
# this page, at every poll). The daily history is read every HISTORY_REFRESH (dates.py) and
# on a new Tokyo day. Measured against the replay (tests/carriers/test_povo_turnover.py):
# 113 requests in a day of 48 polls, 2.35 a poll; before, 3 a poll and the history.
PLAN_PAGE_REFRESH: Final = timedelta(hours=2)
"""Assumed: how late a newly bought unlimited topping may show (the usage answer shows no
trace of one); data toppings show at once, as the usage buckets' sizes change."""
SIZE_CHANGE: Final = MIB
"""A bucket's size (used + left) is steady while data is spent; a change beyond float noise
means a topping was bought, or povo took an expired one away."""

# ==========================================================================================


@dataclass(frozen=True, slots=True)
class PlanPageRead:
    """The plan-details page as last read, and the usage figures it was read next to."""

    read_at: datetime
    tiles: tuple[PlanTile, ...]
    sizes: tuple[tuple[str, int | None], ...]
    """Each usage bucket's kind and size when the page was read."""
    left: int | None
    """Data left in the usage answer when the page was read."""

    def serves(self, buckets: tuple[DataBucket, ...], now: datetime) -> bool:
        """Tell whether the page still says what povo would show at ``now``."""
        if not timedelta(0) <= now - self.read_at < PLAN_PAGE_REFRESH:
            return False
        sizes = bucket_sizes(buckets)
        if [kind for kind, _ in sizes] != [kind for kind, _ in self.sizes] or any(
            _size_changed(old, new) for (_, old), (_, new) in zip(self.sizes, sizes, strict=True)
        ):
            return False  # a topping was bought, or one was taken away
        if any(tile.expires and self.read_at < tile.expires <= now for tile in self.tiles):
            return False  # a topping expired since: the next one dates the data
        return not self._soonest_may_have_run_out(buckets, now)

    def _soonest_may_have_run_out(self, buckets: tuple[DataBucket, ...], now: datetime) -> bool:
        """Tell whether the soonest-expiring topping (povo spends it first) may be spent."""
        holding = [
            tile
            for tile in self.tiles
            if not tile.unlimited and tile.remaining and tile.expires and tile.expires > now
        ]
        left = sum_known(bucket.remaining for bucket in buckets)
        if not holding or left is None or self.left is None:
            return False
        soonest = min(holding, key=lambda tile: tile.expires or now)
        return self.left - left >= (soonest.remaining or 0) - TILE_ROUNDING


def bucket_sizes(buckets: tuple[DataBucket, ...]) -> tuple[tuple[str, int | None], ...]:
    """Each bucket's kind and size, the marks of a topping bought or taken away."""
    return tuple((bucket.kind.value, bucket.total) for bucket in buckets)


def _size_changed(old: int | None, new: int | None) -> bool:
    if old is None or new is None:
        return old != new
    return abs(old - new) > SIZE_CHANGE


class PovoAdapter(CarrierAdapter):
    """One povo 2.0 account (one line), logged in with an e-mail one-time code.

    The config flow calls async_request_code() then async_submit_code() on the same
    instance; afterwards the adapter keeps the token fresh and reports new ones through
    refreshed_secrets().
    """

    carrier = Carrier.POVO

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        email: str,
        device_id: str,
        auth_token: str | None = None,
        base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the account's identity; a stored token is read when it is first needed."""
        super().__init__(session)
        self._email = email.strip()
        self._device_id = device_id
        self._stored_token = auth_token
        self._token: PovoToken | None = None
        self._token_obtained: datetime | None = None
        # Read at construction, not at import: tests and benchmarks point BASE_URL at a replay.
        self._base_url = (base_url or BASE_URL).rstrip("/")
        self._policy = HostPolicy.of(self._base_url)
        self._clock = clock or tokyo_now
        self._challenge_id: str | None = None
        self._line: PovoLine | None = None
        self._plan_page: PlanPageRead | None = None
        self._history: tuple[datetime, tuple[DailyUsage, ...]] | None = None

    @property
    def account_id(self) -> str:
        """A hash of the e-mail address."""
        return anonymous_id(self.carrier, self._email)

    def refreshed_secrets(self) -> dict[str, str]:
        """Return the token when it differs from the one the adapter was built with."""
        if self._token is not None and self._token.value != self._stored_token:
            return {"auth_token": self._token.value}
        return {}

    # -- login ------------------------------------------------------------------------------

    async def async_request_code(self) -> None:
        """Ask povo to e-mail a one-time login code.

        Raises PovoMoreAuthNeededError when povo asks for anything but that code.
        """
        refused = CarrierAuthError("povo refused a login for this e-mail address")
        result = envelope(
            await self._send("POST", LOGIN_ACTION_PATH, body={"email": self._email}), refused
        )
        with reading(result):
            check_login_actions(result)
        body = {"device_id": self._device_id, "email": self._email, **OTP_REQUEST}
        result = envelope(
            await self._send("POST", OTP_PATH, body=body),
            CarrierAuthError("povo refused to send a login code"),
        )
        with reading(result):
            self._challenge_id = identifier(result.get("auth_id"), "login challenge")

    async def async_submit_code(self, code: str) -> None:
        """Exchange the e-mailed code for a token.

        Raises PovoCodeRejectedError for a wrong or late code, PovoMoreAuthNeededError when
        povo asks for a further step.
        """
        if self._challenge_id is None:
            raise CarrierAuthError("No povo login code was requested; request one first")
        # Codes typed with a Japanese input method arrive as full-width digits.
        code = normalize_text(code).strip()
        if not (code.isascii() and code.isdigit() and len(code) <= MAX_CODE_LENGTH):
            raise PovoCodeRejectedError("The povo login code must be digits")
        body = {
            "email_auth": {
                "auth_id": self._challenge_id,
                "otp_code": code,
                "device_id": self._device_id,
            },
            "device": {"device_id": self._device_id, **DEVICE_META},
        }
        rejected = PovoCodeRejectedError("povo rejected the login code; it may have expired")
        result = envelope(await self._send("POST", AUTH_PATH, body=body), rejected)
        self._accept_login(result)
        self._challenge_id = None

    async def async_login(self) -> None:
        """Check the stored token by renewing it (povo renews even an expired one)."""
        self._current_token()
        await self._renew_token()

    # -- data -------------------------------------------------------------------------------

    async def async_fetch(self) -> AccountUsage:
        """Read the line's buckets, their expiry and any unlimited topping that runs."""
        if self._line is None:
            profile = await self._get_json(PROFILE_PATH, {"include_telco": "true"})
            with reading(profile):
                self._line = parse_profile(profile)
        line = self._line
        usage = await self._get_json(USAGE_PATH, {"sin": line.sin, "uuid": request_uuid()})
        with reading(usage):
            buckets = parse_usage(usage)
            used = parse_used(usage)
        tiles = await self._plan_tiles(buckets)
        daily = await self._daily_usage()
        now = self._clock()
        sim = build_sim(line, buckets, used, tiles, now=now, daily_usage=daily)
        return AccountUsage(sims={sim.sim_id: sim})

    async def _daily_usage(self) -> tuple[DailyUsage, ...]:
        """The days povo reports, kept for HISTORY_REFRESH and within one Tokyo day.

        Empty when povo will not give them: the history never fails a poll.
        """
        now = self._clock()
        if self._history is not None:
            read_at, days = self._history
            if history_is_fresh(read_at, now):
                return days
        try:
            page = await self._get_json(USAGE_HISTORY_PATH, USAGE_HISTORY_QUERY)
            with reading(page):
                days = parse_usage_history(page, now)
        except CarrierError as err:
            # The type only: a message may quote the carrier's answer.
            _LOGGER.debug("povo gave no usable usage history (%s)", type(err).__name__)
            days = ()
        self._history = (now, days)
        return days

    async def _plan_tiles(self, buckets: tuple[DataBucket, ...]) -> tuple[PlanTile, ...]:
        """The plan-details tiles, read again only when they may have changed.

        None when povo refuses the page (it is only display text).
        """
        now = self._clock()
        if self._plan_page is not None and self._plan_page.serves(buckets, now):
            return self._plan_page.tiles
        try:
            page = await self._get_json(PLAN_DETAILS_PATH, None)
        except PageRefusedError:
            _LOGGER.debug("povo refused the plan-details page; expiries stay unknown")
            tiles: tuple[PlanTile, ...] = ()
        else:
            with reading(page):
                tiles = parse_plan_tiles(page, now=now)
        left = sum_known(bucket.remaining for bucket in buckets)
        self._plan_page = PlanPageRead(now, tiles, bucket_sizes(buckets), left)
        return tiles

    # -- plumbing ---------------------------------------------------------------------------

    def _current_token(self) -> PovoToken:
        """The token in use, reading the stored one the first time."""
        if self._token is None:
            if self._stored_token is None:
                raise CarrierAuthError("No povo login is stored; log in with a new code")
            try:
                self._token = parse_token(self._stored_token)
            except CarrierParseError:
                raise CarrierAuthError(
                    "The stored povo login cannot be used; log in with a new code"
                ) from None
        return self._token

    def _token_has_expired(self) -> bool:
        """True once the token's own expiry has come (renewing earlier returns the same JWT)."""
        token = self._current_token()
        expires = token.expires
        if expires is None and self._token_obtained is not None:
            expires = self._token_obtained + LIFETIME_WITHOUT_EXPIRY
        return expires is None or self._clock() >= expires

    async def _get_json(self, path: str, params: Mapping[str, str] | None) -> Any:
        """GET with the token, renewing it first when expired and once more after a 401."""
        if self._token_has_expired():
            await self._renew_token()
        reply = await self._send("GET", path, params=params, auth=True)
        if is_json_status(reply, HTTPStatus.UNAUTHORIZED):
            _LOGGER.debug("povo refused the token; renewing it once")
            await self._renew_token()
            reply = await self._send("GET", path, params=params, auth=True)
        refuse_login(reply, "povo refused the login; log in with a new code")
        if is_refusal(reply):
            raise PageRefusedError(f"povo refused a data request (HTTP {reply.status})")
        payload = reply.json()  # a web page raises CarrierMaintenanceError here
        if isinstance(payload, dict) and payload.get("success") is False:
            raise CarrierParseError("povo reported a failure instead of data")
        return payload

    async def _renew_token(self) -> None:
        reply = await self._send("GET", TOKEN_PATH, auth=True)
        refuse_login(reply, "povo refused to renew the login; log in with a new code")
        result = envelope(
            reply,
            CarrierParseError(f"povo did not renew the login (HTTP {reply.status})"),
            CarrierAuthError("povo refused to renew the login; log in with a new code"),
        )
        self._accept_login(result)
        _LOGGER.debug("povo login renewed")

    def _accept_login(self, result: dict[str, Any]) -> None:
        """Take the token of a login or renewal answer, checked before it is kept."""
        with reading(result):
            check_next_step(result)
            token = parse_token(result.get("auth_token"))
        now = self._clock()
        if token.expires is not None and token.expires <= now:
            raise CarrierParseError("povo handed out a login that has already expired")
        previous = self._token
        if previous is not None and previous.external_id != token.external_id:
            raise CarrierAuthError("povo renewed the login of another user; log in again")
        self._token = token
        self._token_obtained = now

    def _headers(self, *, auth: bool) -> dict[str, str]:
        headers = {
            "User-Agent": USER_AGENT,
            "X-App-Version": APP_VERSION,
            "X-App-Platform": APP_PLATFORM,
            "X-Deviceid": check_token(self._device_id, "device id", max_length=MAX_ID_LENGTH),
            "X-Timezone": TIMEZONE,
            "Accept-Language": ACCEPT_LANGUAGE,
            "X-REQUEST-ID": str(uuid.uuid4()),
        }
        if auth:
            token = self._current_token()
            headers["X-AUTH"] = token.value
            headers["X-USER-ID"] = token.external_id
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        auth: bool = False,
    ) -> HttpReply:
        return await request(
            self._session,
            method,
            f"{self._base_url}{path}",
            policy=self._policy,
            headers=self._headers(auth=auth),
            params=params,
            json=None if body is None else {**body, "uuid": request_uuid()},
        )
