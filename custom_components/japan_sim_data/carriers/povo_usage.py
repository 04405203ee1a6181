"""povo 2.0: the line, its data buckets, and the plan-details page that dates them.

Part of the povo adapter (`povo.py` names the references by commit: "esp32" is
roflsunriz/esp32-povo-2.0, "povo-android" is uirooong/povo-android). Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final

from .base import anonymous_id
from .dates import TOKYO, end_of_day, plausible_moment
from .errors import CarrierParseError
from .http import check_token
from .models import BucketKind, Carrier, DailyUsage, DataBucket, SimUsage
from .povo_login import MAX_ID_LENGTH
from .units import GIB, normalize_text, to_bytes, to_number

# ==========================================================================================
# ASSUMPTIONS (profile, usage, plan details): each fact names the reference it follows;
# "Assumed" marks what none shows. Correct them here when a user reports a change.
# ==========================================================================================

PROFILE_PATH: Final = "/api/v3/user-service/v4/jp/ja/mobile/users"
"""Asked with ?include_telco=true (esp32 static-analysis.md; povo-android PovoAccountClient)."""
USAGE_PATH: Final = "/v4/jp/ja/mobile/account/usage/plan/get"
"""povo-android PHASE1-FINDINGS.md; the /v4/jp/ja/mobile/account prefix as in esp32's capture."""
PLAN_DETAILS_PATH: Final = "/api/v1/quilt/page/user-plan-details-v2"
"""Asked with no query: quilt pages get no sin/uuid (esp32 povo-client.cpp; povo-android
POVO-CORE-CHANGES.md, "quilt では抑制")."""

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
# plan-account): a bucket's size is plan_kb when above 0, else used + left. The unit is povo's
# text: an unknown one is named in an error only when it is a short word (see _unknown_unit).
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
# 1788594120000 ms, i.e. 16:42:00). 午前 is a.m. and 午後 p.m. on a 12-hour clock; the hour
# is read modulo 12, so 午前0:00 and 午前12:00 are midnight and 午後0:00 and 午後12:00 noon
# (midnight 午前0:00 and noon 午後12:00 as users saw the app write them, issue #22; no
# capture shows either; esp32 reads hours 1 to 12 only and would lose a midnight expiry).
# Assumed: a date without a time lasts to its end. Every date passes the library's
# plausibility rule (dates.plausible_moment): 0001 or 9999 is no expiry.
# Assumed: the usage answer's topping buckets (boost, extra) hold the data of the page's data
# tiles. They are cut into one slice per valid tile that holds data, each with that tile's
# expiry: povo spends the soonest-expiring topping first (carriers.md), so later tiles hold
# what the page shows and the soonest holds the rest, and the slices add up to the usage
# answer's exact figure. So each topping's data stops counting at its own expiry, and the
# rest still counts. The other buckets (basic, bonus, plus: 0 on every captured line) get no
# expiry, as the page does not say which tile is theirs. When the tiles cannot be read, every
# bucket takes the soonest expiry of a valid data tile that holds data (else, every tile
# drained, that of any valid data tile dates the empty buckets only); when a tile that holds
# data has no readable expiry, no bucket is dated (that data's end is unknown). A tile whose
# expiry has passed never dates a bucket.
# Assumed (month turnover): povo may still list a topping after its expiry with data left. No
# reference reads the usage buckets per topping, so an expired topping's leftover is taken out
# of the usage figures only on evidence that they still hold it: the data left in the usage
# answer equals what the page lists, the expired tiles included, within the page's rounding
# (0.01 GB a tile). Otherwise the usage answer is taken as povo's own account (it may already
# have dropped the expired data) and only the expiry is corrected.
PLAN_DETAIL_TILE: Final = "povo-tile-plan-detail"
UNLIMITED_TEXT: Final = "使い放題"
RUNNING_STATUS: Final = "適用中"
"""An unlimited tile counts only with this status, as esp32 does (others may be reserved)."""
TILE_ROUNDING: Final = GIB // 100
"""The page shows amounts to 0.01 GB: how far a tile's figure may be from the usage answer's."""

# ==========================================================================================

