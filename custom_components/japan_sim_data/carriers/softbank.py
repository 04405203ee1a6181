"""SoftBank, Y!mobile and LINEMO, read by scraping the My SoftBank / My Y!mobile member pages.

Flow (the public scrapers named in the assumptions block walk the same path): a web-link page
hands out a one-time login `ticket`; the SoftBank ID login form takes the phone number, the
password and that ticket; the same web-link page, now logged in, hands out two hidden fields
(`mfiv` plus `mfsb` or `mfym`) that open the data-usage page on a second host. The session
lives in cookies, so the caller gives each account its own cookie jar. There is no API: every
figure comes out of HTML, and anything this module assumes about that HTML is listed below.

Pages are read off the event loop (asyncio.to_thread): a member page is a few hundred kB of
markup, and scanning it must not stall Home Assistant.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from html.parser import HTMLParser
from http import HTTPStatus
from typing import ClassVar, Final, override
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, add_months, end_of_day
from .errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierSessionExpiredError,
)
from .http import (
    MAX_BODY_BYTES,
    MOBILE_BROWSER_USER_AGENT,
    HostPolicy,
    HttpReply,
    check_token,
    request,
)
from .models import AccountUsage, BucketKind, Carrier, DataBucket, SimUsage
from .skeleton import describe, reading
from .units import GIB, KIB, MAX_PLAUSIBLE_BYTES, MIB, normalize_text

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Portal:
    """Where one brand's pages live and which hidden fields open its usage page."""

    entry_url: str
    """The web-link page that hands out the login ticket to a visitor without a session."""
    login_url: str
    hop_url: str
    """The web-link page that, once logged in, hands out the usage page's hidden fields."""
    usage_url: str
    hop_fields: tuple[str, ...]

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL of the brand: requests, redirects and credentials stay on their hosts."""
        return (self.entry_url, self.login_url, self.hop_url, self.usage_url)


# --- What this module assumes about SoftBank, Y!mobile and LINEMO, in one place ---------------
# References (read at these commits; none was run against a live account from here):
#   [MYSB]  miya/mysb-reminder @ dae3224b0644ecb61d597a7c189c31ab7e1bd656, mysoftbank/mysoftbank.py
#           and README.md (sample output); @ 47e839076738fd0b68772400dd5bc06eecd8fd62 and
#           fcac6a3b2b18af01998d19fff6f0dcf0d58f4191, MySBdt/MySBdt.py (what each key means).
#   [NYB]   nairoki23/ymobile_bot @ e2b471788238e3b54a56499ad9298907c50afba9, ymobile.py, main.py.
#   [NDB]   nairoki23/discord-bot, func/ymobile/ymobile.py and cogs/data_usage.py @
#           5d630535b4e29b4d59a12554baa4eaf85a44a6da (4 tables by position),
#           d5762efc78895a7fd57616f2c2473c473d7102e6 (paid figure in the 2nd row, before a link),
#           e63d3b00418be8a5c563ebfe70b47cdcb205e74a (5 tables: an extra grant at position 2),
#           77b44dab75a8de5c4ae77118a6d78ad4465969a3 (tables found by their labels).
#   [KYM]   kouchan20100119-design/Y-mobile-monitor-App @ af13d42860f748907c1d9a40af4322ad1ed43cab,
#           ymobile_fetcher.py and ymobile_cache.json (the figures one live run produced).
#   [KYK]   kouchan20100119-design/Y-Mobile-MonitorApp-kotaro @
#           3b9fa6094c6a9675e09a4e800353723250c31525, app/src/main/java/com/hachi/ymobilemonitor/
#           data/YMobileRepository.kt (Jsoup selector, login judged by landing on login.php).
#   [KTS]   kouchan20100119-design/y-mobile-data-usage-app @
#           d916fdb6473e13ddb718bec93c938c0cf3c357ef, lib/ymobile-fetcher.ts (field names).
#
# URLs and form fields (telnum, password, ticket; mfiv + mfsb / mfym): [MYSB] for SoftBank;
# [NYB], [KYM], [KYK], [KTS] for Y!mobile, MRERE0000 under /muc/d/webLink/doSend/ included.
# The references read the hidden fields by position; [KTS] matches them by name
# (name="ticket", name="mfiv", name="mfym"). Fields are read by name here: the names are what the
# scrapers post back, which a browser takes from the page's own auto-submitting form.
SOFTBANK_PORTAL: Final = Portal(
    entry_url="https://my.softbank.jp/msb/d/webLink/doSend/MRERE0000",
    login_url="https://id.my.softbank.jp/sbid_auth/type1/2.0/login.php",
    hop_url="https://my.softbank.jp/msb/d/webLink/doSend/MRERE0000",
    usage_url="https://re11.my.softbank.jp/resfe/top/",
    hop_fields=("mfiv", "mfsb"),
)
YMOBILE_PORTAL: Final = Portal(
    entry_url="https://my.ymobile.jp/muc/d/webLink/doSend/MWBWL0130",
    login_url="https://id.my.ymobile.jp/sbid_auth/type1/2.0/login.php",
    hop_url="https://my.ymobile.jp/muc/d/webLink/doSend/MRERE0000",
    usage_url="https://re61.my.ymobile.jp/resfe/top/",
    hop_fields=("mfiv", "mfym"),
)
# EXPERIMENTAL, assumed: no public client reads LINEMO usage. LINEMO's member site ("My Menu")
# is its own; whether a LINEMO line can be read through My SoftBank is unconfirmed. Until a
# capture shows LINEMO's page, LINEMO is tried on SoftBank's route and parser unchanged.
LINEMO_PORTAL: Final = SOFTBANK_PORTAL

TICKET_FIELD: Final = "ticket"
# Assumed: no reference shows how long these values are; anything longer than this, or with
# characters outside visible ASCII, is refused before it is sent back.
MAX_FORM_VALUE_LENGTH: Final = 4096
# Assumed: no reference shows a page's size, so pages get the library's cap (2 MiB).
PAGE_MAX_BYTES: Final = MAX_BODY_BYTES

# SoftBank [MYSB]: the figures sit in the pie chart's settings, one flat object on one line:
#   …"chartType":  "pie", "usedGigaData": "6.34", "remainData": "0.02", …,}]};
# GB as strings, "" meaning 0. The reference matches two spaces after the colon; any
# whitespace is allowed here. Assumed: 1 GB = 1024 MB, as Japanese carriers count (units.py).
SOFTBANK_CHART_MARKER: Final = 'chartType":  "pie",'
_CHART_MARKER: Final = re.compile(r'chartType"\s*:\s*"pie"\s*,')
# The object holds no nested braces ([MYSB] rebuilds it as one dict), so it ends at the first
# "}"; assumed: it is shorter than this.
_CHART_SPAN: Final = 8192
SOFTBANK_KEY_USED: Final = "usedGigaData"
"""Used this period, every slice together ([MYSB] sample: 5 + 0.98 + 0.36 = 6.34)."""
SOFTBANK_KEY_REMAIN: Final = "remainData"
"""Everything left: used + remaining = plan + carried over + additions + gifts ([MYSB])."""
SOFTBANK_KEY_CARRIED_OVER: Final = "stepRemainData"
"""Carried over from last period, what is left of it ([MYSB] 47e8390: 繰越データ残量)."""
SOFTBANK_KEY_ADDITIONAL: Final = "currentAdditionalData"
SOFTBANK_KEY_ADDITIONAL_USED: Final = "currentAdditionalUsedData"
SOFTBANK_KEY_GIVEN: Final = "currentGivenData"
"""Granted data; [MYSB] 47e8390 calls it 追加繰越データ量. Kept as a gift (assumed)."""
SOFTBANK_KEY_GIVEN_USED: Final = "currentGivenUsedData"
# Slices: what is left of additions and gifts is granted − used; carried over is what the page
# says; the plan's own slice is what remains of remainData. They are shown only when every key
# is on the page and they fit inside remainData; otherwise remainData is one slice. Either way
# the slices add up to remainData exactly.

# Y!mobile: the four tables inside the first `.list-toggle-content.js-toggle-content.m-top-20`
# ([NYB], [KYM], [KYK]; [NDB] 77b44da takes the first `.list-toggle-content`). GB, "X.XXGB" in
# the first cell ([NYB], [KYM]); [NDB] 77b44da reads "A／B" and takes A. By position
# ([NYB], [KYM], [KYK], [NDB] 5d63053): 0 carried over, 1 base (its 2nd row), 2 paid, 3 used;
# by label ([NDB] 77b44da, the first th): くりこし分, 基本データ量 残り, 使用量 合計, any other
# table counted as granted data. [NDB] e63d3b0 shows a 5th table, an extra grant at position 2,
# so labels win over positions and positions are used only on a page of exactly four tables.
# remaining = carried over + base + paid (+ other grants) − used ([NYB] main.py, [KYM], [NDB];
# [KYK] leaves paid out). [KYM]'s live run: 0.88 + 30.0 + 0.0 − 1.51 = 29.37.
# Doubtful: [NDB] 77b44da labels the base "基本データ量 残り" ("left"); [KYM]'s 30.0 is the plan's
# size. All references subtract the used total from it, and so does this module.
# The old captions 繰越 / 使用済み (no reference) are accepted as labels too.
# Assumed: 1 GB = 1024 MB; a bare number is GB (the references strip "GB" and read the rest).
YMOBILE_CONTAINER_CLASSES: Final = frozenset(
    {"list-toggle-content", "js-toggle-content", "m-top-20"}
)
YMOBILE_CONTAINER_CLASS: Final = "list-toggle-content"
YMOBILE_TABLES: Final = 4
# Assumed: a login page (the first visit, a rejected password, an expired session) is one that
# carries the hidden `ticket` field or a password input ([KYK]: a failed login lands on
# login.php again).
# Assumed: SoftBank ID's rejection message contains one of these phrases (after NFKC folding).
AUTH_ERROR_MARKERS: Final = (
    "パスワードが正しくありません",
    "パスワードが違います",
    "ログインできませんでした",
)
# Assumed: a maintenance or "too busy" page says so in one of these words. Only checked when the
# expected fields or figures are missing, so a footer link to maintenance news does no harm.
MAINTENANCE_MARKERS: Final = ("メンテナンス", "maintenance", "混み合って", "混雑")
# Assumed: every usage page ends with </html>. A page without it was cut short on the way: the
# slices after the cut would be missing, and what is left would read as less data than there is.
PAGE_END: Final = "</html>"
_PAGE_END: Final = re.compile(r"</html\s*>", re.IGNORECASE)
# carriers.md: the billing period closes on the 10th, the 20th or the month's end, so the
# allowance arrives on the 11th, the 21st or the 1st (a user setting: the page does not say).
# Assumed: the plan's slice is usable through the day before the next reset; carried-over and
# paid data are taken to expire with the same period (both are "this period's" data on the
# page). Gift data's expiry is not on the page, so it stays None (unknown).
RESET_DAYS: Final = (1, 11, 21)
EXPIRES_WITH_PERIOD: Final = frozenset(
    {BucketKind.MONTHLY, BucketKind.CARRIED_OVER, BucketKind.TOPPING}
)
# No daily usage history: no public client reads a per-day table for SoftBank, Y!mobile or
# LINEMO; every one stops at the resfe/top page above (searched 2026-11: [MYSB], [NYB], [NDB],
# [KYM], [KYK], [KTS], the other re11/re61 resfe scrapers in the code index, and the queries
# 日別, 利用履歴, データ通信量 日別, dataUsageHistory, traffic_history). So SimUsage.daily_usage
# stays empty here: a format would have to be invented.
# ----------------------------------------------------------------------------------------------

# Linear patterns only: each is anchored on a literal or a single character class.
_DECIMAL: Final = re.compile(r"\d{1,15}(?:\.\d{0,15})?")
_FIGURE: Final = re.compile(r"\d[\d,.]*")
_UNIT_AFTER: Final = re.compile(r"\s{0,4}([KMGT]B)", re.IGNORECASE)
_UNIT_GB: Final = {
    "KB": Decimal(1) / MIB,
    "MB": Decimal(1) / KIB,
    "GB": Decimal(1),
    "TB": Decimal(KIB),
}
_MAX_GB: Final = Decimal(MAX_PLAUSIBLE_BYTES) / GIB
_VOID_TAGS: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass(frozen=True, slots=True)
class ParsedUsage:
    """What a usage page says: its data slices (without expiry) and the data used this period."""

    buckets: tuple[DataBucket, ...]
    used: int | None


# --- Pure parsing: forms ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormPage:
    """What a page's forms and words say, read in one pass."""

    fields: dict[str, str]
    """The wanted hidden fields the page carries, each validated; empty ones are left out."""
    login_form: bool
    """The page is SoftBank ID's login form (a hidden ticket or a password input)."""
    rejected: bool
    """The page says the phone number or password was wrong."""
    maintenance: bool
    """The page says the site is under maintenance or too busy."""

    def has(self, names: Collection[str]) -> bool:
        """True when every one of these fields is on the page."""
        return all(name in self.fields for name in names)


