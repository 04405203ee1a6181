"""IIJmio's My IIJmio app API (gapi.iijmio.jp): the primary route.

Flow: POST /token with the mioID (or e-mail) and password gives a bearer token and the account's
mioID; then GET /lineInfo (the lines), GET /dataTraffic?dataDetailFlag=1 (every line's data
left, this month's allowance and state, the last seven days) and GET /pastDataTraffic once per
line (this month's days and months). No cookies: the token travels in the Authorization header.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from http import HTTPStatus
from typing import Any, Final

import aiohttp

from .base import MAX_LINES_PER_ACCOUNT
from .dates import TOKYO, end_of_month, history_is_fresh, plausible_day
from .errors import (
    CarrierAppVersionError,
    CarrierConnectionError,
    CarrierParseError,
    CarrierSessionExpiredError,
)
from .http import HostPolicy, HttpReply, check_token, request
from .iijmio_member import (
    MAX_ACCOUNT_ID_LENGTH,
    bucket_kind,
    expiry_month,
    next_month_start,
    number_suffix,
    share_pools,
    text,
    whole_number,
)
from .models import AccountUsage, BucketKind, DailyUsage, DataBucket, SimUsage
from .skeleton import reading
from .units import to_bytes

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS about the app API, each with the public client it follows.
#   IIJWidget = yyyywaiwai/IIJWidget @ 8a3b6e6 (Shared/MyIIJmioAPIClient.swift, docs/
#   iij_endpoints.md, Tests/Fixtures/GAPI/*.json, Tools/frida/*) and @ efebb78 (the same files,
#   later). The docs record MyIIJmio 3.2.5's traffic as observed on 2026-08-06.
# ==========================================================================================

# The app's version travels in Authorization: "appVersion=3.2.5" on /token, then
# "Bearer <token>,appVersion=3.2.5". HTTP 505 means IIJmio demands a newer app: bump this.
APP_VERSION: Final = "3.2.5"
TOKEN_PATH: Final = "/token"  # noqa: S105 (a path, not a secret)
LINE_INFO_PATH: Final = "/lineInfo"
DATA_TRAFFIC_PATH: Final = "/dataTraffic"
PAST_DATA_TRAFFIC_PATH: Final = "/pastDataTraffic"
# Headers the app sends on every call (docs/iij_endpoints.md, MyIIJmioAPIClient.request).
APP_HEADERS: Final[Mapping[str, str]] = {
    "Accept": "application/json",
    "Content-Type": "application/json",
    "charset": "utf-8",
    "Cache-Control": "no-store",
    "timeout": "45000",
}
# /token takes {"loginId", "password"}; loginId is the mioID or the e-mail address, and the
# answer is {"mioId", "token", "contractorName"} (docs/iij_endpoints.md, validate_gapi_login).
# 401 and 403, on any call, /token included: the session is invalid (MyIIJmioAPIClient.request
# maps both to .invalidSession for every path, @ 8a3b6e6 and @ efebb78). IIJWidget's refresh
# (Shared/WidgetRefreshService.swift @ 8a3b6e6, refreshUsingGAPI) drops the token on it and
# goes on to its next step; it deletes the stored password only on the member site's own
# rejection. No public source shows what /token answers to a wrong password, so a 401 there
# is no verdict on it: the member site is asked instead, whose ERROR_CODE_008 is one. A wrong
# password thus costs one /token and one member-site login per update, never a loop.
STATUSES_TOKEN_INVALID: Final = frozenset({401, 403})
STATUS_APP_TOO_OLD: Final = 505
# /dataTraffic?dataDetailFlag=1 gives the last seven days (with 0 it may leave them out), and
# the app adds mainLineServiceCode = the first line's lineServiceCode from /lineInfo.
# Lines: dataTraffic.hdcList[] (a line with its own serviceCode "hdc…" and lineServiceCode
# "hdu…"), and hddList[] / mainHdd[] (share groups "hdd…" whose lineServiceCodeList[] holds
# lines with a lineServiceCode only); mainHdd repeats hddList lines (IIJWidget GAPIDataTests).
# A line's id is its serviceCode, as the member site's serviceInfoList names it (both "hdc…";
# IIJWidget @ 8a3b6e6 writes the app's serviceCode into the member-site model's field).
# Assumed: a share-group line without its own serviceCode is named by its lineServiceCode.
# /pastDataTraffic?serviceCode=<the line's, or its group's> plus lineServiceCode when the
# serviceCode is not an "hdc" one (MyIIJmioAPIClient.fetchAll).
# Numbers arrive as strings or numbers (Tests/Fixtures/GAPI/dataTraffic.json: "7.5", 10, "20").
# Units are explicit ("GB", "MB"); without one, data left and monthly totals are GB and days
# are MB, as IIJWidget reads them (amountInGigabytes, dailyUsage). 1 GB = 1024 MB.
DEFAULT_AMOUNT_UNIT: Final = "GB"
DEFAULT_DAY_UNIT: Final = "MB"
# Data left: the expireList entries, each with its expiry month; without entries, this month's
# availableDataTraffic, else couponValue (GB) (MyIIJmioAPIClient.top @ 8a3b6e6). In the sample
# the three agree: 5.0 + 2.5 = "7.5" = 7.5. An entry whose expiry month has passed is dropped
# (our choice, as on the member site: IIJWidget sums every entry); expireYear/expireMonth pass
# the library's plausibility rule (dates.plausible_day) or the answer is unreadable.
# The allowance is thisMonthDataList.maxDataTraffic.
# dataShare 1: the line is in a share group (IIJWidget maps it to dataShareExistence).
# Assumed: regulationStatus other than 0 means the line is slowed down, like the retired coupon
# API's `regulation`; couponStatus 0 means high-speed data is switched off (the /couponStatus
# call switches it; the samples show 1 on lines in use). Either way the line is throttled.
# Daily usage: /pastDataTraffic thisMonthDailyInfo[{date, dataTraffic, dataTrafficUnit}] for the
# month in thisMonthInfo.month, and /dataTraffic's lastSevenDaysDataList.dailyDataList[{month,
# date, high, low}], whose figures win for the same day (IIJWidget mergeRecentUsage). A day's
# use is its high-speed figure: low-speed traffic does not draw on the data left.
# A month later in the year than this one is last year's (IIJWidget resolvedYear). A day whose
# month, date or figure cannot be read, is impossible (30 February) or fails the plausibility
# rule is left out alone: the other days still count (IIJWidget's mergeRecentUsage skips such
# days too, @ efebb78).
# Used this month: lastFiveMonthInfo[{month, dataTraffic}] for thisMonthInfo.month, in
# lastFiveMonthDataUnit, and only while thisMonthInfo.month is this Tokyo month: on the 1st a
# history still naming last month holds last month's total, not this period's (our rule).
# Lines: at most MAX_LINES_PER_ACCOUNT distinct lines are read from one answer (our bound; each
# costs a /pastDataTraffic request and a device); the adapter logs once that the rest were
# left out.
# Answers carry the account's mioId; the app reports a mismatch (/detectReplace) rather than
# showing it, so an answer for another account is refused here.
# ==========================================================================================

_NOT_SHARING: Final = 0
_SHARING: Final = 1


@dataclass(frozen=True, slots=True)
class AppLine:
    """One line of /dataTraffic: its figures, and how to ask for its history."""

    usage: SimUsage
    share_group: str | None
    """The share group's code ("" when IIJmio names none); None when the line does not share."""
    history_query: Mapping[str, str] | None
    """The /pastDataTraffic query for this line; None when it names no service code."""