BUCKET_NAMES: Final = tuple(BUCKET_KINDS)
_SEARCH_DEPTH: Final = 8
_UNWRAP_DEPTH: Final = 3
_HALF_DAY: Final = 12
_UNIT_WORD: Final = re.compile(r"[A-Za-z]{1,12}")


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

    def expired_at(self, now: datetime) -> bool:
        """True once the tile's expiry has come: its data no longer counts."""
        return self.expires is not None and self.expires <= now


# -- JSON helpers -------------------------------------------------------------------------------


def unwrap(payload: Any, *stop_at: str) -> Any:
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


def json_objects(payload: Any) -> Iterator[dict[str, Any]]:
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


def text_field(holder: Mapping[str, Any], name: str, key: str) -> str | None:
    """holder[name][key] when it is text, else None."""
    entry = holder.get(name)
    value = entry.get(key) if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


def sum_known(values: Iterable[int | None]) -> int | None:
    """The sum of the known values; None when none is known."""
    known = [value for value in values if value is not None]
    return sum(known) if known else None


# -- profile ------------------------------------------------------------------------------------


def parse_profile(payload: Any) -> PovoLine:
    """Read the line from GET users?include_telco=true (bare or wrapped in "result")."""
    root = unwrap(payload, "telco_info")
    telco = root.get("telco_info") if isinstance(root, dict) else None
    if not isinstance(telco, dict) or telco.get("service_instance_no") is None:
        raise CarrierParseError("povo's profile names no line (telco_info.service_instance_no)")
    return PovoLine(
        sin=check_token(telco["service_instance_no"], "line id", max_length=MAX_ID_LENGTH)
    )


# -- usage --------------------------------------------------------------------------------------


def _bucket_nodes(payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, bucket) pairs of the usage answer's "data"; a null bucket is skipped, not zero."""
    container = unwrap(payload, *BUCKET_NAMES)
    if not isinstance(container, dict) or not any(name in container for name in BUCKET_NAMES):
        raise CarrierParseError("povo's usage answer holds no data buckets")
    for name in BUCKET_NAMES:
        node = container.get(name)
        if node is None:
            continue
        if not isinstance(node, dict):
            raise CarrierParseError(f"povo's {name} bucket is not an object")
        yield name, node


def _unknown_unit(unit: str) -> str:
    """Name an unknown unit for a message: povo's text only when it is one short word.

    The unit is carrier text that reaches the Refresh error and the log; a hostile answer
    could put a whole phishing line there (as error codes, see errors.quoted_code).
    """
    word = normalize_text(unit).strip()
    return f"an unknown unit ({word})" if _UNIT_WORD.fullmatch(word) else "an unknown unit"


def _unit(node: Mapping[str, Any]) -> str:
    unit = node.get("unit", ASSUMED_DEFAULT_UNIT)
    if not isinstance(unit, str):
        raise CarrierParseError("povo sent a bucket unit that is not text")
    try:
        to_bytes(0, unit)  # the one unit table of the library decides what is known
    except CarrierParseError:
        # "from None": the library's message quotes the unit verbatim.
        raise CarrierParseError(f"povo sent an amount in {_unknown_unit(unit)}") from None
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
    return sum_known(_amount(node, "used") for _, node in _bucket_nodes(payload))


# -- plan details -------------------------------------------------------------------------------

_EXPIRY = re.compile(
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
    r"(?:\s*(?P<half>午前|午後)?\s*(?P<hour>\d{1,2})\s*:\s*(?P<minute>\d{2}))?"
)


def parse_expiry(text: str, *, now: datetime | None = None) -> datetime | None:
    """Read povo's expiry text, e.g. "2026年 9月 5日 午後4:42" + newline + "残り 7 日間".

    The time is to the minute (16:42:00 here, as esp32 reads it); with 午前/午後 the hour is
    read modulo 12 (午前0:00 is midnight, 午後12:00 noon); digits may be full-width. Without
    a time the whole day counts. None when the text holds no readable date; CarrierParseError
    for a date outside the plausibility rule (years like 0001 or 9999), judged at ``now``.
    """
    match = _EXPIRY.search(normalize_text(text))
    if match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    if match["hour"] is None:
        return plausible_moment(end_of_day(day), now=now)
    hour = int(match["hour"])
    if match["half"] is not None:
        if hour > _HALF_DAY:
            return None
        hour = hour % _HALF_DAY + (_HALF_DAY if match["half"] == "午後" else 0)
    try:
        moment = datetime(day.year, day.month, day.day, hour, int(match["minute"]), tzinfo=TOKYO)
    except ValueError:
        return None
    return plausible_moment(moment, now=now)


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