class _FormScanner(HTMLParser):
    """Collects every <input> of a page as (type, name, value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: list[tuple[str, str, str]] = []

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        values = {name.lower(): value or "" for name, value in attrs}
        self.inputs.append(
            (
                values.get("type", "text").strip().lower(),
                values.get("name", ""),
                values.get("value", ""),
            )
        )


def _scan_inputs(html: str) -> list[tuple[str, str, str]]:
    scanner = _FormScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.inputs


def _hidden(inputs: list[tuple[str, str, str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for kind, name, value in inputs:
        if kind == "hidden" and name:
            fields.setdefault(name, value)
    return fields


def find_hidden_inputs(html: str) -> dict[str, str]:
    """Return the page's hidden form fields by name (the first one wins when a name repeats)."""
    return _hidden(_scan_inputs(html))


def is_login_page(html: str) -> bool:
    """Tell whether the page is SoftBank ID's login form (see the assumptions block)."""
    return _is_login(_scan_inputs(html))


def _is_login(inputs: list[tuple[str, str, str]]) -> bool:
    return any(
        (kind == "hidden" and name == TICKET_FIELD) or kind == "password"
        for kind, name, _ in inputs
    )


def check_form_value(value: str, what: str) -> str:
    """Return a hidden field's value when it is safe to send back, else raise CarrierParseError.

    ``what`` names the field in the error, never its value.
    """
    return check_token(value, what, max_length=MAX_FORM_VALUE_LENGTH)


