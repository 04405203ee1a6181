"""SoftBank, Y!mobile and LINEMO, read by scraping the My SoftBank / My Y!mobile member pages.

Flow (../shared/carriers.md, SoftBank section; the open-source miya/mysb-reminder scraper and
others walk the same path): a web-link page hands out a one-time login `ticket`; the SoftBank ID
login form takes the phone number, the password and that ticket; the same web-link page, now
logged in, hands out two hidden fields (`mfiv` plus `mfsb` or `mfym`) that open the data-usage
page on a second host. The session lives in cookies, so the caller gives each account its own
cookie jar. There is no API: every figure comes out of HTML, and anything this module assumes
about that HTML is listed in the block below.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
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
from .http import MOBILE_BROWSER_USER_AGENT, HttpReply, request
from .models import AccountUsage, BucketKind, Carrier, DataBucket, SimUsage
from .units import normalize_text, to_bytes

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


# --- What this module assumes about SoftBank, Y!mobile and LINEMO, in one place ---------------
# Documented (../shared/carriers.md, after miya/mysb-reminder): the URLs, the form field names
# (telnum, password, ticket; mfiv + mfsb / mfym), the SoftBank JS keys and the Y!mobile captions.
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
    # Assumed: Y!mobile's MRERE0000 lives under the same /muc/d/webLink/doSend/ path as MWBWL0130.
    hop_url="https://my.ymobile.jp/muc/d/webLink/doSend/MRERE0000",
    usage_url="https://re61.my.ymobile.jp/resfe/top/",
    hop_fields=("mfiv", "mfym"),
)
# Assumed (unconfirmed): LINEMO accounts log in through the same SoftBank ID stack and read the
# same My SoftBank usage page, so LINEMO uses SoftBank's portal and parser unchanged.
LINEMO_PORTAL: Final = SOFTBANK_PORTAL

TICKET_FIELD: Final = "ticket"
# Documented: SoftBank sends GB as strings, "" meaning 0. Assumed: Y!mobile's tables are GB too
# (an explicit MB/KB unit next to a figure is honoured), and both count 1 GB as 1024 MB.
USAGE_UNIT: Final = "GB"
# Documented: the SoftBank figures follow this marker in the page's chart settings.
SOFTBANK_CHART_MARKER: Final = 'chartType": "pie",'
SOFTBANK_KEY_USED: Final = "usedGigaData"
SOFTBANK_KEY_REMAIN: Final = "remainData"
SOFTBANK_KEY_CARRIED_OVER: Final = "stepRemainData"
SOFTBANK_KEY_ADDITIONAL: Final = "currentAdditionalData"
SOFTBANK_KEY_ADDITIONAL_USED: Final = "currentAdditionalUsedData"
SOFTBANK_KEY_GIVEN: Final = "currentGivenData"
SOFTBANK_KEY_GIVEN_USED: Final = "currentGivenUsedData"
# Documented: Y!mobile's four tables are captioned 繰越, 基本, 有料 and 使用済み. Assumed: each
# table names itself in its <caption> (or, failing that, in its first cell), holds one figure
# for its slice, and 繰越/基本/有料 give what is LEFT of that slice (使用済み: used this period).
# The okurigana spelling 繰り越し is accepted as well.
YMOBILE_LABELS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("used", ("使用済み", "使用済")),
    ("carried_over", ("繰越", "繰り越")),
    ("monthly", ("基本",)),
    ("topping", ("有料",)),
)
# Assumed: a login page (the first visit, a rejected password, an expired session) is one that
# carries the hidden `ticket` field or a password input.
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
# Documented: the billing period closes on the 10th, the 20th or the month's end, so the
# allowance arrives on the 11th, the 21st or the 1st (a user setting: the page does not say).
# Assumed: the base slice is usable through the day before the next reset; carried-over and
# paid data are taken to expire with the same period (both are "this period's" data on the
# page). Gift data's expiry is not on the page, so it stays None (unknown).
RESET_DAYS: Final = (1, 11, 21)
EXPIRES_WITH_PERIOD: Final = frozenset(
    {BucketKind.MONTHLY, BucketKind.CARRIED_OVER, BucketKind.TOPPING}
)
# ----------------------------------------------------------------------------------------------

_FIGURE_WITH_UNIT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(GB|MB|KB)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedUsage:
    """What a usage page says: its data slices (without expiry) and the data used this period."""

    buckets: tuple[DataBucket, ...]
    used: int | None


# --- Pure parsing ----------------------------------------------------------------------------


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


def find_hidden_inputs(html: str) -> dict[str, str]:
    """Return the page's hidden form fields by name (the first one wins when a name repeats)."""
    fields: dict[str, str] = {}
    for kind, name, value in _scan_inputs(html):
        if kind == "hidden" and name:
            fields.setdefault(name, value)
    return fields


def is_login_page(html: str) -> bool:
    """Tell whether the page is SoftBank ID's login form (see the assumptions block)."""
    return any(
        (kind == "hidden" and name == TICKET_FIELD) or kind == "password"
        for kind, name, _ in _scan_inputs(html)
    )