@dataclass(frozen=True, slots=True)
class PastTraffic:
    """What /pastDataTraffic says about one line."""

    days: tuple[DailyUsage, ...]
    used_this_month: int | None


class AppRoute:
    """Logs in to the app API and reads every line's data, allowance, state and history."""

    name: Final = "app"

    def __init__(
        self, session: aiohttp.ClientSession, *, login_id: str, password: str, base_url: str
    ) -> None:
        """Keep the credentials; nothing is sent until the first login."""
        self._session = session
        self._login_id = login_id
        self._password = password
        self._base_url = base_url.rstrip("/")
        self._policy = HostPolicy.of(self._base_url)
        self._token: str | None = None
        self.account_id: str | None = None
        """The mioID /token answered with; None before the first login."""
        self._main_line: str | None = None
        self._main_line_read = False
        self.lines_left_out = False
        """True when the last answer listed more lines than MAX_LINES_PER_ACCOUNT."""
        self._histories: dict[str, tuple[datetime, PastTraffic | None]] = {}

    @property
    def logged_in(self) -> bool:
        """True while a token is held."""
        return self._token is not None

    async def login(self) -> None:
        """Get a token.

        A 401 or 403 raises CarrierSessionExpiredError, as IIJWidget reads it (an invalid
        session, not a wrong password): the adapter then asks the member site.
        """
        self._token = None
        reply = await self._send(
            "POST",
            TOKEN_PATH,
            authorization=f"appVersion={APP_VERSION}",
            json={"loginId": self._login_id, "password": self._password},
        )
        if reply.status in STATUSES_TOKEN_INVALID:
            raise CarrierSessionExpiredError(
                f"IIJmio's app API refused a new session (HTTP {reply.status})"
            )
        payload = self._data(reply, "the login")
        with reading(payload):
            token, account_id = parse_token(payload)
        self._token = token
        self.account_id = account_id
        # A new session may see other lines: ask for the main line again.
        self._main_line_read = False

    async def fetch(self, now: datetime) -> AccountUsage:
        """Read every line with the token held.

        A poll costs one request (/dataTraffic): the main line is asked once per login, and
        each line's history at most every HISTORY_REFRESH (it holds whole days).
        """
        if not self._main_line_read:
            self._main_line = parse_line_info(await self._get(LINE_INFO_PATH, {}))
            self._main_line_read = True
        query = {"dataDetailFlag": "1"}
        if self._main_line is not None:
            query["mainLineServiceCode"] = self._main_line
        traffic = await self._get(DATA_TRAFFIC_PATH, query)
        with reading(traffic):
            lines, self.lines_left_out = read_data_traffic(traffic, now)
        histories = {
            line.usage.sim_id: await self._history(line.usage.sim_id, line.history_query, now)
            for line in lines
            if line.history_query is not None
        }
        return combine(lines, histories)

    async def _history(
        self, sim_id: str, query: Mapping[str, str], now: datetime
    ) -> PastTraffic | None:
        """One line's history, kept for HISTORY_REFRESH and within one Tokyo day.

        None when IIJmio will not give it (the figures still count).
        """
        if (kept := self._histories.get(sim_id)) is not None:
            read_at, history = kept
            if history_is_fresh(read_at, now):
                return history
        try:
            payload = await self._get(PAST_DATA_TRAFFIC_PATH, query)
            with reading(payload):
                history = parse_past_data_traffic(payload, now)
        except CarrierParseError as err:
            _LOGGER.debug("IIJmio gave no usable usage history for a line: %s", err)
            history = None
        self._histories[sim_id] = (now, history)
        return history

    async def _get(self, path: str, query: Mapping[str, str]) -> Any:
        if self._token is None:
            raise CarrierSessionExpiredError("No IIJmio app token is held")
        reply = await self._send(
            "GET",
            path,
            authorization=f"Bearer {self._token},appVersion={APP_VERSION}",
            params=query,
        )
        if reply.status in STATUSES_TOKEN_INVALID:
            self._token = None
            raise CarrierSessionExpiredError(f"IIJmio ended the app session (HTTP {reply.status})")
        payload = self._data(reply, "a request")
        if isinstance(payload, dict) and "mioId" in payload and payload["mioId"] != self.account_id:
            raise CarrierParseError("IIJmio's app API answered for another account")
        return payload

    @staticmethod
    def _data(reply: HttpReply, what: str) -> Any:
        if reply.status >= HTTPStatus.BAD_REQUEST:
            raise CarrierParseError(f"IIJmio's app API refused {what} (HTTP {reply.status})")
        return reply.json()

    async def _send(
        self, method: str, path: str, *, authorization: str, **kwargs: Any
    ) -> HttpReply:
        try:
            return await request(
                self._session,
                method,
                f"{self._base_url}{path}",
                policy=self._policy,
                headers={**APP_HEADERS, "Authorization": authorization},
                **kwargs,
            )
        except CarrierConnectionError as err:
            # request() treats every 5xx alike; 505 is IIJmio's demand for a newer app.
            if err.status == STATUS_APP_TOO_OLD:
                raise CarrierAppVersionError(
                    f"IIJmio's app API no longer accepts app version {APP_VERSION} "
                    f"(HTTP {STATUS_APP_TOO_OLD}); this integration needs an update"
                ) from None
            raise