def read_form(html: str, wanted: Collection[str] = ()) -> FormPage:
    """Read a page's hidden fields (validating the wanted ones) and what its words say."""
    with reading(html):
        inputs = _scan_inputs(html)
        hidden = _hidden(inputs)
        fields = {name: check_form_value(hidden[name], name) for name in wanted if hidden.get(name)}
        text = normalize_text(html).lower()
        return FormPage(
            fields=fields,
            login_form=_is_login(inputs),
            rejected=_says_any(text, AUTH_ERROR_MARKERS),
            maintenance=_says_any(text, MAINTENANCE_MARKERS),
        )


def _says_any(folded: str, markers: tuple[str, ...]) -> bool:
    return any(normalize_text(marker).lower() in folded for marker in markers)


# --- Pure parsing: figures -------------------------------------------------------------------


def _amount_gb(raw: str) -> Decimal:
    """Read a figure in GB ("6.34", "１．５", "1,024.5", "" = 0) exactly, as a Decimal."""
    text = normalize_text(raw).strip().replace(",", "")
    if not text:
        return Decimal(0)
    if _DECIMAL.fullmatch(text) is None:
        raise CarrierParseError("A figure on the usage page could not be read")
    amount = Decimal(text)
    if amount > _MAX_GB:
        raise CarrierParseError("An amount of data was implausibly large")
    return amount


