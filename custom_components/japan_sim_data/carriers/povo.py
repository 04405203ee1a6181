"""povo 2.0 (KDDI): remaining data from the private API behind the povo app.

Every request, header and answer shape here follows what two public clients captured from the
povo app and from their own logins; the ASSUMPTIONS block names the source of each fact and
marks what no source shows. The references, by commit:

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

import base64
import binascii
import json
import logging
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from http import HTTPStatus
from typing import Any, Final

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, end_of_day, history_is_fresh
from .errors import CarrierAuthError, CarrierError, CarrierParseError

# Defined in errors.py, so error_keys.py names them without importing this adapter; re-exported
# (the "as" form) so they stay importable from here.
from .errors import PovoCodeRejectedError as PovoCodeRejectedError  # noqa: PLC0414
from .errors import PovoMoreAuthNeededError as PovoMoreAuthNeededError  # noqa: PLC0414
from .http import HostPolicy, HttpReply, check_token, request
from .models import AccountUsage, BucketKind, Carrier, DailyUsage, DataBucket, SimUsage
from .skeleton import reading
from .units import normalize_text, to_bytes, to_number

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS: each fact names the reference it follows; "Assumed" marks what none shows.
# Correct them here when a user reports a change.
# ==========================================================================================

BASE_URL: Final = "https://app.povo.jp"
"""esp32 README (the final authority measured: app.povo.jp:443) and src/povo-client.cpp."""

# -- Paths (esp32 captures; independent-flows.jsonl shows each one answering 200) ----------
LOGIN_ACTION_PATH: Final = "/api/v3/user-service/v3/jp/ja/mobile/users/login/action"
"""The captcha-free v3 path: the app's v4 path carries X-Captcha (android-flows.jsonl,
static-analysis.md); esp32's own client logs in through v3 without one."""
OTP_PATH: Final = "/api/v3/user-service/v4/jp/ja/mobile/otp"
AUTH_PATH: Final = "/user-service/v5/public/jp/ja/mobile/users/auth"
TOKEN_PATH: Final = "/api/v3/user-service/v4/jp/ja/mobile/users/token"  # noqa: S105 (a path)
PROFILE_PATH: Final = "/api/v3/user-service/v4/jp/ja/mobile/users"
"""Asked with ?include_telco=true (esp32 static-analysis.md; povo-android PovoAccountClient)."""
USAGE_PATH: Final = "/v4/jp/ja/mobile/account/usage/plan/get"
"""povo-android PHASE1-FINDINGS.md; the /v4/jp/ja/mobile/account prefix as in esp32's capture."""
PLAN_DETAILS_PATH: Final = "/api/v1/quilt/page/user-plan-details-v2"
"""Asked with no query: quilt pages get no sin/uuid (esp32 povo-client.cpp; povo-android
POVO-CORE-CHANGES.md, "quilt では抑制")."""
USAGE_HISTORY_PATH: Final = "/api/v1/quilt/page/usage-history"
"""Asked with ?type=DAILY and nothing else: the app sends no date range and povo ignores one
(povo-android USAGE-HISTORY-FINDINGS.md §2-3, "実在・動作確認済み")."""
USAGE_HISTORY_QUERY: Final[Mapping[str, str]] = {"type": "DAILY"}

# -- Headers -------------------------------------------------------------------------------
APP_VERSION: Final = "1.70.0-JP"
"""The captured app is 1.70.0-JP (esp32 auth-capture/README.md); povo-android sends its
"1.69.0-JP" in this form. esp32's client sends "1.70.0" and logs in too. The captures keep
header names only, so the exact value the app sends is assumed."""
USER_AGENT: Final = "okhttp/4.12.0"
"""povo-android PovoProtocol.kt (the User-Agent of the client it saw log in)."""
APP_PLATFORM: Final = "Android"
"""esp32 static-analysis.md (C21650i) and povo-client.cpp."""
TIMEZONE: Final = "Asia/Tokyo"
ACCEPT_LANGUAGE: Final = "ja-JP"
"""X-Timezone and Accept-Language as esp32's client sends them (X-Timezone is in the captures).
Every call carries X-Deviceid (the account's device id) and X-REQUEST-ID (a random UUID per
call; static-analysis.md C17300a); authenticated calls add X-AUTH (the token) and X-USER-ID
(the token's `external_id` claim: esp32 auth-protocol.h, povo-android Jwt.kt). Logins carry
neither, as esp32's independent login. Feature-Type is in the captures with no known value:
assumed unneeded (esp32 logs in without it)."""