def _says_any(html: str, markers: tuple[str, ...]) -> bool:
    text = normalize_text(html).lower()
    return any(normalize_text(marker).lower() in text for marker in markers)


def parse_softbank_usage(html: str) -> ParsedUsage:
    """Read the figures My SoftBank embeds in its pie chart's settings (GB strings, "" = 0).

    Keys are found by name, not by position; a key the page lacks leaves its slice out.
    """
    start = html.find(SOFTBANK_CHART_MARKER)
    # Tolerate a reworded marker: the key names are distinctive enough on their own.
    script = html[start:] if start >= 0 else html
    values = {
        key: _softbank_value(script, key)
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
    if all(value is None for value in values.values()):
        raise CarrierParseError("The SoftBank usage page holds none of the expected figures")

    buckets: list[DataBucket] = []
    if (remain := values[SOFTBANK_KEY_REMAIN]) is not None:
        buckets.append(DataBucket(kind=BucketKind.MONTHLY, remaining=remain))
    if (carried := values[SOFTBANK_KEY_CARRIED_OVER]) is not None:
        buckets.append(DataBucket(kind=BucketKind.CARRIED_OVER, remaining=carried))
    for kind, total_key, used_key in (
        (BucketKind.TOPPING, SOFTBANK_KEY_ADDITIONAL, SOFTBANK_KEY_ADDITIONAL_USED),
        (BucketKind.GIFT, SOFTBANK_KEY_GIVEN, SOFTBANK_KEY_GIVEN_USED),
    ):
        if (bucket := _granted_bucket(kind, values[total_key], values[used_key])) is not None:
            buckets.append(bucket)
    return ParsedUsage(buckets=tuple(buckets), used=values[SOFTBANK_KEY_USED])


def _softbank_value(script: str, key: str) -> int | None:
    """Bytes for ``"key": "1.23"``; None when the key is absent. "" means 0 (documented)."""
    match = re.search(rf"""["']?\b{key}\b["']?\s*:\s*(?:"([^"]*)"|'([^']*)'|(\d[\d.]*))""", script)
    if match is None:
        return None
    raw = next(group for group in match.groups() if group is not None)
    return to_bytes(raw, USAGE_UNIT) or 0


def _granted_bucket(kind: BucketKind, total: int | None, used: int | None) -> DataBucket | None:
    """Build a slice given as "granted" and "used of it": what is left is the difference."""
    if total is None and used is None:
        return None
    remaining = None if total is None or used is None else max(total - used, 0)
    return DataBucket(kind=kind, remaining=remaining, total=total)


@dataclass(slots=True)
class _Table:
    """A table being read: its caption, its finished cells and the cell being filled."""

    caption: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    cell: list[str] | None = None
    in_caption: bool = False

    def close_cell(self) -> None:
        if self.cell is not None:
            self.cells.append(" ".join("".join(self.cell).split()))
        self.cell = None


class _TableScanner(HTMLParser):
    """Collects each <table>'s caption and cell texts; a nested table's text stays its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[str]]] = []
        self._open: list[_Table] = []

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._open.append(_Table())
        elif not self._open:
            return
        elif tag == "caption":
            self._open[-1].in_caption = True
        elif tag in {"td", "th"}:
            self._open[-1].close_cell()
            self._open[-1].cell = []

    @override
    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            return
        table = self._open[-1]
        if tag == "table":
            table.close_cell()
            self._open.pop()
            self.tables.append(("".join(table.caption), table.cells))
        elif tag == "caption":
            table.in_caption = False
        elif tag in {"td", "th"}:
            table.close_cell()

    @override
    def handle_data(self, data: str) -> None:
        if not self._open:
            return
        table = self._open[-1]
        if table.in_caption:
            table.caption.append(data)
        elif table.cell is not None:
            table.cell.append(data)


def parse_ymobile_usage(html: str) -> ParsedUsage:
    """Read My Y!mobile's four tables (繰越, 基本, 有料, 使用済み), found by their labels."""
    scanner = _TableScanner()
    scanner.feed(html)
    scanner.close()

    figures: dict[str, int] = {}
    for caption, cells in scanner.tables:
        caption_text = normalize_text(caption).strip()
        # Without a caption, the first cell is the label and the rest hold the figure.
        label, body = (caption_text, cells) if caption_text else (_head(cells), cells[1:])
        slot = _ymobile_slot(label)
        if slot is None or slot in figures:
            continue
        if (figure := _figure_in(body)) is not None:
            figures[slot] = figure
    if not figures:
        raise CarrierParseError("The Y!mobile usage page holds none of the expected tables")

    buckets = [
        DataBucket(kind=kind, remaining=figures[slot])
        for slot, kind in (
            ("monthly", BucketKind.MONTHLY),
            ("carried_over", BucketKind.CARRIED_OVER),
            ("topping", BucketKind.TOPPING),
        )
        if slot in figures
    ]
    return ParsedUsage(buckets=tuple(buckets), used=figures.get("used"))


def _ymobile_slot(label: str) -> str | None:
    for slot, words in YMOBILE_LABELS:
        if any(word in label for word in words):
            return slot
    return None


def _head(cells: list[str]) -> str:
    return normalize_text(cells[0]) if cells else ""


def _figure_in(cells: list[str]) -> int | None:
    """Find the first amount with its unit ("1.5GB", "１．５ＧＢ", "512 MB"), or None.

    A bare number is not taken: in a label it may be a date or a plan's name.
    """
    match = _FIGURE_WITH_UNIT.search(normalize_text(" ".join(cells)))
    return None if match is None else to_bytes(match[1], match[2])


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
        parsed = self._parse_usage(await self._usage_page())
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
            # Neither page states the plan's size: the base slice shows only what is left.
            allowance=None,
            used=parsed.used,
            resets_on=resets_on,
        )
        return AccountUsage(sims={sim.sim_id: sim})

    async def _usage_page(self) -> HttpReply:
        """Reach the usage page; on a login page, log in once and try again, never more."""
        usage, ticket = await self._try_usage_page()
        if usage is not None:
            return usage
        _LOGGER.debug("The %s session is not logged in; logging in", self.carrier)
        await self._login(ticket)
        usage, _ = await self._try_usage_page()
        if usage is not None:
            return usage
        raise CarrierSessionExpiredError(
            f"{self.carrier} still asked for a login right after a successful one"
        )

    async def _try_usage_page(self) -> tuple[HttpReply | None, str | None]:
        """Hop to the usage page with the current cookies.

        Returns the usage page, or None and the login ticket (when the login page offered
        one) if the carrier asked for a login on the way.
        """
        hop = await self._send("GET", self.portal.hop_url)
        fields = find_hidden_inputs(hop.text)
        if all(fields.get(name) for name in self.portal.hop_fields):
            usage = await self._send(
                "POST",
                self.portal.usage_url,
                data={name: fields[name] for name in self.portal.hop_fields},
            )
            if not is_login_page(usage.text):
                return usage, None
            return None, find_hidden_inputs(usage.text).get(TICKET_FIELD)
        if is_login_page(hop.text):
            return None, fields.get(TICKET_FIELD)
        raise _unexpected_page(hop, "usage link")

    @abstractmethod
    def _parse(self, html: str) -> ParsedUsage:
        """Read the brand's usage page."""

    def _parse_usage(self, usage: HttpReply) -> ParsedUsage:
        try:
            return self._parse(_whole_page(usage.text))
        except CarrierParseError as err:
            problem = _page_problem(usage)
            if problem is not None:
                raise problem from err
            raise

    async def _login(self, ticket: str | None) -> None:
        if not ticket:
            entry = await self._send("GET", self.portal.entry_url)
            fields = find_hidden_inputs(entry.text)
            ticket = fields.get(TICKET_FIELD)
            if not ticket:
                if all(fields.get(name) for name in self.portal.hop_fields):
                    return  # The session is logged in already: SoftBank's entry is the hop.
                raise _unexpected_page(entry, "login")
        answer = await self._send(
            "POST",
            self.portal.login_url,
            data={"telnum": self._telnum, "password": self._password, TICKET_FIELD: ticket},
        )
        if _says_any(answer.text, AUTH_ERROR_MARKERS) or is_login_page(answer.text):
            raise CarrierAuthError(f"{self.carrier} rejected the phone number or password")
        if answer.status >= HTTPStatus.BAD_REQUEST:
            raise _unexpected_page(answer, "login")

    async def _send(
        self, method: str, url: str, *, data: dict[str, str] | None = None
    ) -> HttpReply:
        return await request(
            self._session,
            method,
            self._url(url),
            headers={"User-Agent": MOBILE_BROWSER_USER_AGENT},
            data=data,
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
    """One LINEMO line, read like SoftBank (unconfirmed: LINEMO shares the SoftBank ID stack)."""

    carrier = Carrier.LINEMO
    portal = LINEMO_PORTAL

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_softbank_usage(html)


def _whole_page(html: str) -> str:
    """Return the page, or raise CarrierParseError when it was cut short (see PAGE_END)."""
    if PAGE_END not in html.lower():
        raise CarrierParseError("The carrier's usage page was cut short")
    return html


def _page_problem(reply: HttpReply) -> CarrierError | None:
    """Why a page lacks what we came for, when it says so: maintenance or an HTTP error."""
    if _says_any(reply.text, MAINTENANCE_MARKERS):
        return CarrierMaintenanceError("The carrier's member site shows a maintenance or busy page")
    if reply.status >= HTTPStatus.BAD_REQUEST:
        return CarrierConnectionError(f"The carrier's member site answered HTTP {reply.status}")
    return None


def _unexpected_page(reply: HttpReply, what: str) -> CarrierError:
    return _page_problem(reply) or CarrierParseError(
        f"The carrier's {what} page does not have the expected form"
    )