def _bytes(gigabytes: Decimal) -> int:
    return int((gigabytes * GIB).to_integral_value(rounding=ROUND_HALF_EVEN))


def _slices_in_bytes(amounts: list[Decimal]) -> list[int]:
    """Convert slices to bytes so that they still add up to their exact total in bytes."""
    result: list[int] = []
    running = Decimal(0)
    for amount in amounts:
        before = _bytes(running)
        running += amount
        result.append(_bytes(running) - before)
    return result


def _figure_in(text: str, *, need_unit: bool = False) -> Decimal | None:
    """The first amount in a cell ("0.88GB", "30", "512 MB", "20.00GB／20.00GB"), in GB.

    None when the cell holds no digit, or (``need_unit``) no amount with its unit. A bare
    number is GB (see the assumptions).
    """
    folded = normalize_text(text)
    match = _FIGURE.search(folded)
    if match is None:
        return None
    unit = _UNIT_AFTER.match(folded, match.end())
    if unit is None and need_unit:
        return None
    factor = _UNIT_GB[unit[1].upper()] if unit else Decimal(1)
    amount = _amount_gb(match[0]) * factor
    if amount > _MAX_GB:
        raise CarrierParseError("An amount of data was implausibly large")
    return amount


# --- SoftBank --------------------------------------------------------------------------------


def _key_pattern(key: str) -> re.Pattern[str]:
    """``"key": "1.23"`` with either quotes or none, as [MYSB]'s literal_eval would take it.

    Linear: every attempt starts on the key's literal, and each part after it is bounded.
    """
    return re.compile(
        rf"""(?<![\w$])["']?{re.escape(key)}(?![\w$])["']?\s*:\s*"""
        r"""(?:"([^"\n]{0,64})"|'([^'\n]{0,64})'|([^\s,}'"]{1,64}))"""
    )


_SOFTBANK_KEYS: Final = {
    key: _key_pattern(key)
    for key in (
        SOFTBANK_KEY_USED,
        SOFTBANK_KEY_REMAIN,
        SOFTBANK_KEY_CARRIED_OVER,
        SOFTBANK_KEY_ADDITIONAL,
        SOFTBANK_KEY_ADDITIONAL_USED,
        SOFTBANK_KEY_GIVEN,
        SOFTBANK_KEY_GIVEN_USED,
    )
}


def parse_softbank_usage(html: str) -> ParsedUsage:
    """Read the figures My SoftBank embeds in its pie chart's settings (GB strings, "" = 0).

    remainData is everything left; the slices are derived so that they add up to it.
    """
    marker = _CHART_MARKER.search(html)
    if marker is None:
        raise CarrierParseError("The SoftBank usage page has no data chart")
    end = html.find("}", marker.end(), marker.end() + _CHART_SPAN)
    chart = html[marker.end() : end if end >= 0 else marker.end() + _CHART_SPAN]
    values = {key: _softbank_value(chart, key) for key in _SOFTBANK_KEYS}
    remain = values[SOFTBANK_KEY_REMAIN]
    if remain is None:
        raise CarrierParseError("The SoftBank usage chart does not say how much data is left")
    used = values[SOFTBANK_KEY_USED]
    return ParsedUsage(
        buckets=_softbank_slices(remain, values),
        used=None if used is None else _bytes(used),
    )