# -- Login ---------------------------------------------------------------------------------
# Bodies as captured (esp32 *.jsonl, auth-protocol.h): every POST carries "uuid", a random
# signed 64-bit number sent as a decimal string, new for each request (static-analysis.md
# C0224k). Login action {email, uuid} -> result.actions [{action: "EMAIL_OTP"}]: anything but
# one EMAIL_OTP is a step this integration cannot take (auth-protocol.h parseLoginActions).
EMAIL_OTP_ACTION: Final = "EMAIL_OTP"
OTP_REQUEST: Final[Mapping[str, Any]] = {
    "otp_duration": 15,
    "auth_mode": "ENHANCED_EMAIL_OTP",
    "request_type": "LOGIN_EMAIL_OTP",
}
"""Plus device_id, email and uuid. otp_duration=15 is not a 15-minute validity: the e-mail
says 2 minutes (esp32 auth-capture/README.md)."""
DEVICE_META: Final[Mapping[str, str]] = {"device_type": "Mobile", "app_type": "ecosystem"}
"""The users/auth body: {email_auth: {auth_id, otp_code, device_id}, device: {device_id,
device_type, app_type}, uuid} (esp32 captures, auth-protocol.h buildAuthRequest)."""
MAX_CODE_LENGTH: Final = 16
"""A code is digits only, at most 16 (auth-protocol.h); anything else is not sent."""
DASHBOARD_STEP: Final = "dashboard"
"""The login answer {auth_token, first_login, next_step}: next_step "dashboard" (or none) is
success; a pin_token or any other next_step asks for a step we cannot take (esp32 README,
auth-protocol.h parseAuthResponse; static-analysis.md: pin_token leads to a PIN challenge)."""

# -- Tokens --------------------------------------------------------------------------------
# The token is a JWT (issuer "circles") whose claims carry `external_id` and expiry as
# `exp` and/or `expiry_time`, epoch seconds (esp32 README and auth-protocol.h: the sooner of
# the two counts; povo-android Jwt.kt reads `exp`). Renewal is GET users/token with the
# token, also after expiry; early renewal hands back the same JWT (povo-android
# PHASE1-FINDINGS.md, Jwt.kt). The issuer is not checked: only esp32 insists on it.
MAX_TOKEN_LENGTH: Final = 8192
"""esp32 auth-protocol.h kMaxToken."""
RENEW_BEFORE_EXPIRY: Final = timedelta(seconds=60)
"""esp32 povo-client.cpp renews when 60 s or less are left."""
LIFETIME_WITHOUT_EXPIRY: Final = timedelta(seconds=1200)
"""Assumed for a token that names no expiry: povo-android measured every token at exactly
1200 s (PHASE1-FINDINGS.md). esp32 refuses such a token; we renew it on that schedule."""
_LATEST_EPOCH: Final = 253402268399
"""9999-12-31T23:59:59 in Tokyo: a later expiry is a misread (auth-protocol.h kMaxEpoch, the
same bound in UTC, would leave the calendar in Tokyo)."""

# -- Refusals ------------------------------------------------------------------------------
DEVICE_MISMATCH_CODE: Final = 403001
"""HTTP 403 with code 403001: the token was presented with a device id it is not bound to, and
renewing does not help; only a new login does (povo-android AccountRepository.kt,
SessionScopedCache.kt; POVO-CORE-REQUESTS.md measured 403001 for a random X-Deviceid and
400101 for none). Where the code sits in the body is not shown: assumed `code` at the top, in
`result` (as the captured 401 of users/auth) or in `error`."""
# Any 401 to a data call: the token expired; renew once and ask again (esp32 fetchPlan,
# povo-android PHASE1 401 {"success": false, "result": {"message": "Token Expired"}}). Any 403
# (as JSON, not a web page): a new login is needed (esp32 clears its session, povo-android
# marks NEEDS_LOGIN). A 4xx to the plan-details page leaves expiries unknown; povo-android
# reads that page best-effort and once saw it answer 404.

