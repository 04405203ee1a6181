"""mineo (Optage): remaining data from the private API behind the mineo app.

The app logs in to eo ID (OpenID Connect at login.eonet.jp) and calls api.eonet.jp with the
`id_token` it gets. Every request, header and answer shape here follows what public clients
show; the ASSUMPTIONS blocks name the source of each fact and mark what no source shows: the
data calls below, the login in carriers/mineo_tokens.py, the figures in carriers/mineo_figures.py.
The references, by commit:

- miutaku/mineard ("mineard"): docs/api-specification.md, api/src/services/mineo-auth.ts and
  mineo-api.ts @ abf9f81b5cd7bcf2b2d19d8ec76623a402cbc65c; api/src/services/token-manager.ts
  @ 17588dbd7413340b4f80368dc353cb20c62aa292; api/src/types.ts
  @ 53b34824988f7d50d4181b5f8809b0287e139e95; api/wrangler.toml and the specification's §4.5
  (get_packetcharge_info) and §7.3 (get_traffic_history)
  @ 1ca1fa7415edd1456092827316ec7df1298ad606. Its specification cites the blog post below.
- yuzune27/APGifter ("APGifter"): APGifter.py @ 346d0524ac60af72f0007c17290d2cf09a58696f.
- The author's write-ups of the app's traffic ("Qiita"): qiita.com/yuzune27/items/
  169636571885c9d0ab52 (2024-07) and blog.3irun.moe/2025/11/29/mineo_api_document.

Setup needs a refresh token the user pastes: no reference shows the app's authorize request
(authorization endpoint, redirect URI, scope), only its token endpoint, so the
authorization-code flow is not built on guesses (see the README's mineo section).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, history_is_fresh, tokyo_now
from .errors import CarrierError, CarrierParseError, CarrierSessionExpiredError
from .http import HostPolicy, HttpReply, check_token, request
from .mineo_figures import (
    MAX_ID_LENGTH,
    MineoLine,
    charge_left,
    charge_total,
    parse_capacity,
    parse_charge_expiry,
    parse_telnum_list,
    parse_traffic_history,
    with_charge_expiry,
)
from .mineo_tokens import (
    TOKEN_URL,
    MineoLogin,
    MineoTokens,
    RotationListener,
    stored_expiry,
    subject,
)
from .models import AccountUsage, Carrier, DailyUsage, SimUsage
from .skeleton import reading

_LOGGER = logging.getLogger(__name__)

__all__ = ["API_BASE_URL", "TOKEN_URL", "MineoAdapter", "MineoLine"]

# ==========================================================================================
# ASSUMPTIONS (data calls): each fact names the reference it follows; "Assumed" marks what
# none shows. Correct them here when a user reports a change.
# ==========================================================================================
API_BASE_URL: Final = "https://api.eonet.jp/mineo/v1"
"""mineard §1 and mineo-api.ts; APGifter."""
TELNUM_LIST_CALL: Final = "get_telnum_list"
"""POST, no body (mineard §3.1) → {resultCode, messages, telNumList: [{custId, lineName,
telNum}]}."""
# The list of lines rarely changes: read once a Tokyo day, and again at once when mineo
# answers a line's figures with 0022 (unknown custId: a line that left the eo ID). A line
# added during the day appears at the next day's reading (assumed good enough: no reference
# shows a cheaper sign of a new line). A list with no line, for an eo ID that had some, is
# an unreadable answer, not the end of every line.
CAPACITY_CALL: Final = "get_capacity"
"""POST custId (form) → {packetInfo{...Capacity, ...RemainingCapacity}, serviceName,
speedFlg, tushinSettingStatusCode, mySokuFlg, lowSpeedDisp, resultCode} (mineard §4.1)."""
CHARGE_INFO_CALL: Final = "get_packetcharge_info"
"""POST custId (form) → {resultCode, messages, packetChargeInfo{chargeCapacity, ...,
chargeExpireDate "yyyyMMdd"}, packetChargeKanryoHistList} (mineard §4.5, from a capture; no
client of the references calls it). Asked only for a line with bought data left, once a Tokyo
day or when the charged amount changes; a failure leaves that data's expiry unknown."""
TRAFFIC_HISTORY_CALL: Final = "get_traffic_history"
"""POST custId (form) → the last three months' use (mineard §7.3, "過去3ヶ月分のデータ通信量"):
{resultCode, messages, monthlyTrafficHistoryList: [{targetMonth: "5", averageInfo, sumInfo,
dailyTrafficHistoryList: [...]}]}. averageInfo, sumInfo and each day are one object type:
dataTraffic (total), dataTrafficAdCountFree (ad-free), dataTrafficHighSpeed, dataTrafficLowSpeed
(slow / mineo switch on), decrease/increaseFreeTank and ...PacketGift, all numbers in MB, and
targetDay (a string; null in sumInfo). The specification elides the day objects' values
("[ ... ]"): the day's fields come from its field table only, and no client of the references
calls this yet (mineard documents it; its code does not request it). Asked at most every
HISTORY_REFRESH per line, and again on a new Tokyo day; a failure leaves that line's history
out of the poll, never its figures."""
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
UNKNOWN_LINE_RESULT: Final = "0022"
"""resultCode for a custId the eo ID does not hold (mineard §1 "存在しない custId")."""
# A bad or expired id_token: {"statusCode": 401, "message": "Invalid JWT."} (mineard §1,
# Qiita). Renew once and ask again. Other resultCodes (0098 missing parameter: mineard §1)
# are answers this adapter cannot read.
# The account is named by the `sub` of the first id_token mineo's API accepted (so a token
# answer alone never renames it), else by its lines, else by its app id; once named, always
# (the integration stores the name and hands it back).
_RESULT_CODE: Final = re.compile(r"\d{1,6}")