def _softbank_value(chart: str, key: str) -> Decimal | None:
    """The figure after ``"key":``; None when the key is absent. "" means 0 ([MYSB])."""
    match = _SOFTBANK_KEYS[key].search(chart)
    if match is None:
        return None
    return _amount_gb(next(group for group in match.groups() if group is not None))


def _softbank_slices(remain: Decimal, values: dict[str, Decimal | None]) -> tuple[DataBucket, ...]:
    carried = values[SOFTBANK_KEY_CARRIED_OVER]
    added, added_used = values[SOFTBANK_KEY_ADDITIONAL], values[SOFTBANK_KEY_ADDITIONAL_USED]
    given, given_used = values[SOFTBANK_KEY_GIVEN], values[SOFTBANK_KEY_GIVEN_USED]
    if (
        carried is None
        or added is None
        or added_used is None
        or given is None
        or given_used is None
    ):
        return (DataBucket(kind=BucketKind.MONTHLY, remaining=_bytes(remain)),)
    # Used more of a slice than it holds: nothing is left of it, never less.
    added_left = max(added - added_used, Decimal(0))
    given_left = max(given - given_used, Decimal(0))
    plan_left = remain - carried - added_left - given_left
    if plan_left < 0:
        # The keys do not mean what this module thinks: show the total only.
        _LOGGER.debug("The SoftBank slices do not fit inside remainData; showing the total")
        return (DataBucket(kind=BucketKind.MONTHLY, remaining=_bytes(remain)),)
    plan, carry, topping, gift = _slices_in_bytes([plan_left, carried, added_left, given_left])
    return (
        DataBucket(kind=BucketKind.MONTHLY, remaining=plan),
        DataBucket(kind=BucketKind.CARRIED_OVER, remaining=carry),
        DataBucket(kind=BucketKind.TOPPING, remaining=topping, total=_bytes(added)),
        DataBucket(kind=BucketKind.GIFT, remaining=gift, total=_bytes(given)),
    )


# --- Y!mobile --------------------------------------------------------------------------------


class YmobileSlot(StrEnum):
    """What one of My Y!mobile's tables holds."""

    CARRIED_OVER = "carried_over"
    BASE = "base"
    PAID = "paid"
    USED = "used"
    OTHER = "other"
    """A grant of another kind ([NDB] e63d3b0's extra table); added to what is granted."""


# Checked in this order against a table's label (NFKC-folded).
YMOBILE_LABELS: Final[tuple[tuple[YmobileSlot, tuple[str, ...]], ...]] = (
    (YmobileSlot.CARRIED_OVER, ("くりこし", "繰越", "繰り越")),
    (YmobileSlot.BASE, ("基本",)),
    (YmobileSlot.USED, ("使用量", "使用済")),
    (YmobileSlot.PAID, ("有料",)),
)
_POSITIONS: Final = (YmobileSlot.CARRIED_OVER, YmobileSlot.BASE, YmobileSlot.PAID, YmobileSlot.USED)


@dataclass(slots=True)
class YmobileTable:
    """One table's text: its label (first th, else caption) and its body rows' cells."""

    caption: str = ""
    rows: list[list[tuple[bool, str]]] = field(default_factory=list)
    """Body rows (thead left out); each cell is (is_header, text)."""

    @property
    def label(self) -> str:
        """The first header cell of the body, as [NDB] 77b44da keys a table; else the caption."""
        for row in self.rows:
            for header, text in row:
                if header:
                    return text
        return self.caption


@dataclass(slots=True)
class _TableBuilder:
    table: YmobileTable
    cell: list[str] | None = None
    cell_header: bool = False
    row: list[tuple[bool, str]] | None = None
    in_head: bool = False
    in_caption: bool = False
    caption: list[str] = field(default_factory=list)

    def close_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            self.row.append((self.cell_header, " ".join("".join(self.cell).split())))
        self.cell = None

    def close_row(self) -> None:
        self.close_cell()
        self.row = None

    def open_row(self) -> None:
        self.close_row()
        self.row = []
        if not self.in_head:
            self.table.rows.append(self.row)