# -- Profile -------------------------------------------------------------------------------
# GET users?include_telco=true, bare or wrapped in "result" (povo-android ProfileParser):
# the line is telco_info.service_instance_no ("LW…", ProfileParserTest). A povo account holds
# one line. The plan's name (telco_info.circles_info.service_instance_base_plan_name,
# PHASE1-FINDINGS.md) is not read: it would only repeat "povo" in the device's name.

# -- Usage ---------------------------------------------------------------------------------
# GET account/usage/plan/get?sin=<line>&uuid=<request uuid>. The app adds sin and (assumed:
# always) the request uuid to account GETs once it knows the line (static-analysis.md C21650i).
# The buckets are under "data" (povo-android PHASE1-FINDINGS.md, samples
# account-usage-plan-get*.json); "other.basic" / "other.boost" hold calls and SMS and
# "other.pay_as_you_go" pay-as-you-go charges, never data: they are not read.
# Amounts are binary kilobytes, fractional (unit "kilobytes"; 125829121 KB = 120.00 GiB).
# plan_kb is 0 on basic/extra/plus and absent on bonus/boost even on a 120 GB contract (sample
# plan-account): a bucket's size is plan_kb when above 0, else used + left.
ASSUMED_DEFAULT_UNIT: Final = "kilobytes"
"""Assumed for a bucket without "unit": every captured bucket says kilobytes."""
BUCKET_KINDS: Final[Mapping[str, BucketKind]] = {
    "basic": BucketKind.MONTHLY,  # 基本 (povo-android DataBucketKind); "monthly" is assumed
    "extra": BucketKind.TOPPING,  # 追加: assumed bought on top
    "boost": BucketKind.TOPPING,  # トッピング: where a 120 GB topping lands (PHASE1)
    "bonus": BucketKind.GIFT,  # ボーナス
    "plus": BucketKind.GIFT,  # プラス: assumed granted, not bought
}

# -- Plan details (the expiry) ---------------------------------------------------------------
# widgets[].components[] (or pageWidgets[].items[]) tiles of type povo-tile-plan-detail with
# data.name {title, value}, data.remaining {title, value}, data.expiry {title, value}
# (esp32 capture and direct-status.h; povo-android docs/samples/quilt-user-plan-details-v2.json,
# QuiltParser). remaining.value is "60.00GB / 120.00GB" — what is left, then the topping's
# size (its title is 残量, "remaining"; binary GB as the usage figures) — or "使い放題" for an
# unlimited topping, whose name.value is "適用中" while it runs (esp32 direct-status.h).
# expiry.value is "2026年 9月 5日 午後4:42\n残り 7 日間", a Tokyo time to the minute (esp32 test:
# 1788594120000 ms, i.e. 16:42:00). Assumed: a date without a time lasts to its end.
# Assumed: every usage bucket takes the soonest expiry of a data tile that still holds data
# (else of any data tile), as povo spends the soonest-expiring data first.
PLAN_DETAIL_TILE: Final = "povo-tile-plan-detail"
UNLIMITED_TEXT: Final = "使い放題"
RUNNING_STATUS: Final = "適用中"
"""An unlimited tile counts only with this status, as esp32 does (others may be reserved)."""

# -- Usage history (data used per day) -------------------------------------------------------
# povo-android docs/USAGE-HISTORY-FINDINGS.md (a device-tested finding; its figures are
# stand-ins): the quilt page usage-history?type=DAILY holds a tile of type povo-tile-graph,
# data.graph_details[] = {time: "8日", usage: 1.23, tooltip: {title: "2026年 8月 8日",
# subtitle: "データ使用量: 1.23GB"}}: a rolling window of 31 days that leaves today out.
# `usage` is GB as a float (not the usage call's KB); binary GB as on the plan page is assumed.
# The day is read from tooltip.title (the full date); an entry without one, or without a
# figure, is a day povo did not report (absent, never 0). A day from today on is dropped: it
# would not be whole. povo notes on the page that the figure counts all data used except
# overseas toppings (unlimited and bonus data included) and is only a guide, so it may differ
# from the falls in data left. The envelope (widgets[] / pageWidgets[]) is searched as the
# plan page is. Asked at most every HISTORY_REFRESH and again on a new Tokyo day; a failure
# leaves the history out of that poll, never the figures.
HISTORY_GRAPH_TILE: Final = "povo-tile-graph"