def _tile_expiry(text: str | None, now: datetime | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_expiry(text, now=now)
    except CarrierParseError:
        return None  # an implausible date: this tile's expiry is unknown, never a figure


def _tile(node: Mapping[str, Any], now: datetime | None) -> PlanTile:
    data = node.get("data")
    # Some tiles carry their fields inline instead of under "data" (povo-android QuiltParser).
    holder = data if isinstance(data, dict) else node
    remaining_text = text_field(holder, "remaining", "value")
    unlimited = remaining_text is not None and normalize_text(remaining_text).strip() == (
        UNLIMITED_TEXT
    )
    left, total = (None, None) if unlimited else _remaining_text(remaining_text)
    return PlanTile(
        name=text_field(holder, "name", "title"),
        status=text_field(holder, "name", "value"),
        remaining=left,
        total=total,
        unlimited=unlimited,
        expires=_tile_expiry(text_field(holder, "expiry", "value"), now),
    )


def parse_plan_tiles(payload: Any, *, now: datetime | None = None) -> tuple[PlanTile, ...]:
    """The povo-tile-plan-detail tiles of the plan-details page, in page order.

    The page is display text, so a reshaped page gives fewer tiles, never an error.
    """
    return tuple(
        _tile(node, now) for node in json_objects(payload) if node.get("type") == PLAN_DETAIL_TILE
    )


def _current(tiles: Iterable[PlanTile], now: datetime | None) -> list[PlanTile]:
    return [tile for tile in tiles if now is None or not tile.expired_at(now)]


def soonest_data_expiry(tiles: Iterable[PlanTile], now: datetime | None = None) -> datetime | None:
    """The soonest expiry of a valid data tile that still holds data, else of any valid one.

    Without ``now`` every tile is taken as valid.
    """
    dated = [tile for tile in _current(tiles, now) if not tile.unlimited and tile.expires]
    holding = [tile.expires for tile in dated if tile.remaining != 0 and tile.expires]
    if holding:
        return min(holding)
    drained = [tile.expires for tile in dated if tile.expires is not None]
    return min(drained) if drained else None


def unlimited_until(tiles: Iterable[PlanTile], now: datetime | None = None) -> datetime | None:
    """When the soonest running unlimited topping (使い放題, 適用中) ends; None if none runs."""
    ends = [
        tile.expires
        for tile in _current(tiles, now)
        if tile.unlimited and tile.status == RUNNING_STATUS and tile.expires is not None
    ]
    return min(ends) if ends else None


def parse_plan_details(payload: Any, *, now: datetime | None = None) -> datetime | None:
    """The soonest expiry of the data that is left, from the plan-details page."""
    return soonest_data_expiry(parse_plan_tiles(payload, now=now), now)


# -- month turnover -----------------------------------------------------------------------------


def expired_leftover(
    buckets: tuple[DataBucket, ...], tiles: Iterable[PlanTile], now: datetime
) -> int:
    """Bytes of expired toppings the usage answer evidently still counts; 0 when none.

    Only when the usage answer's data left matches the page's tiles, the expired ones
    included, within the page's rounding (see ASSUMPTIONS): otherwise nothing says the
    usage figures hold the expired data.
    """
    data = [tile for tile in tiles if not tile.unlimited]
    leftover = sum(tile.remaining or 0 for tile in data if tile.expired_at(now))
    left = sum_known(bucket.remaining for bucket in buckets)
    listed = sum_known(tile.remaining for tile in data)
    if not leftover or left is None or listed is None:
        return 0
    if any(tile.remaining is None for tile in data):
        return 0  # a tile that cannot be read: the page cannot be matched to the figures
    if abs(left - listed) > TILE_ROUNDING * len(data):
        return 0
    return min(leftover, left)


def _take_out(buckets: tuple[DataBucket, ...], amount: int) -> tuple[DataBucket, ...]:
    """The buckets less ``amount`` bytes left, taken from toppings first (the tiles' kind)."""
    taken: dict[int, int] = {}
    order = sorted(range(len(buckets)), key=lambda i: buckets[i].kind is not BucketKind.TOPPING)
    for index in order:
        share = min(buckets[index].remaining or 0, amount)
        taken[index] = share
        amount -= share
    result = list(buckets)
    for index, share in taken.items():
        bucket = buckets[index]
        if share and bucket.remaining is not None:
            total = None if bucket.total is None else max(bucket.total - share, 0)
            result[index] = replace(bucket, remaining=bucket.remaining - share, total=total)
    return tuple(result)


# -- the SIM ------------------------------------------------------------------------------------


def _slices(left: int, holding: list[PlanTile]) -> tuple[DataBucket, ...]:
    """The toppings' data left, one slice per topping with its own expiry, soonest first.

    povo spends the soonest-expiring topping first, so the later ones hold what the page
    shows and the soonest holds the rest: the slices add up to the usage answer's figure.
    """
    shares: list[tuple[PlanTile, int]] = []
    rest = left
    for tile in reversed(holding[1:]):
        share = min(tile.remaining or 0, rest)
        shares.append((tile, share))
        rest -= share
    shares.append((holding[0], rest))
    return tuple(
        DataBucket(kind=BucketKind.TOPPING, remaining=share, total=tile.total, expires=tile.expires)
        for tile, share in reversed(shares)
    )


def _dated(
    buckets: tuple[DataBucket, ...], tiles: tuple[PlanTile, ...], now: datetime
) -> tuple[DataBucket, ...]:
    """The buckets with the expiries the page gives, never one that has passed."""
    holding = [tile for tile in _current(tiles, now) if not tile.unlimited and tile.remaining != 0]
    if any(tile.expires is None for tile in holding):
        # Some data has no readable end: dated by another topping's, the coordinator would
        # drop it at that moment. Unknown instead.
        return buckets
    toppings = sum_known(b.remaining for b in buckets if b.kind is BucketKind.TOPPING)
    if holding and toppings and all(tile.remaining is not None for tile in holding):
        # Each topping's data stops counting at its own expiry. The other buckets' expiry is
        # not on the page (they are 0 on every captured line): unknown.
        others = tuple(bucket for bucket in buckets if bucket.kind is not BucketKind.TOPPING)
        return others + _slices(toppings, sorted(holding, key=lambda tile: tile.expires or now))
    expires = soonest_data_expiry(tiles, now)
    if expires is None:
        return buckets
    if not holding:
        # Only drained toppings: their expiry dates what is empty, never data they do not hold.
        return tuple(replace(b, expires=expires) if b.remaining == 0 else b for b in buckets)
    return tuple(replace(bucket, expires=expires) for bucket in buckets)


def build_sim(
    line: PovoLine,
    buckets: tuple[DataBucket, ...],
    used: int | None,
    tiles: tuple[PlanTile, ...],
    *,
    now: datetime,
    daily_usage: tuple[DailyUsage, ...] = (),
) -> SimUsage:
    """The line's usage at ``now``: the buckets, dated by the valid tiles of the plan page.

    Data of a topping whose expiry has passed is taken out where the figures evidently still
    hold it, and never dates a bucket: no bucket leaves here with an expiry in the past. The
    allowance is the buckets' sizes; when none says, the valid data tiles' sizes.
    """
    if leftover := expired_leftover(buckets, tiles, now):
        buckets = _take_out(buckets, leftover)
    allowance = sum_known(bucket.total for bucket in buckets)
    if allowance is None:
        allowance = sum_known(tile.total for tile in _current(tiles, now) if not tile.unlimited)
    return SimUsage(
        # The line's own number, hashed: the id existing entities were created with.
        sim_id=anonymous_id(Carrier.POVO, line.sin),
        buckets=_dated(buckets, tiles, now),
        allowance=allowance,
        used=used,
        unlimited_until=unlimited_until(tiles, now),
        daily_usage=daily_usage,
    )