class _ToggleTablesScanner(HTMLParser):
    """Collects the tables inside the first usage container, as the references select it.

    Keeps its own stack of open elements so that unclosed and stray tags end elements the way
    a browser would; a tag counter keeps every lookup constant-time (no quadratic walk).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._stack: list[str] = []
        self._open: Counter[str] = Counter()
        self._builders: list[_TableBuilder] = []
        # Depth (stack length) of the first full and first partial container while open;
        # -1 before it opens, 0 once it has closed.
        self._depth = {"full": -1, "partial": -1}
        self.tables: dict[str, list[YmobileTable]] = {"full": [], "partial": []}
        self.found: set[str] = set()

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A table is in a container it opens inside, never in one it is itself.
        if tag == "table":
            self._start_table()
        elif self._builders:
            self._start_in_table(tag)
        if tag not in _VOID_TAGS:
            self._stack.append(tag)
            self._open[tag] += 1
            self._note_container(attrs)

    def _note_container(self, attrs: list[tuple[str, str | None]]) -> None:
        classes = {
            word for name, value in attrs if name == "class" and value for word in value.split()
        }
        if YMOBILE_CONTAINER_CLASS not in classes:
            return
        kinds = ["partial", "full"] if classes >= YMOBILE_CONTAINER_CLASSES else ["partial"]
        for kind in kinds:
            if self._depth[kind] == -1:
                self._depth[kind] = len(self._stack)
                self.found.add(kind)

    def _start_table(self) -> None:
        builder = _TableBuilder(YmobileTable())
        self._builders.append(builder)
        for kind, depth in self._depth.items():
            if depth > 0:
                self.tables[kind].append(builder.table)

    def _start_in_table(self, tag: str) -> None:
        builder = self._builders[-1]
        if tag == "caption":
            builder.in_caption = True
        elif tag == "thead":
            builder.in_head = True
        elif tag in {"tbody", "tfoot"}:
            builder.in_head = False
        elif tag == "tr":
            builder.open_row()
        elif tag in {"td", "th"}:
            builder.close_cell()
            if builder.row is None:
                builder.open_row()
            builder.cell, builder.cell_header = [], tag == "th"

    @override
    def handle_endtag(self, tag: str) -> None:
        if not self._open[tag]:
            return  # a stray end tag: nothing it could close
        while self._stack:
            closed = self._stack.pop()
            self._open[closed] -= 1
            self._closed(closed)
            if closed == tag:
                break

    def _closed(self, tag: str) -> None:
        for kind, depth in self._depth.items():
            if depth > len(self._stack):
                self._depth[kind] = 0
        if not self._builders:
            return
        builder = self._builders[-1]
        if tag == "table":
            self._finish(self._builders.pop())
        elif tag in {"td", "th"}:
            builder.close_cell()
        elif tag == "tr":
            builder.close_row()
        elif tag == "caption":
            builder.in_caption = False
        elif tag == "thead":
            builder.in_head = False

    def _finish(self, builder: _TableBuilder) -> None:
        builder.close_row()
        builder.table.caption = " ".join("".join(builder.caption).split())

    @override
    def handle_data(self, data: str) -> None:
        if not self._builders:
            return
        builder = self._builders[-1]
        if builder.in_caption:
            builder.caption.append(data)
        elif builder.cell is not None:
            builder.cell.append(data)

    @override
    def close(self) -> None:
        super().close()
        while self._builders:
            self._finish(self._builders.pop())


def find_ymobile_tables(html: str) -> list[YmobileTable]:
    """The tables of My Y!mobile's usage section, in page order (nested ones included).

    The first `.list-toggle-content.js-toggle-content.m-top-20` ([NYB], [KYM], [KYK]); failing
    that, the first `.list-toggle-content` ([NDB] 77b44da).
    """
    scanner = _ToggleTablesScanner()
    scanner.feed(html)
    scanner.close()
    for kind in ("full", "partial"):
        if kind in scanner.found:
            return scanner.tables[kind]
    raise CarrierParseError("The Y!mobile usage page has no data-usage section")


def _slot_of(table: YmobileTable, index: int, count: int) -> YmobileSlot:
    label = normalize_text(table.label)
    for slot, words in YMOBILE_LABELS:
        if any(word in label for word in words):
            return slot
    if count == YMOBILE_TABLES:
        return _POSITIONS[index]
    return YmobileSlot.OTHER


def _table_figure(table: YmobileTable, slot: YmobileSlot) -> Decimal | None:
    """The slot's figure: the base from its 2nd row ([NYB], [KYM]), else the first data cell.

    A table of another kind counts only an amount written with its unit: a bare number there
    may be a date or a count, not data.
    """
    rows = table.rows
    need_unit = slot is YmobileSlot.OTHER
    if slot is YmobileSlot.BASE and len(rows) > 1:
        for header, text in rows[1]:
            if not header and (figure := _figure_in(text)) is not None:
                return figure
    for row in rows:
        for header, text in row:
            if header:
                continue
            if (figure := _figure_in(text, need_unit=need_unit)) is not None:
                return figure
    return None


def parse_ymobile_usage(html: str) -> ParsedUsage:
    """Read My Y!mobile's tables: remaining = carried over + base + paid (+ other) − used."""
    figures, grants = _ymobile_figures(find_ymobile_tables(html))
    required = (YmobileSlot.CARRIED_OVER, YmobileSlot.BASE, YmobileSlot.USED)
    if not grants or any(slot not in figures for slot in required):
        raise CarrierParseError("The Y!mobile usage section lacks a table it always has")
    granted = figures[YmobileSlot.CARRIED_OVER] + figures[YmobileSlot.BASE] + sum(grants)
    used = figures[YmobileSlot.USED]
    if used > granted:
        # Never a negative or a made-up 0: the figures do not mean what this module thinks.
        raise CarrierParseError("The Y!mobile figures do not add up")
    bucket = DataBucket(
        kind=BucketKind.MONTHLY, remaining=_bytes(granted - used), total=_bytes(granted)
    )
    return ParsedUsage(buckets=(bucket,), used=_bytes(used))