# ==========================================================================================

BUCKET_NAMES: Final = tuple(BUCKET_KINDS)
_SEARCH_DEPTH: Final = 8
_UNWRAP_DEPTH: Final = 3
_MAX_ID_LENGTH: Final = 256


class PovoDeviceRejectedError(CarrierAuthError):
    """povo refuses this device's login (403001): only logging in again with a code fixes it."""


@dataclass(frozen=True, slots=True)
class PovoToken:
    """A povo login token and what its claims say. Secret: never log it."""

    value: str = field(repr=False)
    external_id: str = field(repr=False)
    """The `external_id` claim, sent back as X-USER-ID."""
    expires: datetime | None
    """The sooner of the `exp` and `expiry_time` claims; None when the token names neither."""


@dataclass(frozen=True, slots=True)
class PovoLine:
    """The account's line. Its number is a secret: never log it."""

    sin: str = field(repr=False)
    """telco_info.service_instance_no, sent back as the usage call's `sin`."""


@dataclass(frozen=True, slots=True)
class PlanTile:
    """One povo-tile-plan-detail tile of the plan-details page."""

    name: str | None
    """The topping's name (name.title)."""
    status: str | None
    """name.value, e.g. 適用中 while an unlimited topping runs."""
    remaining: int | None
    total: int | None
    unlimited: bool
    expires: datetime | None


def new_device_id() -> str:
    """Mint the 32-hex-character device id povo binds a login to; keep it per account.

    povo-android mints this form and logs in with it (PovoProtocol.kt DeviceId).
    """
    return secrets.token_hex(16)


def request_uuid() -> str:
    """A request's `uuid`: a random signed 64-bit number in decimal (static-analysis.md)."""
    return str(secrets.randbits(64) - 2**63)


