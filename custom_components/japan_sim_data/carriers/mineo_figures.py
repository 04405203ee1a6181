"""mineo's answers read into figures: pure parsers, tested and fuzzed without a network.

The adapter (carriers/mineo.py) names the calls and their references; this module holds what
the answers' fields mean. Every date passes the library's plausibility rule (carriers/dates.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from .base import MAX_LINES_PER_ACCOUNT
from .dates import end_of_day, end_of_month, plausible_day
from .errors import CarrierParseError
from .http import check_token
from .models import BucketKind, DailyUsage, DataBucket, SimUsage
from .units import normalize_text, to_bytes, to_number

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS (figures): each fact names the reference it follows; "Assumed" marks what none
# shows. References as in carriers/mineo.py (mineard = miutaku/mineard's specification).
# ==========================================================================================
# packetInfo figures are MB, numbers (mineard §4.1 and types.ts); mineo counts 1 GB as
# 1024 MB: the sample's "Dプラン デュアルタイプ (5GB)" has baseCapacity 5120.
# - base: this month's allowance (基本データ容量). Unused allowance carries over to the next
#   month and expires at that month's end: assumed from mineo's published carry-over rule.
# - forward: carried over from last month (前月繰り越し), expiring at this month's end
#   (APGifter reads forwardRemainingCapacity as "残今月末無効パケット").
# - charge: bought packets (チャージ). Their expiry is not in this answer: get_packetcharge_info
#   gives it as packetChargeInfo.chargeExpireDate, "yyyyMMdd" (mineard §4.5: its sample charge
#   completed 2025-11-30 02:47 expires "20251231"), read as valid through that day. Unknown
#   when that call gives none. mineo may go on listing a charge past that day: it then counts
#   no more (the bucket carries its past expiry; SimUsage.valid_at drops it).
# - gift: received packet gifts; expiry unknown (no reference shows one).
# The allowance is baseCapacity. The new month's allowance arrives on the 1st: assumed (the
# API counts calendar months: get_traffic_history's targetMonth, nengetsu "yyyyMM").
# get_traffic_history (mineard §7.3): a day's use is its dataTrafficHighSpeed, MB: slow traffic
# does not draw on the data left (as IIJmio's history is read); assumed that ad-free traffic is
# not in it either. targetMonth is a month without a year: one later in the year than this one
# is last year's (three months back). A day without a figure is absent, never 0; today and
# later are left out (not whole days).
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

MAX_LINES: Final = MAX_LINES_PER_ACCOUNT
"""An eo ID holds a household's lines; more than this is a broken answer, and each line costs
one request (the library's one bound on lines per account)."""
MAX_ID_LENGTH: Final = 64
_MAX_NAME_LENGTH: Final = 100
_YYYYMMDD: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True, slots=True)
class MineoLine:
    """One line of the eo ID: its customer id (the API's line key) and how to name it."""

    cust_id: str
    number_suffix: str | None = None


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
        cust_id = check_token(entry.get("custId"), "line id", max_length=MAX_ID_LENGTH)
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


def charge_left(sim: SimUsage) -> bool:
    """True when the line lists bought data (チャージ) with something left: its expiry matters."""
    return any(b.kind is BucketKind.TOPPING and b.remaining for b in sim.buckets)


def charge_total(sim: SimUsage) -> int | None:
    """The charged amount the capacity answer lists (a new charge changes it)."""
    return next((b.total for b in sim.buckets if b.kind is BucketKind.TOPPING), None)


def with_charge_expiry(sim: SimUsage, expires: datetime | None) -> SimUsage:
    """``sim`` with its bought data dated ``expires`` (None leaves it unknown)."""
    if expires is None:
        return sim
    buckets = tuple(
        replace(b, expires=expires) if b.kind is BucketKind.TOPPING else b for b in sim.buckets
    )
    return replace(sim, buckets=buckets)


def parse_charge_expiry(payload: Any, today: date) -> datetime | None:
    """When bought data expires, from get_packetcharge_info; None when it names no day."""
    if not isinstance(payload, dict):
        raise CarrierParseError("mineo's charge answer is not an object")
    info = payload.get("packetChargeInfo")
    if info is None:
        return None
    if not isinstance(info, dict):
        raise CarrierParseError("mineo's packetChargeInfo is not an object")
    raw = info.get("chargeExpireDate")
    if raw is None or raw == "":
        return None
    match = _YYYYMMDD.fullmatch(normalize_text(raw)) if isinstance(raw, str) else None
    if match is None:
        raise CarrierParseError("mineo's charge expiry is unreadable")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError as err:
        raise CarrierParseError("mineo's charge expiry is impossible") from err
    return end_of_day(plausible_day(day, today=today))


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
            day = _history_day(entry, year, number, today)
            if day is not None and day.day < today:
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


def _history_day(entry: Any, year: int, month: int, today: date) -> DailyUsage | None:
    if not isinstance(entry, dict):
        raise CarrierParseError("A day of mineo's usage history is not an object")
    used = to_bytes(entry.get("dataTrafficHighSpeed"), _HISTORY_UNIT)
    if used is None:
        return None
    try:
        day = date(year, month, _whole(entry.get("targetDay"), "day"))
    except (ValueError, OverflowError) as err:
        raise CarrierParseError("A day of mineo's usage history is impossible") from err
    return DailyUsage(day=plausible_day(day, today=today), used=used)


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