def _ymobile_figures(
    tables: list[YmobileTable],
) -> tuple[dict[YmobileSlot, Decimal], list[Decimal]]:
    """Each slot's figure, and the paid and other grants (which add up)."""
    if len(tables) < YMOBILE_TABLES:
        raise CarrierParseError("The Y!mobile usage section has fewer tables than expected")
    figures: dict[YmobileSlot, Decimal] = {}
    grants: list[Decimal] = []
    for index, table in enumerate(tables):
        slot = _slot_of(table, index, len(tables))
        figure = _table_figure(table, slot)
        if slot is YmobileSlot.OTHER:
            grants.extend([figure] if figure is not None else [])
        elif figure is None:
            raise CarrierParseError(f"The Y!mobile {slot} table holds no figure")
        elif slot is YmobileSlot.PAID:
            grants.append(figure)
        elif slot in figures:
            raise CarrierParseError(f"The Y!mobile usage section has two {slot} tables")
        else:
            figures[slot] = figure
    return figures, grants


def next_reset(today: date, reset_day: int) -> date:
    """Return the first day after ``today`` on which the allowance arrives (1st, 11th, 21st)."""
    if reset_day not in RESET_DAYS:
        raise ValueError("reset_day must be 1, 11 or 21")
    if today.day < reset_day:
        return today.replace(day=reset_day)
    year, month = add_months(today.year, today.month, 1)
    return date(year, month, reset_day)


# --- The adapters ----------------------------------------------------------------------------