# --- Parsing (pure) ---------------------------------------------------------------------------


def parse_token(payload: Any) -> tuple[str, str]:
    """The bearer token and the account's mioID in the answer of /token."""
    if not isinstance(payload, dict):
        raise CarrierParseError("IIJmio's login answer is not an object")
    token = check_token(payload.get("token"), "app token")
    account_id = check_token(payload.get("mioId"), "account id", max_length=MAX_ACCOUNT_ID_LENGTH)
    return token, account_id


def parse_line_info(payload: Any) -> str | None:
    """The first line's lineServiceCode in /lineInfo, which the app names its main line."""
    with reading(payload):
        info = _object(payload, "lineInfo")
        for line in [*_list(info, "hdcList"), *_list(info, "hddList")]:
            if isinstance(line, dict) and (code := text(line.get("lineServiceCode"))):
                return check_token(code, "line code", max_length=MAX_ACCOUNT_ID_LENGTH)
    return None


def parse_data_traffic(payload: Any, now: datetime) -> list[AppLine]:
    """Turn the answer of /dataTraffic into one AppLine per line, each line once."""
    return read_data_traffic(payload, now)[0]


def read_data_traffic(payload: Any, now: datetime) -> tuple[list[AppLine], bool]:
    """Read /dataTraffic: each line once, and whether any were left out.

    At most MAX_LINES_PER_ACCOUNT lines are read; those past the bound are not parsed at all.
    """
    traffic = _object(payload, "dataTraffic")
    entries: list[tuple[Any, dict[str, Any] | None]] = [
        (line, None) for line in _list(traffic, "hdcList")
    ]
    for group in [*_list(traffic, "hddList"), *_list(traffic, "mainHdd")]:
        if not isinstance(group, dict):
            raise CarrierParseError("An IIJmio share group is not an object")
        entries.extend((line, group) for line in _list(group, "lineServiceCodeList"))
    lines: dict[str, AppLine] = {}
    for line, group in entries:
        sim_id = _line_id(line)
        if sim_id in lines:
            continue  # mainHdd repeats hddList's lines (IIJWidget GAPIDataTests).
        if len(lines) == MAX_LINES_PER_ACCOUNT:
            return list(lines.values()), True
        lines[sim_id] = _line(line, sim_id, group, now)
    return list(lines.values()), False


