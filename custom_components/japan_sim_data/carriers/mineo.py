"""mineo (Optage): remaining data from the private API behind the mineo app.

The app logs in to eo ID (OpenID Connect at login.eonet.jp) and calls api.eonet.jp with the
`id_token` it gets. Every request, header and answer shape here follows what public clients
show; the ASSUMPTIONS block names the source of each fact and marks what no source shows.
The references, by commit:

- miutaku/mineard ("mineard"): docs/api-specification.md, api/src/services/mineo-auth.ts and
  mineo-api.ts @ abf9f81b5cd7bcf2b2d19d8ec76623a402cbc65c; api/src/services/token-manager.ts
  @ 17588dbd7413340b4f80368dc353cb20c62aa292; api/src/types.ts
  @ 53b34824988f7d50d4181b5f8809b0287e139e95; api/wrangler.toml and the specification's §7.3
  (get_traffic_history) @ 1ca1fa7415edd1456092827316ec7df1298ad606. Its specification cites
  the blog post below.
- yuzune27/APGifter ("APGifter"): APGifter.py @ 346d0524ac60af72f0007c17290d2cf09a58696f.
- The author's write-ups of the app's traffic ("Qiita"): qiita.com/yuzune27/items/
  169636571885c9d0ab52 (2024-07) and blog.3irun.moe/2025/11/29/mineo_api_document.

Setup needs a refresh token the user pastes: no reference shows the app's authorize request
(authorization endpoint, redirect URI, scope), only its token endpoint, so the
authorization-code flow is not built on guesses (see the README's mineo section).

Refresh tokens are single-use: each refresh hands back the next one. The adapter therefore
renews under one lock (two renewals never run at once, whoever asks: poll, button, action) and
tells its rotation listener about the new tokens before it does anything else.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, end_of_month, history_is_fresh
from .errors import (
    CarrierAuthError,
    CarrierError,
    CarrierParseError,
    CarrierSessionExpiredError,
)
from .http import HostPolicy, HttpReply, check_token, request
from .models import AccountUsage, BucketKind, Carrier, DailyUsage, DataBucket, SimUsage
from .skeleton import reading
from .units import normalize_text, to_bytes, to_number

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS: each fact names the reference it follows; "Assumed" marks what none shows.
# Correct them here when a user reports a change.
# ==========================================================================================

# -- Login (eo ID, OpenID Connect) ---------------------------------------------------------
TOKEN_URL: Final = "https://login.eonet.jp/oidc/v1/token"  # noqa: S105 - an address
"""mineard api-specification.md §2 and wrangler.toml; APGifter ref_token()."""
CLIENT_ID: Final = "100064798"
"""The app's public client id (mineard §2 "固定値"; APGifter sends the same number)."""
# Body, form-encoded: grant_type=refresh_token, refresh_token, client_id; no other header than
# the form's Content-Type (mineard mineo-auth.ts, token-manager.ts; APGifter).
# Answer: {access_token, expires_in: "86400" (a string), id_token, refresh_token, token_type}
# (mineard §2). The refresh token works once (§2: "1回限り有効"); the answer carries the next.
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

# -- Data calls (api.eonet.jp) -------------------------------------------------------------
API_BASE_URL: Final = "https://api.eonet.jp/mineo/v1"
"""mineard §1 and mineo-api.ts; APGifter."""
TELNUM_LIST_CALL: Final = "get_telnum_list"
"""POST, no body (mineard §3.1) → {resultCode, messages, telNumList: [{custId, lineName,
telNum}]}."""
CAPACITY_CALL: Final = "get_capacity"
"""POST custId (form) → {packetInfo{...Capacity, ...RemainingCapacity}, serviceName,
speedFlg, tushinSettingStatusCode, mySokuFlg, lowSpeedDisp, resultCode} (mineard §4.1)."""
APP_ID: Final = "mineoApp"
APP_VERSION: Final = "2.18.00"
"""The values the app sends (Qiita, July 2024: "通常、appIdはmineoApp、appVersionは2.18.00").
Qiita and the blog add that any value is accepted; mineard sends "jp.mineo.app" / "8.0.0"
and APGifter "APGifter" / "1.0.0"."""
# Headers on every data call, exactly: appId, appVersion, Authorization: Bearer <id_token>,
# aid, and the form's Content-Type (mineard mineo-api.ts; APGifter). `aid` is likely the
# phone's advertising id and any string is accepted (Qiita): we send a random UUID made once
# per account and kept with it (APGifter sends one of that shape).
OK_RESULT: Final = "00"
"""resultCode of a good answer (mineard §3, §4; its client refuses anything else)."""
# A bad or expired id_token: {"statusCode": 401, "message": "Invalid JWT."} (mineard §1,
# Qiita). Renew once and ask again. Other resultCodes (0098 missing parameter, 0022 unknown
# custId: mineard §1) are answers this adapter cannot read.