class _MySoftBankAdapter(CarrierAdapter):
    """Shared flow of the SoftBank ID brands: ticket, login, hidden-field hop, usage page."""

    portal: ClassVar[Portal]
    experimental: ClassVar[bool] = False
    """True when no public client confirms the route (see the assumptions block)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        phone_number: str,
        password: str,
        reset_day: int = 1,
        base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the credentials; nothing is sent until the first fetch or login.

        ``base_url`` replaces the scheme and host of every carrier URL (tests point all of
        them at one local server); ``clock`` returns an aware "now".
        """
        super().__init__(session)
        if reset_day not in RESET_DAYS:
            raise ValueError("reset_day must be 1, 11 or 21")
        # The form wants the bare digits; users type hyphens and full-width digits.
        self._telnum = "".join(ch for ch in normalize_text(phone_number) if ch.isdigit())
        if len(self._telnum) < 4:  # noqa: PLR2004
            raise ValueError("phone_number must contain the line's digits")
        self._password = password
        self._reset_day = reset_day
        self._base_url = base_url.rstrip("/") if base_url else None
        self._clock = clock or (lambda: datetime.now(TOKYO))
        self._policy = HostPolicy.of(*(self._url(url) for url in self.portal.urls))

    @property
    @override
    def account_id(self) -> str:
        """A hash of the phone number: stable, and it reveals nothing."""
        return anonymous_id(self.carrier, self._telnum)

    @override
    async def async_login(self) -> None:
        """Log in with a fresh ticket; CarrierAuthError when the carrier rejects the password."""
        await self._login(None)

    @override
    async def async_fetch(self) -> AccountUsage:
        """Read the usage page, logging in first only when the session cookies do not work."""
        parsed = await self._usage()
        resets_on = next_reset(self._clock().astimezone(TOKYO).date(), self._reset_day)
        period_end = end_of_day(resets_on - timedelta(days=1))
        buckets = tuple(
            replace(bucket, expires=period_end if bucket.kind in EXPIRES_WITH_PERIOD else None)
            for bucket in parsed.buckets
        )
        sim = SimUsage(
            sim_id=self.account_id,
            number_suffix=self._telnum[-4:],
            buckets=buckets,
            # Neither page states the plan's size.
            allowance=None,
            used=parsed.used,
            resets_on=resets_on,
        )
        return AccountUsage(sims={sim.sim_id: sim})

    async def _usage(self) -> ParsedUsage:
        """Read the usage page; on a login page, log in once and try again, never more."""
        usage = await self._try_usage()
        if isinstance(usage, ParsedUsage):
            return usage
        _LOGGER.debug("The %s session is not logged in; logging in", self.carrier)
        await self._login(usage)
        usage = await self._try_usage()
        if isinstance(usage, ParsedUsage):
            return usage
        raise CarrierSessionExpiredError(
            f"{self.carrier} still asked for a login right after a successful one"
        )

    async def _try_usage(self) -> ParsedUsage | str | None:
        """Hop to the usage page with the current cookies and read it.

        Returns the figures, or (when the carrier asked for a login on the way) the login
        ticket that page offered, or None when it offered none.
        """
        hop = await self._send("GET", self.portal.hop_url)
        form = await self._read_form(hop, (TICKET_FIELD, *self.portal.hop_fields))
        if form.has(self.portal.hop_fields):
            usage = await self._send(
                "POST",
                self.portal.usage_url,
                data={name: form.fields[name] for name in self.portal.hop_fields},
            )
            return await asyncio.to_thread(self._read_usage, usage)
        if form.login_form:
            return form.fields.get(TICKET_FIELD)
        raise await _unexpected_page(hop, form, "usage link")

    def _read_usage(self, reply: HttpReply) -> ParsedUsage | str | None:
        """Runs off the event loop: the figures, or the ticket of a login page met instead."""
        form = read_form(reply.text, (TICKET_FIELD,))
        if form.login_form:
            return form.fields.get(TICKET_FIELD)
        try:
            with reading(reply.text):
                return self._parse(_whole_page(reply.text))
        except CarrierParseError as err:
            problem = _page_problem(form, reply.status)
            if problem is not None:
                raise problem from err
            raise

    @abstractmethod
    def _parse(self, html: str) -> ParsedUsage:
        """Read the brand's usage page."""

    async def _login(self, ticket: str | None) -> None:
        if not ticket:
            entry = await self._send("GET", self.portal.entry_url)
            form = await self._read_form(entry, (TICKET_FIELD, *self.portal.hop_fields))
            ticket = form.fields.get(TICKET_FIELD)
            if not ticket:
                if form.has(self.portal.hop_fields):
                    return  # The session is logged in already: SoftBank's entry is the hop.
                raise await _unexpected_page(entry, form, "login")
        answer = await self._send(
            "POST",
            self.portal.login_url,
            data={"telnum": self._telnum, "password": self._password, TICKET_FIELD: ticket},
        )
        form = await self._read_form(answer, ())
        if form.rejected or form.login_form:
            raise CarrierAuthError(f"{self.carrier} rejected the phone number or password")
        if answer.status >= HTTPStatus.BAD_REQUEST:
            raise await _unexpected_page(answer, form, "login")

    @staticmethod
    async def _read_form(reply: HttpReply, wanted: Collection[str]) -> FormPage:
        return await asyncio.to_thread(read_form, reply.text, wanted)

    async def _send(
        self, method: str, url: str, *, data: dict[str, str] | None = None
    ) -> HttpReply:
        return await request(
            self._session,
            method,
            self._url(url),
            policy=self._policy,
            headers={"User-Agent": MOBILE_BROWSER_USER_AGENT},
            data=data,
            max_bytes=PAGE_MAX_BYTES,
        )

    def _url(self, url: str) -> str:
        """Point a carrier URL at ``base_url`` (keeping its path) when one was given."""
        if self._base_url is None:
            return url
        base = urlsplit(self._base_url)
        original = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, base.path + original.path, original.query, ""))


class SoftBankAdapter(_MySoftBankAdapter):
    """One SoftBank line, read from My SoftBank."""

    carrier = Carrier.SOFTBANK
    portal = SOFTBANK_PORTAL

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_softbank_usage(html)


class YmobileAdapter(_MySoftBankAdapter):
    """One Y!mobile line, read from My Y!mobile (needs a smartphone User-Agent)."""

    carrier = Carrier.YMOBILE
    portal = YMOBILE_PORTAL

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_ymobile_usage(html)


class LinemoAdapter(_MySoftBankAdapter):
    """One LINEMO line, tried on SoftBank's route. Experimental: no public client confirms it."""

    carrier = Carrier.LINEMO
    portal = LINEMO_PORTAL
    experimental = True

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_softbank_usage(html)


def _whole_page(html: str) -> str:
    """Return the page, or raise CarrierParseError when it was cut short (see PAGE_END)."""
    if _PAGE_END.search(html) is None:
        raise CarrierParseError("The carrier's usage page was cut short")
    return html


def _page_problem(form: FormPage, status: int) -> CarrierError | None:
    """Why a page lacks what we came for, when it says so: maintenance or an HTTP error."""
    if form.maintenance:
        return CarrierMaintenanceError("The carrier's member site shows a maintenance or busy page")
    if status >= HTTPStatus.BAD_REQUEST:
        return CarrierConnectionError(f"The carrier's member site answered HTTP {status}")
    return None


async def _unexpected_page(reply: HttpReply, form: FormPage, what: str) -> CarrierError:
    """The error for a page that is not the one expected, with its outline for diagnostics."""
    if (problem := _page_problem(form, reply.status)) is not None:
        return problem
    return CarrierParseError(
        f"The carrier's {what} page does not have the expected form",
        skeleton=await asyncio.to_thread(describe, reply.text),
    )