class UnknownLineError(CarrierParseError):
    """mineo does not know a line it listed: the list of lines is out of date."""


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
        account_id: str | None = None,
        token_url: str | None = None,
        api_base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the stored login; nothing is sent until it is needed."""
        super().__init__(session)
        self._clock = clock or tokyo_now
        tokens = MineoTokens(
            refresh_token=refresh_token.strip(),
            id_token=id_token,
            id_token_expires=stored_expiry(id_token_expires, self._clock()),
        )
        # Read at construction, not import: tests and the e2e shim point these at a replay.
        self._login = MineoLogin(
            session, tokens, token_url=token_url or TOKEN_URL, clock=self._clock
        )
        self._aid = aid
        self._api_base_url = (api_base_url or API_BASE_URL).rstrip("/")
        self._api_policy = HostPolicy.of(self._api_base_url)
        self._account_id = account_id
        self._learned_account_id = False
        self._lines: tuple[MineoLine, ...] = ()
        self._lines_read_on: date | None = None
        self._charges: dict[str, tuple[date, int | None, datetime | None]] = {}
        self._histories: dict[str, tuple[datetime, tuple[DailyUsage, ...]]] = {}

    @property
    def account_id(self) -> str:
        """The name the account was first verified under (see the assumptions)."""
        return self._account_id or self._name_account()

    @property
    def aid(self) -> str:
        """The app id this account's requests carry (kept with the account)."""
        return self._aid

    @property
    def lines(self) -> tuple[MineoLine, ...]:
        """The lines the last list named."""
        return self._lines

    def set_rotation_listener(self, listener: RotationListener) -> None:
        """Have ``listener`` save the tokens the moment a renewal hands out new ones."""
        self._login.set_listener(listener)

    def refreshed_secrets(self) -> dict[str, str]:
        """What to persist: the tokens once they differ from those the adapter was built with.

        Also the account's name when this adapter was the one to learn it.
        """
        secrets = self._login.tokens.as_secrets() if self._login.changed else {}
        if self._learned_account_id and self._account_id is not None:
            secrets["account_id"] = self._account_id
        return secrets

    async def async_settle(self) -> None:
        """Let a renewal in flight keep its new refresh token, and start no other.

        Called before the entry unloads: a renewal sent as the session closes would spend the
        token and lose the answer.
        """
        await self._login.close()

    # -- login ------------------------------------------------------------------------------

    async def async_login(self) -> None:
        """Check the login: renew the id_token when needed, and list the lines."""
        await self._read_lines(self._clock().astimezone(TOKYO).date())

    # -- data -------------------------------------------------------------------------------

    async def async_fetch(self) -> AccountUsage:
        """Read every line's figures; the list of lines once a day or when it is out of date."""
        today = self._clock().astimezone(TOKYO).date()
        listed_now = self._lines_read_on != today
        if listed_now:
            await self._read_lines(today)
        try:
            return await self._read_sims(today)
        except UnknownLineError:
            if listed_now:
                raise
            _LOGGER.debug("mineo no longer knows a listed line; reading the lines again")
        await self._read_lines(today)
        return await self._read_sims(today)

    async def _read_lines(self, today: date) -> None:
        payload = await self._call(TELNUM_LIST_CALL, None)
        with reading(payload):
            lines = parse_telnum_list(payload)
            if not lines and self._lines:
                raise CarrierParseError("mineo listed no line for an eo ID that had some")
        self._lines, self._lines_read_on = lines, today
        if self._account_id is None:
            # mineo's API has just accepted this login: its subject names the account.
            self._account_id = self._name_account()
            self._learned_account_id = True

    def _name_account(self) -> str:
        if (claimed := subject(self._login.tokens.id_token)) is not None:
            return anonymous_id(self.carrier, claimed)
        if self._lines:
            return anonymous_id(self.carrier, *sorted(line.cust_id for line in self._lines))
        return anonymous_id(self.carrier, self._aid)

    async def _read_sims(self, today: date) -> AccountUsage:
        sims: dict[str, SimUsage] = {}
        for line in self._lines:
            payload = await self._call(CAPACITY_CALL, {"custId": line.cust_id})
            with reading(payload):
                sim = parse_capacity(payload, line, today)
            if charge_left(sim):
                sim = with_charge_expiry(sim, await self._charge_expiry(line.cust_id, sim, today))
            daily = await self._daily_usage(line.cust_id)
            sims[line.cust_id] = replace(sim, daily_usage=daily) if daily else sim
        self._forget_unlisted()
        return AccountUsage(sims=sims)

    async def _charge_expiry(self, cust_id: str, sim: SimUsage, today: date) -> datetime | None:
        """When the line's bought data expires: asked once a day, or after a new charge."""
        total = charge_total(sim)
        kept = self._charges.get(cust_id)
        if kept is not None and kept[:2] == (today, total):
            return kept[2]
        try:
            payload = await self._call(CHARGE_INFO_CALL, {"custId": cust_id})
            with reading(payload):
                expires = parse_charge_expiry(payload, today)
        except CarrierError as err:
            # The type only: a message may quote the carrier's answer.
            _LOGGER.debug("mineo gave no usable charge expiry for a line (%s)", type(err).__name__)
            expires = None
        self._charges[cust_id] = (today, total, expires)
        return expires

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
        self._histories[cust_id] = (now, days)
        return days

    def _forget_unlisted(self) -> None:
        listed = {line.cust_id for line in self._lines}
        for kept in (self._histories, self._charges):
            for cust_id in set(kept) - listed:
                del kept[cust_id]

    # -- plumbing ---------------------------------------------------------------------------

    async def _call(self, call: str, body: Mapping[str, str] | None) -> dict[str, Any]:
        """POST one API call, renewing the id_token once if mineo refuses it."""
        token = await self._login.id_token()
        reply = await self._post(call, body, token)
        if _is_invalid_jwt(reply):
            _LOGGER.debug("mineo refused the id_token; renewing the login once")
            token = await self._login.id_token(rejected=token)
            reply = await self._post(call, body, token)
            if _is_invalid_jwt(reply):
                raise CarrierSessionExpiredError("mineo refused a freshly renewed login")
        return _api_answer(reply)

    async def _post(self, call: str, body: Mapping[str, str] | None, token: str) -> HttpReply:
        headers = {
            "appId": APP_ID,
            "appVersion": APP_VERSION,
            "Authorization": f"Bearer {check_token(token, 'login token')}",
            "aid": check_token(self._aid, "app id", max_length=MAX_ID_LENGTH),
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
        kind = UnknownLineError if code == UNKNOWN_LINE_RESULT else CarrierParseError
        error = kind(f"mineo answered with result code {shown} (HTTP {reply.status})")
        with reading(payload):
            raise error
    return payload