def _tokyo_now() -> datetime:
    return datetime.now(TOKYO)


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
        self._clock = clock or _tokyo_now
        self._challenge_id: str | None = None
        self._line: PovoLine | None = None
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
        result = _envelope(
            await self._send("POST", LOGIN_ACTION_PATH, body={"email": self._email}), refused
        )
        with reading(result):
            check_login_actions(result)
        body = {"device_id": self._device_id, "email": self._email, **OTP_REQUEST}
        result = _envelope(
            await self._send("POST", OTP_PATH, body=body),
            CarrierAuthError("povo refused to send a login code"),
        )
        with reading(result):
            self._challenge_id = _identifier(result.get("auth_id"), "login challenge")

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
        result = _envelope(await self._send("POST", AUTH_PATH, body=body), rejected)
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
        tiles = await self._plan_tiles()
        daily = await self._daily_usage()
        sim = build_sim(line, buckets, used, tiles, daily_usage=daily)
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

    async def _plan_tiles(self) -> tuple[PlanTile, ...]:
        """The plan-details tiles; none when povo refuses the page (it is only display text)."""
        try:
            page = await self._get_json(PLAN_DETAILS_PATH, None)
        except _PageRefusedError:
            _LOGGER.debug("povo refused the plan-details page; expiries stay unknown")
            return ()
        with reading(page):
            return parse_plan_tiles(page)

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

    def _token_is_old(self) -> bool:
        token = self._current_token()
        expires = token.expires
        if expires is None and self._token_obtained is not None:
            expires = self._token_obtained + LIFETIME_WITHOUT_EXPIRY
        return expires is None or self._clock() >= expires - RENEW_BEFORE_EXPIRY

    async def _get_json(self, path: str, params: Mapping[str, str] | None) -> Any:
        """GET with the token, renewing it first when old and once more after a 401."""
        if self._token_is_old():
            await self._renew_token()
        reply = await self._send("GET", path, params=params, auth=True)
        if _is_json_status(reply, HTTPStatus.UNAUTHORIZED):
            _LOGGER.debug("povo refused the token; renewing it once")
            await self._renew_token()
            reply = await self._send("GET", path, params=params, auth=True)
        _refuse_login(reply, "povo refused the login; log in with a new code")
        if _is_refusal(reply):
            raise _PageRefusedError(f"povo refused a data request (HTTP {reply.status})")
        payload = reply.json()  # a web page raises CarrierMaintenanceError here
        if isinstance(payload, dict) and payload.get("success") is False:
            raise CarrierParseError("povo reported a failure instead of data")
        return payload

    async def _renew_token(self) -> None:
        reply = await self._send("GET", TOKEN_PATH, auth=True)
        _refuse_login(reply, "povo refused to renew the login; log in with a new code")
        result = _envelope(
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
            "X-Deviceid": check_token(self._device_id, "device id", max_length=_MAX_ID_LENGTH),
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


class _PageRefusedError(CarrierParseError):
    """povo answered a data request with a 4xx other than 401/403."""


# -- answers ------------------------------------------------------------------------------------


def _is_json_status(reply: HttpReply, status: int) -> bool:
    # A web page with 401/403 is a firewall or maintenance, not a verdict on the token.
    return reply.status == status and not reply.looks_like_html


def _is_refusal(reply: HttpReply) -> bool:
    return (
        HTTPStatus.BAD_REQUEST <= reply.status < HTTPStatus.INTERNAL_SERVER_ERROR
        and not reply.looks_like_html
    )


def _refuse_login(reply: HttpReply, message: str) -> None:
    """Raise the auth error a 401 or 403 (as JSON) to an authenticated call means."""
    if _is_json_status(reply, HTTPStatus.FORBIDDEN) and _error_code(reply) == (
        DEVICE_MISMATCH_CODE
    ):
        raise PovoDeviceRejectedError(
            "povo no longer accepts this device's login (403001); log in with a new code"
        )
    if _is_json_status(reply, HTTPStatus.UNAUTHORIZED) or _is_json_status(
        reply, HTTPStatus.FORBIDDEN
    ):
        raise CarrierAuthError(message)


def _error_code(reply: HttpReply) -> int | None:
    """The numeric `code` of an error answer, wherever povo put it; None when there is none."""
    try:
        payload = json.loads(reply.text)
    except ValueError, RecursionError:
        return None
    if not isinstance(payload, dict):
        return None
    for holder in (payload, payload.get("result"), payload.get("error")):
        if isinstance(holder, dict):
            code = holder.get("code")
            if isinstance(code, str) and code.isascii() and code.isdigit():
                return int(code)
            if isinstance(code, int) and not isinstance(code, bool):
                return code
    return None


def _envelope(reply: HttpReply, refusal: CarrierError, failure: CarrierError | None = None) -> Any:
    """Return the `result` of a user-service answer {"success": true, "result": {...}}.

    Raises ``refusal`` for a 4xx and ``failure`` (default: ``refusal``) for "success": false.
    5xx and 429 never get here: http.request raised already.
    """
    if _is_refusal(reply):
        raise refusal
    payload = reply.json()  # a web page raises CarrierMaintenanceError here
    with reading(payload):
        if not isinstance(payload, dict):
            raise CarrierParseError("povo's login answer is not an object")
        if payload.get("success") is False:
            raise failure or refusal
        result = payload.get("result")
        if payload.get("success") is not True or not isinstance(result, dict):
            raise CarrierParseError("povo's login answer has no result")
        return result


def check_login_actions(result: Mapping[str, Any]) -> None:
    """Accept a login-action answer that asks for exactly one e-mailed code."""
    actions = result.get("actions")
    if not isinstance(actions, list) or not actions:
        raise CarrierParseError("povo's login answer names no way to log in")
    names = [action.get("action") if isinstance(action, dict) else None for action in actions]
    if not all(isinstance(name, str) and name for name in names):
        raise CarrierParseError("povo's login answer names a step that is not readable")
    if names != [EMAIL_OTP_ACTION]:
        raise PovoMoreAuthNeededError(
            "povo asks for a login step other than an e-mailed code; log in with the povo app"
        )


def check_next_step(result: Mapping[str, Any]) -> None:
    """Refuse a login answer that asks for a PIN or another step before the dashboard."""
    for key in ("pin_token", "next_step"):
        step = result.get(key)
        if step is None:
            continue
        if not isinstance(step, str):
            raise CarrierParseError("povo's login answer names a step that is not readable")
        if step and not (key == "next_step" and step == DASHBOARD_STEP):
            raise PovoMoreAuthNeededError(
                "povo asks for another login step (a PIN or another check) after the code"
            )


# -- tokens -------------------------------------------------------------------------------------


def parse_token(value: Any) -> PovoToken:
    """Check a token and read its claims; CarrierParseError when it is not a usable login."""
    token = check_token(value, "login token", max_length=MAX_TOKEN_LENGTH)
    claims = _jwt_claims(token)
    external_id = check_token(claims.get("external_id"), "user id", max_length=_MAX_ID_LENGTH)
    return PovoToken(value=token, external_id=external_id, expires=_claimed_expiry(claims))


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified: they only tell us when to renew and whom to name."""
    parts = token.split(".")
    if len(parts) != 3:  # noqa: PLR2004 - header, claims, signature
        raise CarrierParseError("povo's login token is not a JWT")
    segment = parts[1]
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        claims = json.loads(decoded)
    except (binascii.Error, ValueError, RecursionError) as err:
        raise CarrierParseError("povo's login token has unreadable claims") from err
    if not isinstance(claims, dict):
        raise CarrierParseError("povo's login token has unreadable claims")
    return claims


def _claimed_expiry(claims: Mapping[str, Any]) -> datetime | None:
    """The sooner of `exp` and `expiry_time` (epoch seconds, number or digits), if any."""
    moments = [_epoch(claims[key]) for key in ("exp", "expiry_time") if key in claims]
    return datetime.fromtimestamp(min(moments), TOKYO) if moments else None


def _epoch(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:  # noqa: PLR2004
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _LATEST_EPOCH:
        raise CarrierParseError("povo's login token has an unreadable expiry")
    return value


# -- profile ------------------------------------------------------------------------------------


def _unwrap(payload: Any, *stop_at: str) -> Any:
    """Peel "result" / "data" wrappers until an object holds one of ``stop_at``.

    As povo-android's PovoJson.unwrap: a legitimate "data" field is not taken for a wrapper.
    """
    node = payload
    for _ in range(_UNWRAP_DEPTH):
        if not isinstance(node, dict) or any(key in node for key in stop_at):
            return node
        inner = node.get("result")
        if not isinstance(inner, dict):
            inner = node.get("data")
        if not isinstance(inner, dict):
            return node
        node = inner
    return node


def parse_profile(payload: Any) -> PovoLine:
    """Read the line from GET users?include_telco=true (bare or wrapped in "result")."""
    root = _unwrap(payload, "telco_info")
    telco = root.get("telco_info") if isinstance(root, dict) else None
    if not isinstance(telco, dict) or telco.get("service_instance_no") is None:
        raise CarrierParseError("povo's profile names no line (telco_info.service_instance_no)")
    return PovoLine(
        sin=check_token(telco["service_instance_no"], "line id", max_length=_MAX_ID_LENGTH)
    )


def _identifier(value: Any, what: str) -> str:
    if value is None:
        raise CarrierParseError(f"povo's answer carries no {what}")
    return check_token(value, what, max_length=1024)


# -- usage --------------------------------------------------------------------------------------


def _bucket_nodes(payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, bucket) pairs of the usage answer's "data"; a null bucket is skipped, not zero."""
    container = _unwrap(payload, *BUCKET_NAMES)
    if not isinstance(container, dict) or not any(name in container for name in BUCKET_NAMES):
        raise CarrierParseError("povo's usage answer holds no data buckets")
    for name in BUCKET_NAMES:
        node = container.get(name)
        if node is None:
            continue
        if not isinstance(node, dict):
            raise CarrierParseError(f"povo's {name} bucket is not an object")
        yield name, node


def _unit(node: Mapping[str, Any]) -> str:
    unit = node.get("unit", ASSUMED_DEFAULT_UNIT)
    if not isinstance(unit, str):
        raise CarrierParseError("povo sent a bucket unit that is not text")
    return unit


def _amount(node: Mapping[str, Any], name: str) -> int | None:
    """One amount of a bucket in bytes (povo sends binary kilobytes, fractional)."""
    return to_bytes(node.get(name), _unit(node))


def _bucket_total(node: Mapping[str, Any]) -> int | None:
    """The bucket's size: plan_kb when above 0, else used + left (plan_kb is 0 or absent)."""
    unit = _unit(node)
    plan = to_number(node.get("plan_kb"))
    if plan:
        return to_bytes(plan, unit)
    used, left = to_number(node.get("used")), to_number(node.get("left"))
    if used is None or left is None:
        return None
    return to_bytes(used + left, unit)


def parse_usage(payload: Any) -> tuple[DataBucket, ...]:
    """Read the buckets of GET account/usage/plan/get.

    Every bucket counts: a 120 GB topping lands in ``boost`` with ``basic`` at 0.
    """
    return tuple(
        DataBucket(
            kind=BUCKET_KINDS[name],
            remaining=_amount(node, "left"),
            total=_bucket_total(node),
        )
        for name, node in _bucket_nodes(payload)
    )


def parse_used(payload: Any) -> int | None:
    """Bytes used over every bucket of the usage answer; None when no bucket says."""
    return _sum_known(_amount(node, "used") for _, node in _bucket_nodes(payload))


def _sum_known(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


# -- plan details -------------------------------------------------------------------------------

_HALF_DAY: Final = 12

_EXPIRY = re.compile(
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
    r"(?:\s*(?P<half>午前|午後)?\s*(?P<hour>\d{1,2})\s*:\s*(?P<minute>\d{2}))?"
)


def parse_expiry(text: str) -> datetime | None:
    """Read povo's expiry text, e.g. "2026年 9月 5日 午後4:42" + newline + "残り 7 日間".

    The time is to the minute (16:42:00 here, as esp32 reads it); 午前12:xx is 00:xx and
    午後12:xx is 12:xx; digits may be full-width. Without a time the whole day counts.
    None when the text cannot be read.
    """
    match = _EXPIRY.search(normalize_text(text))
    if match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    if match["hour"] is None:
        return end_of_day(day)
    hour = int(match["hour"])
    if match["half"] is not None:
        if not 1 <= hour <= _HALF_DAY:
            return None
        hour = hour % _HALF_DAY + (_HALF_DAY if match["half"] == "午後" else 0)
    try:
        return datetime(day.year, day.month, day.day, hour, int(match["minute"]), tzinfo=TOKYO)
    except ValueError:
        return None


_AMOUNT = r"(?P<{0}>[\d.,]+)\s*(?P<{0}_unit>[KMGT]B)"
_REMAINING = re.compile(
    rf"^\s*{_AMOUNT.format('left')}(?:\s*/\s*{_AMOUNT.format('total')})?", re.IGNORECASE
)


def _text_bytes(amount: str | None, unit: str | None) -> int | None:
    if amount is None or unit is None:
        return None
    try:
        return to_bytes(amount, unit)
    except CarrierParseError:
        return None


def _remaining_text(text: str | None) -> tuple[int | None, int | None]:
    """(left, total) bytes of "60.00GB / 120.00GB"; None for what cannot be read."""
    if text is None:
        return None, None
    match = _REMAINING.match(normalize_text(text))
    if match is None:
        return None, None
    return (
        _text_bytes(match["left"], match["left_unit"]),
        _text_bytes(match["total"], match["total_unit"]),
    )


def _objects(payload: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the payload, breadth-first, down to a fixed depth."""
    level: list[Any] = [payload]
    for _ in range(_SEARCH_DEPTH + 1):
        deeper: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                yield node
                deeper.extend(node.values())
            elif isinstance(node, list):
                deeper.extend(node)
        level = deeper


def _text(holder: Mapping[str, Any], name: str, key: str) -> str | None:
    entry = holder.get(name)
    value = entry.get(key) if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


def _tile(node: Mapping[str, Any]) -> PlanTile:
    data = node.get("data")
    # Some tiles carry their fields inline instead of under "data" (povo-android QuiltParser).
    holder = data if isinstance(data, dict) else node
    remaining_text = _text(holder, "remaining", "value")
    unlimited = remaining_text is not None and normalize_text(remaining_text).strip() == (
        UNLIMITED_TEXT
    )
    left, total = (None, None) if unlimited else _remaining_text(remaining_text)
    expiry_text = _text(holder, "expiry", "value")
    return PlanTile(
        name=_text(holder, "name", "title"),
        status=_text(holder, "name", "value"),
        remaining=left,
        total=total,
        unlimited=unlimited,
        expires=parse_expiry(expiry_text) if expiry_text is not None else None,
    )


def parse_plan_tiles(payload: Any) -> tuple[PlanTile, ...]:
    """The povo-tile-plan-detail tiles of the plan-details page, in page order.

    The page is display text, so a reshaped page gives fewer tiles, never an error.
    """
    return tuple(_tile(node) for node in _objects(payload) if node.get("type") == PLAN_DETAIL_TILE)


def soonest_data_expiry(tiles: Iterable[PlanTile]) -> datetime | None:
    """The soonest expiry of a data tile that still holds data, else of any data tile."""
    dated = [tile for tile in tiles if not tile.unlimited and tile.expires is not None]
    holding = [tile.expires for tile in dated if tile.remaining != 0 and tile.expires]
    if holding:
        return min(holding)
    drained = [tile.expires for tile in dated if tile.expires is not None]
    return min(drained) if drained else None


def unlimited_until(tiles: Iterable[PlanTile]) -> datetime | None:
    """When the soonest running unlimited topping (使い放題, 適用中) ends; None if none runs."""
    ends = [
        tile.expires
        for tile in tiles
        if tile.unlimited and tile.status == RUNNING_STATUS and tile.expires is not None
    ]
    return min(ends) if ends else None


_HISTORY_DAY: Final = re.compile(
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
)
_HISTORY_UNIT: Final = "GB"


def parse_usage_history(payload: Any, now: datetime) -> tuple[DailyUsage, ...]:
    """The whole days of the usage-history page's graph, oldest first, each once.

    Raises CarrierParseError for a figure that is not a plausible amount.
    """
    today = now.astimezone(TOKYO).date()
    days: dict[date, DailyUsage] = {}
    for node in _objects(payload):
        if node.get("type") != HISTORY_GRAPH_TILE:
            continue
        data = node.get("data")
        details = data.get("graph_details") if isinstance(data, dict) else None
        if not isinstance(details, list):
            raise CarrierParseError("povo's usage graph has no list of days")
        for entry in details:
            if (day := _history_day(entry, today)) is not None:
                days[day.day] = day
    return tuple(days[day] for day in sorted(days))


def _history_day(entry: Any, today: date) -> DailyUsage | None:
    if not isinstance(entry, dict):
        raise CarrierParseError("A day of povo's usage graph is not an object")
    used = to_bytes(entry.get("usage"), _HISTORY_UNIT)
    title = _text(entry, "tooltip", "title")
    match = _HISTORY_DAY.search(normalize_text(title)) if title is not None else None
    if used is None or match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    return DailyUsage(day=day, used=used) if day < today else None


def parse_plan_details(payload: Any) -> datetime | None:
    """The soonest expiry of the data that is left, from the plan-details page."""
    return soonest_data_expiry(parse_plan_tiles(payload))


# -- the SIM ------------------------------------------------------------------------------------


def build_sim(
    line: PovoLine,
    buckets: tuple[DataBucket, ...],
    used: int | None,
    tiles: tuple[PlanTile, ...],
    *,
    daily_usage: tuple[DailyUsage, ...] = (),
) -> SimUsage:
    """The line's usage: the buckets, dated by the plan page, and any unlimited topping.

    The allowance is the buckets' sizes; when none says, the data tiles' sizes.
    """
    expires = soonest_data_expiry(tiles)
    if expires is not None:
        buckets = tuple(replace(bucket, expires=expires) for bucket in buckets)
    allowance = _sum_known(bucket.total for bucket in buckets)
    if allowance is None:
        allowance = _sum_known(tile.total for tile in tiles if not tile.unlimited)
    return SimUsage(
        # The line's own number, hashed: the id existing entities were created with.
        sim_id=anonymous_id(Carrier.POVO, line.sin),
        buckets=buckets,
        allowance=allowance,
        used=used,
        unlimited_until=unlimited_until(tiles),
        daily_usage=daily_usage,
    )