def parse_past_data_traffic(payload: Any, now: datetime) -> PastTraffic:
    """Turn the answer of /pastDataTraffic into daily use and this month's total."""
    if not isinstance(payload, dict):
        raise CarrierParseError("IIJmio's usage history is not an object")
    today = now.astimezone(TOKYO).date()
    this_month = payload.get("thisMonthInfo")
    month = today.month
    if isinstance(this_month, dict) and this_month.get("month") not in (None, ""):
        month = _month_number(this_month["month"])

    def read(entry: dict[str, Any]) -> DailyUsage | None:
        unit = _unit(entry.get("dataTrafficUnit"), DEFAULT_DAY_UNIT)
        used = to_bytes(entry.get("dataTraffic"), unit)
        return _day(month, entry.get("date"), used, today)

    days = _read_days(_list(payload, "thisMonthDailyInfo"), read, today)
    used_this_month = None
    # Last month's total is no figure for this period (a history read on the 1st may still
    # name last month as "this month").
    if month == today.month:
        unit = _unit(payload.get("lastFiveMonthDataUnit"), DEFAULT_AMOUNT_UNIT)
        for entry in _list(payload, "lastFiveMonthInfo"):
            if (
                isinstance(entry, dict)
                and entry.get("month") not in (None, "")
                and _month_number(entry["month"]) == month
            ):
                used_this_month = to_bytes(entry.get("dataTraffic"), unit)
    return PastTraffic(days=days, used_this_month=used_this_month)