# -- Figures ------------------------------------------------------------------------------
# packetInfo figures are MB, numbers (mineard §4.1 and types.ts); mineo counts 1 GB as
# 1024 MB: the sample's "Dプラン デュアルタイプ (5GB)" has baseCapacity 5120.
# - base: this month's allowance (基本データ容量). Unused allowance carries over to the next
#   month and expires at that month's end: assumed from mineo's published carry-over rule.
# - forward: carried over from last month (前月繰り越し), expiring at this month's end
#   (APGifter reads forwardRemainingCapacity as "残今月末無効パケット").
# - charge: bought packets (チャージ); expiry not in this answer (get_packetcharge_info has
#   it): unknown.
# - gift: received packet gifts; expiry unknown.
# The allowance is baseCapacity. The new month's allowance arrives on the 1st: assumed (the
# API counts calendar months: get_traffic_history's targetMonth, nengetsu "yyyyMM").
TRAFFIC_HISTORY_CALL: Final = "get_traffic_history"
"""POST custId (form) → the last three months' use (mineard §7.3, "過去3ヶ月分のデータ通信量"):
{resultCode, messages, monthlyTrafficHistoryList: [{targetMonth: "5", averageInfo, sumInfo,
dailyTrafficHistoryList: [...]}]}. averageInfo, sumInfo and each day are one object type:
dataTraffic (total), dataTrafficAdCountFree (ad-free), dataTrafficHighSpeed, dataTrafficLowSpeed
(slow / mineo switch on), decrease/increaseFreeTank and ...PacketGift, all numbers in MB, and
targetDay (a string; null in sumInfo). The specification elides the day objects' values
("[ ... ]"): the day's fields come from its field table only, and no client of the references
calls this yet (mineard documents it; its code does not request it)."""
# A day's use is its dataTrafficHighSpeed: slow traffic does not draw on the data left (as
# IIJmio's history is read); assumed that ad-free traffic is not in it either. targetMonth is a
# month without a year: one later in the year than this one is last year's (three months back).
# A day without a figure is absent, never 0; today and later are left out (not whole days).
# Asked at most every HISTORY_REFRESH per line, and again on a new Tokyo day; a failure leaves
# that line's history out of the poll, never its figures.
_HISTORY_UNIT: Final = "MB"
# Speed: tushinSettingStatusCode "01" = mineo switch on (節約モード, 200 kbps), "00" = off;
# speedFlg "0" = on, "1" = off (mineard §4.1). lowSpeedDisp only repeats it as text.
# mySokuFlg "1" = マイそく (mineard §4.1): a speed-capped plan with no monthly allowance to run
# out of; read as unlimited (assumed) so that its empty allowance raises no low-data alert.
# No reference shows a share pool (パケットシェア): get_packetshare_info is "調査中" in mineard
# §4.7 (resultCode "03", packetshareList null). Lines are never marked as shared.
SWITCH_ON_CODE: Final = "01"
SWITCH_OFF_CODE: Final = "00"
SPEED_FLAG_ON: Final = "0"
SPEED_FLAG_OFF: Final = "1"
MY_SOKU_ON: Final = "1"

MAX_LINES: Final = 20
"""An eo ID holds a household's lines; more than this is a broken answer, and each line costs
one request."""
_MAX_ID_LENGTH: Final = 64
_MAX_NAME_LENGTH: Final = 100
_ERROR_CODE: Final = re.compile(r"[a-z_]{1,40}")
_RESULT_CODE: Final = re.compile(r"\d{1,6}")
_LATEST_EPOCH: Final = 253402268399
"""9999-12-31T23:59:59 in Tokyo: a later expiry is a misread."""


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