def combine(lines: Iterable[AppLine], histories: Mapping[str, PastTraffic | None]) -> AccountUsage:
    """Add each line's history to its figures, then give share-group lines their pool."""
    merged: list[tuple[SimUsage, str | None]] = []
    for line in lines:
        usage = line.usage
        if (history := histories.get(usage.sim_id)) is not None:
            days = {day.day: day for day in history.days}
            days.update({day.day: day for day in usage.daily_usage})  # the recent days win
            usage = replace(
                usage,
                used=history.used_this_month,
                daily_usage=tuple(days[day] for day in sorted(days)),
            )
        merged.append((usage, line.share_group))
    return AccountUsage(sims=share_pools(merged))


def _line_id(line: Any) -> str:
    """A line's id: its serviceCode, else (a share-group line) its lineServiceCode."""
    if not isinstance(line, dict):
        raise CarrierParseError("An IIJmio line is not an object")
    sim_id = text(line.get("serviceCode")) or text(line.get("lineServiceCode"))
    if sim_id is None:
        raise CarrierParseError("An IIJmio line has no service code")
    return sim_id


def _line(
    line: dict[str, Any], sim_id: str, group: dict[str, Any] | None, now: datetime
) -> AppLine:
    today = now.astimezone(TOKYO).date()
    service_code = text(line.get("serviceCode"))
    line_code = text(line.get("lineServiceCode"))
    this_month = line.get("thisMonthDataList")
    if this_month is None:
        this_month = {}
    if not isinstance(this_month, dict):
        raise CarrierParseError("An IIJmio line's thisMonthDataList is not an object")

    group_code = text(group.get("serviceCode")) if group is not None else None
    sharing = group is not None or _flag(this_month.get("dataShare")) == _SHARING
    usage = SimUsage(
        sim_id=sim_id,
        plan_name=text(line.get("planName")),
        number_suffix=number_suffix(line.get("telNo")) or number_suffix(line.get("msIsdn")),
        buckets=_buckets(line, this_month, now),
        allowance=to_bytes(
            this_month.get("maxDataTraffic"),
            _unit(this_month.get("maxDataTrafficUnit"), DEFAULT_AMOUNT_UNIT),
        ),
        throttled=_throttled(this_month),
        resets_on=next_month_start(today),
        shared_pool=sharing,
        daily_usage=_recent_days(line.get("lastSevenDaysDataList"), today),
    )
    return AppLine(
        usage=usage,
        share_group=(group_code or "") if sharing else None,
        history_query=_history_query(service_code or group_code, line_code),
    )


def _buckets(
    line: dict[str, Any], this_month: dict[str, Any], now: datetime
) -> tuple[DataBucket, ...]:
    entries = _list(line, "expireList")
    if entries:
        today = now.astimezone(TOKYO).date()
        buckets = [_expiring(entry, today) for entry in entries]
        # An entry past its expiry month still listed holds nothing that can be used.
        return tuple(bucket for bucket in buckets if bucket.valid_at(now))
    available = to_bytes(
        this_month.get("availableDataTraffic"),
        _unit(this_month.get("availableDataTrafficUnit"), DEFAULT_AMOUNT_UNIT),
    )
    if available is None:
        available = to_bytes(line.get("couponValue"), DEFAULT_AMOUNT_UNIT)
    if available is None:
        return ()
    return (DataBucket(kind=BucketKind.MONTHLY, remaining=available),)


def _expiring(entry: Any, today: date) -> DataBucket:
    if not isinstance(entry, dict):
        raise CarrierParseError("An IIJmio coupon is not an object")
    year, month = expiry_month(entry.get("expireYear"), entry.get("expireMonth"), today)
    return DataBucket(
        kind=bucket_kind(year, month, today),
        remaining=to_bytes(
            entry.get("remainingDataTraffic"), _unit(entry.get("dataUnit"), DEFAULT_AMOUNT_UNIT)
        ),
        expires=end_of_month(year, month),
    )


def _throttled(this_month: dict[str, Any]) -> bool | None:
    regulation = _flag(this_month.get("regulationStatus"))
    coupon = _flag(this_month.get("couponStatus"))
    if regulation is None and coupon is None:
        return None
    return (regulation is not None and regulation != 0) or coupon == 0


def _recent_days(recent: Any, today: date) -> tuple[DailyUsage, ...]:
    if recent is None:
        return ()
    if not isinstance(recent, dict):
        raise CarrierParseError("An IIJmio line's lastSevenDaysDataList is not an object")
    unit = _unit(recent.get("lastSevenDaysDataHighUnit"), DEFAULT_DAY_UNIT)

    def read(entry: dict[str, Any]) -> DailyUsage | None:
        month = _month_number(entry.get("month"))
        return _day(month, entry.get("date"), to_bytes(entry.get("high"), unit), today)

    return _read_days(_list(recent, "dailyDataList"), read, today)


def _read_days(
    entries: list[Any], read: Callable[[dict[str, Any]], DailyUsage | None], today: date
) -> tuple[DailyUsage, ...]:
    """Read each day on its own: a day that cannot be read is left out, not the others."""
    days: list[DailyUsage | None] = []
    unreadable = 0
    for entry in entries:
        try:
            days.append(read(entry) if isinstance(entry, dict) else _not_a_day())
        except CarrierParseError:
            unreadable += 1
    if unreadable:
        _LOGGER.debug("IIJmio's usage history held %d unreadable days; left out", unreadable)
    return _days_until(days, today)


def _not_a_day() -> DailyUsage | None:
    raise CarrierParseError("An IIJmio day of usage is not an object")


def _day(month: int, day: Any, used: int | None, today: date) -> DailyUsage | None:
    """One day's use; None when IIJmio gave no figure for it (unknown, never 0).

    IIJmio names a day by month and date only: a month after this one is last year's.
    """
    number = whole_number(day)
    if number is None:
        raise CarrierParseError("An IIJmio day of usage has an unreadable date")
    try:
        when = date(_year_of(month, today), month, number)
    # A day beyond C's int (2147483648) overflows rather than being merely impossible.
    except (ValueError, OverflowError) as err:
        raise CarrierParseError("An IIJmio day of usage has an impossible date") from err
    plausible_day(when, today=today)
    return None if used is None else DailyUsage(day=when, used=used)


def _days_until(days: Iterable[DailyUsage | None], today: date) -> tuple[DailyUsage, ...]:
    """Known days up to today, oldest first, each once (a later entry wins)."""
    known = {day.day: day for day in days if day is not None and day.day <= today}
    return tuple(known[day] for day in sorted(known))


def _history_query(service_code: str | None, line_code: str | None) -> dict[str, str] | None:
    if service_code is None:
        return None
    query = {"serviceCode": service_code}
    if not service_code.lower().startswith("hdc") and line_code is not None:
        query["lineServiceCode"] = line_code
    return query


def _year_of(month: int, today: date) -> int:
    """IIJmio sends months without a year: a month after this one was last year's."""
    return today.year - 1 if month > today.month else today.year


def _month_number(value: Any) -> int:
    number = whole_number(value)
    if number is None or not 1 <= number <= 12:  # noqa: PLR2004
        raise CarrierParseError("An IIJmio month is unreadable")
    return number


def _flag(value: Any) -> int | None:
    """A status flag sent as 0/1 or "0"/"1"; None when absent."""
    return whole_number(value)


def _unit(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value.strip() else default


def _object(payload: Any, key: str) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(value := payload.get(key), dict):
        raise CarrierParseError(f"IIJmio's app API answer has no {key}")
    return value


def _list(container: dict[str, Any], key: str) -> list[Any]:
    """A list the answer may leave out (then empty); anything else is unreadable."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CarrierParseError(f"IIJmio's {key} is not a list")
    return value