@dataclass(frozen=True, slots=True)
class MineoLine:
    """One line of the eo ID: its customer id (the API's line key) and how to name it."""

    cust_id: str
    number_suffix: str | None = None


def _tokyo_now() -> datetime:
    return datetime.now(TOKYO)


class MineoAdapter(CarrierAdapter):
    """Every line of one eo ID, read with a rotating refresh token.

    The config flow builds it with a pasted refresh token and calls async_login(); the
    integration builds it from the stored tokens. Whoever builds it reads new tokens from
    refreshed_secrets(), and a rotation listener is told about them at once.
    """

    carrier = Carrier.MINEO

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        refresh_token: str,
        aid: str,
        id_token: str | None = None,
        id_token_expires: str | None = None,
        token_url: str | None = None,
        api_base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the stored login; nothing is sent until it is needed."""
        super().__init__(session)
        self._stored = MineoTokens(
            refresh_token=refresh_token.strip(),
            id_token=id_token,
            id_token_expires=_stored_expiry(id_token_expires),
        )
        self._tokens = self._stored
        self._aid = aid
        # Read at construction, not import: tests and the e2e shim point these at a replay.
        self._token_url = token_url or TOKEN_URL
        self._api_base_url = (api_base_url or API_BASE_URL).rstrip("/")
        self._token_policy = HostPolicy.of(self._token_url)
        self._api_policy = HostPolicy.of(self._api_base_url)
        self._clock = clock or _tokyo_now
        self._lock = asyncio.Lock()
        self._listener: Callable[[], None] | None = None
        self._lines: tuple[MineoLine, ...] = ()
        self._histories: dict[str, tuple[datetime, tuple[DailyUsage, ...]]] = {}

    @property
    def account_id(self) -> str:
        """A hash of the eo ID's subject (the id_token's `sub`), else of its lines."""
        if (subject := _subject(self._tokens.id_token)) is not None:
            return anonymous_id(self.carrier, subject)
        if self._lines:
            return anonymous_id(self.carrier, *sorted(line.cust_id for line in self._lines))
        return anonymous_id(self.carrier, self._aid)

    @property
    def aid(self) -> str:
        """The app id this account's requests carry (kept with the account)."""
        return self._aid

    @property
    def lines(self) -> tuple[MineoLine, ...]:
        """The lines the last answer listed."""
        return self._lines

    def set_rotation_listener(self, listener: Callable[[], None]) -> None:
        """Have ``listener`` save the tokens the moment a renewal hands out new ones."""
        self._listener = listener

    def refreshed_secrets(self) -> dict[str, str]:
        """The tokens, when they differ from those the adapter was built with."""
        if self._tokens == self._stored:
            return {}
        return self._tokens.as_secrets()

    # -- login ------------------------------------------------------------------------------

    async def async_login(self) -> None:
        """Check the login: renew the id_token when needed, and list the lines."""
        self._lines = await self._telnum_list()

    # -- data -------------------------------------------------------------------------------

    async def async_fetch(self) -> AccountUsage:
        """Read every line's figures."""
        self._lines = await self._telnum_list()
        today = self._clock().astimezone(TOKYO).date()
        sims: dict[str, SimUsage] = {}
        for line in self._lines:
            payload = await self._call(CAPACITY_CALL, {"custId": line.cust_id})
            with reading(payload):
                sim = parse_capacity(payload, line, today)
            daily = await self._daily_usage(line.cust_id)
            sims[line.cust_id] = replace(sim, daily_usage=daily) if daily else sim
        return AccountUsage(sims=sims)

    async def _daily_usage(self, cust_id: str) -> tuple[DailyUsage, ...]:
        """One line's reported days, kept for HISTORY_REFRESH and within one Tokyo day.

        Empty when mineo will not give them: the history never fails a poll.
        """
        now = self._clock()
        if (kept := self._histories.get(cust_id)) is not None:
            read_at, days = kept
            if history_is_fresh(read_at, now):
                return days
        try:
            payload = await self._call(TRAFFIC_HISTORY_CALL, {"custId": cust_id})
            with reading(payload):
                days = parse_traffic_history(payload, now.astimezone(TOKYO).date())
        except CarrierError as err:
            # The type only: a message may quote the carrier's answer.
            _LOGGER.debug("mineo gave no usable usage history for a line (%s)", type(err).__name__)
            days = ()
        self._histories = {
            line.cust_id: self._histories[line.cust_id]
            for line in self._lines
            if line.cust_id in self._histories
        }
        self._histories[cust_id] = (now, days)
        return days

    async def _telnum_list(self) -> tuple[MineoLine, ...]:
        payload = await self._call(TELNUM_LIST_CALL, None)
        with reading(payload):
            return parse_telnum_list(payload)

    # -- tokens -----------------------------------------------------------------------------

    async def _id_token(self, *, rejected: str | None = None) -> str:
        """A usable id_token, renewing the login when it is missing, old or ``rejected``.

        Under the lock, and checked again inside it: a caller that waited while another one
        renewed uses the new token rather than spending the next refresh token.
        """
        async with self._lock:
            tokens = self._tokens
            if tokens.id_token is not None:
                if rejected is not None and tokens.id_token != rejected:
                    return tokens.id_token
                if rejected is None and not self._is_old(tokens):
                    return tokens.id_token
            tokens = await self._renew()
            assert tokens.id_token is not None  # _renew only keeps answers with one
            return tokens.id_token

    def _is_old(self, tokens: MineoTokens) -> bool:
        expires = tokens.id_token_expires
        return expires is None or self._clock() >= expires - RENEW_BEFORE_EXPIRY

    async def _renew(self) -> MineoTokens:
        """Spend the refresh token for the next one; save the new pair before anything else."""
        spent = self._tokens.refresh_token
        form = {"grant_type": "refresh_token", "refresh_token": spent, "client_id": CLIENT_ID}
        reply = await request(
            self._session,
            "POST",
            self._token_url,
            policy=self._token_policy,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data=urlencode(form),
        )
        payload = _token_answer(reply)
        with reading(payload):
            tokens = parse_token_answer(payload, self._clock(), previous=spent)
        self._tokens = tokens
        # Nothing between the answer and this call may await: the spent token is worthless
        # now, and the new one exists nowhere else.
        if self._listener is not None:
            self._listener()
        _LOGGER.debug("mineo login renewed")
        return tokens

    # -- plumbing ---------------------------------------------------------------------------

    async def _call(self, call: str, body: Mapping[str, str] | None) -> dict[str, Any]:
        """POST one API call, renewing the id_token once if mineo refuses it."""
        token = await self._id_token()
        reply = await self._post(call, body, token)
        if _is_invalid_jwt(reply):
            _LOGGER.debug("mineo refused the id_token; renewing the login once")
            token = await self._id_token(rejected=token)
            reply = await self._post(call, body, token)
            if _is_invalid_jwt(reply):
                raise CarrierSessionExpiredError("mineo refused a freshly renewed login")
        return _api_answer(reply)

    async def _post(self, call: str, body: Mapping[str, str] | None, token: str) -> HttpReply:
        headers = {
            "appId": APP_ID,
            "appVersion": APP_VERSION,
            "Authorization": f"Bearer {check_token(token, 'login token')}",
            "aid": check_token(self._aid, "app id", max_length=_MAX_ID_LENGTH),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return await request(
            self._session,
            "POST",
            f"{self._api_base_url}/{call}",
            policy=self._api_policy,
            headers=headers,
            data=urlencode(body or {}),
        )


# -- answers ----------------------------------------------------------------------------------


def _token_answer(reply: HttpReply) -> dict[str, Any]:
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
    if reply.status != HTTPStatus.OK:
        raise CarrierParseError(f"mineo's login server answered HTTP {reply.status}")
    return payload


def _is_invalid_jwt(reply: HttpReply) -> bool:
    """True for mineo's answer to a bad or expired id_token (HTTP 401 or its JSON twin)."""
    if reply.status == HTTPStatus.UNAUTHORIZED and not reply.looks_like_html:
        return True
    if reply.looks_like_html or not reply.text.lstrip().startswith("{"):
        return False
    try:
        payload = json.loads(reply.text)
    except ValueError, RecursionError:
        return False
    return isinstance(payload, dict) and payload.get("statusCode") == HTTPStatus.UNAUTHORIZED


def _api_answer(reply: HttpReply) -> dict[str, Any]:
    """A data call's answer, checked for mineo's own result code."""
    payload = reply.json()  # a web page raises CarrierMaintenanceError
    if not isinstance(payload, dict):
        raise CarrierParseError(f"mineo answered in an unknown shape (HTTP {reply.status})")
    code = payload.get("resultCode")
    if code != OK_RESULT:
        shown = code if isinstance(code, str) and _RESULT_CODE.fullmatch(code) else "unknown"
        error = CarrierParseError(f"mineo answered with result code {shown} (HTTP {reply.status})")
        with reading(payload):
            raise error
    return payload


# -- parsers (pure: tested and fuzzed without a network) --------------------------------------


def parse_token_answer(payload: Any, now: datetime, *, previous: str) -> MineoTokens:
    """Read a token answer: the next refresh token, the id_token and when it expires.

    An answer without a refresh token keeps ``previous`` (assumed: nothing to rotate to).
    """
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's login answer is not an object")
    id_token = check_token(payload.get("id_token"), "login token")
    raw_refresh = payload.get("refresh_token")
    refresh_token = previous if raw_refresh is None else check_token(raw_refresh, "refresh token")
    lifetime = to_number(payload.get("expires_in"))
    expires = now + (ID_TOKEN_LIFETIME if lifetime is None else _seconds(lifetime))
    if (claimed := _claimed_expiry(id_token)) is not None:
        expires = min(expires, claimed)
    if expires <= now:
        raise CarrierParseError("mineo handed out a login that has already expired")
    return MineoTokens(refresh_token=refresh_token, id_token=id_token, id_token_expires=expires)


def _seconds(value: float) -> timedelta:
    if value > 366 * 24 * 3600:  # no login lasts a year: a misread
        raise CarrierParseError("mineo's login lifetime is implausible")
    return timedelta(seconds=value)


def parse_telnum_list(payload: Any) -> tuple[MineoLine, ...]:
    """The lines of get_telnum_list, once each, at most MAX_LINES."""
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's line list is not an object")
    entries = payload.get("telNumList")
    if not isinstance(entries, list):
        raise CarrierParseError("mineo's line list has no lines")
    lines: dict[str, MineoLine] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise CarrierParseError("mineo's line list holds something that is not a line")
        cust_id = check_token(entry.get("custId"), "line id", max_length=_MAX_ID_LENGTH)
        if cust_id in lines:
            continue
        if len(lines) == MAX_LINES:
            _LOGGER.debug("mineo listed more than %d lines; the rest are skipped", MAX_LINES)
            break
        lines[cust_id] = MineoLine(cust_id=cust_id, number_suffix=_suffix(entry.get("telNum")))
    return tuple(lines.values())


def _suffix(number: Any) -> str | None:
    """The last four digits of a phone number, for naming; never more."""
    if not isinstance(number, str):
        return None
    digits = "".join(ch for ch in normalize_text(number) if ch.isascii() and ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else None  # noqa: PLR2004 - four digits


_BUCKETS: Final = (
    (BucketKind.MONTHLY, "baseCapacity", "baseRemainingCapacity"),
    (BucketKind.CARRIED_OVER, "forwardCapacity", "forwardRemainingCapacity"),
    (BucketKind.TOPPING, "chargeCapacity", "chargeRemainingCapacity"),
    (BucketKind.GIFT, "giftCapacity", "giftRemainingCapacity"),
)


def parse_capacity(payload: Any, line: MineoLine, today: date) -> SimUsage:
    """One line's figures from get_capacity, with its month's end and reset day."""
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's capacity answer is not an object")
    info = payload.get("packetInfo")
    if info is not None and not isinstance(info, dict):
        raise CarrierParseError("mineo's packetInfo is not an object")
    buckets = tuple(_buckets(info or {}, today))
    allowance = _megabytes(info or {}, "baseCapacity")
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return SimUsage(
        sim_id=line.cust_id,
        plan_name=_plan_name(payload.get("serviceName")),
        number_suffix=line.number_suffix,
        buckets=buckets,
        allowance=allowance,
        throttled=parse_throttled(payload),
        resets_on=next_month,
        unlimited=payload.get("mySokuFlg") == MY_SOKU_ON,
    )


def parse_traffic_history(payload: Any, today: date) -> tuple[DailyUsage, ...]:
    """The whole days of get_traffic_history before ``today``, oldest first, each once.

    Raises CarrierParseError for an answer, month or day that cannot be read.
    """
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's usage history is not an object")
    days: dict[date, DailyUsage] = {}
    for month in _history_list(payload, "monthlyTrafficHistoryList"):
        if not isinstance(month, dict):
            raise CarrierParseError("A month of mineo's usage history is not an object")
        number = _whole(month.get("targetMonth"), "month")
        if not 1 <= number <= 12:  # noqa: PLR2004
            raise CarrierParseError("A month of mineo's usage history is impossible")
        year = today.year - 1 if number > today.month else today.year
        for entry in _history_list(month, "dailyTrafficHistoryList"):
            if (day := _history_day(entry, year, number)) is not None and day.day < today:
                days[day.day] = day
    return tuple(days[day] for day in sorted(days))


def _history_list(holder: Mapping[str, Any], key: str) -> list[Any]:
    """A list the answer may leave out or null (then empty)."""
    value = holder.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CarrierParseError(f"mineo's {key} is not a list")
    return value


def _history_day(entry: Any, year: int, month: int) -> DailyUsage | None:
    if not isinstance(entry, dict):
        raise CarrierParseError("A day of mineo's usage history is not an object")
    used = to_bytes(entry.get("dataTrafficHighSpeed"), _HISTORY_UNIT)
    if used is None:
        return None
    try:
        day = date(year, month, _whole(entry.get("targetDay"), "day"))
    except (ValueError, OverflowError) as err:
        raise CarrierParseError("A day of mineo's usage history is impossible") from err
    return DailyUsage(day=day, used=used)


def _whole(value: Any, what: str) -> int:
    number = to_number(value)
    if number is None or not number.is_integer():
        raise CarrierParseError(f"A {what} of mineo's usage history is unreadable")
    return int(number)


def _buckets(info: Mapping[str, Any], today: date) -> Iterator[DataBucket]:
    this_month_end = end_of_month(today.year, today.month)
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    expiries = {
        BucketKind.MONTHLY: end_of_month(following.year, following.month),
        BucketKind.CARRIED_OVER: this_month_end,
    }
    for kind, total_key, remaining_key in _BUCKETS:
        total = _megabytes(info, total_key)
        remaining = _megabytes(info, remaining_key)
        if total is None and remaining is None:
            continue  # not sent: unknown, and no bucket claims otherwise
        yield DataBucket(kind=kind, remaining=remaining, total=total, expires=expiries.get(kind))


def _megabytes(info: Mapping[str, Any], key: str) -> int | None:
    return to_bytes(info.get(key), "MB")


def parse_throttled(payload: Mapping[str, Any]) -> bool | None:
    """True while the mineo switch (節約モード) slows the line; None when not said."""
    code = payload.get("tushinSettingStatusCode")
    if code == SWITCH_ON_CODE:
        return True
    if code == SWITCH_OFF_CODE:
        return False
    flag = payload.get("speedFlg")
    if flag == SPEED_FLAG_ON:
        return True
    if flag == SPEED_FLAG_OFF:
        return False
    return None


def _plan_name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    name = " ".join(normalize_text(value).split())
    return name[:_MAX_NAME_LENGTH] or None


# -- the id_token's claims (read, not verified: only for its expiry and a stable account id) --


def _jwt_claims(token: str | None) -> dict[str, Any]:
    if token is None or token.count(".") != 2:  # noqa: PLR2004 - header.claims.signature
        return {}
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except binascii.Error, ValueError, RecursionError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _subject(token: str | None) -> str | None:
    subject = _jwt_claims(token).get("sub")
    if isinstance(subject, str) and 0 < len(subject) <= 255:  # noqa: PLR2004
        return subject
    return None


def _claimed_expiry(token: str) -> datetime | None:
    exp = _jwt_claims(token).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int) or not 0 < exp <= _LATEST_EPOCH:
        return None
    return datetime.fromtimestamp(exp, TOKYO)


def _stored_expiry(value: str | None) -> datetime | None:
    """The stored expiry; unreadable or naive means unknown (the login is then renewed)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
