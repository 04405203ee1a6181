"""My Y!mobile's usage page: the tables of its data-usage section, as the public scrapers read them.

The references ([NYB], [NDB], [KYM], [KYK]) are described in softbank.py's assumptions block.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from typing import Final, override

from .errors import CarrierParseError
from .models import BucketKind, DataBucket
from .softbank_pages import ParsedUsage
from .units import normalize_text, to_bytes

# --- What this module assumes about My Y!mobile's usage page ---------------------------------
# The four tables inside the first `.list-toggle-content.js-toggle-content.m-top-20`
# ([NYB], [KYM], [KYK]; [NDB] 77b44da takes the first `.list-toggle-content`). GB, "X.XXGB" in
# the first cell ([NYB], [KYM]); [NDB] 77b44da reads "A／B" and takes A. By position
# ([NYB], [KYM], [KYK], [NDB] 5d63053): 0 carried over, 1 base (its 2nd row), 2 paid, 3 used;
# by label ([NDB] 77b44da, the first th): くりこし分, 基本データ量 残り, 使用量 合計, any other
# table counted as granted data. [NDB] e63d3b0 shows a 5th table, an extra grant at position 2
# (its `mileage`), so labels win over positions and positions are used only on a page of
# exactly four tables. The old captions 繰越 / 使用済み (no reference) are accepted as labels too.
# Assumed: 1 GB = 1024 MB; a bare number is GB (the references strip "GB" and read the rest).
# Amounts go through units.to_bytes, the library's one number grammar.
#
# Totals: remaining = carried over + base + paid (+ other grants) − used ([NYB] main.py, [KYM],
# [NDB]; [KYK] leaves paid out). [KYM]'s live run: 0.88 + 30.0 + 0.0 − 1.51 = 29.37.
# Doubtful: [NDB] 77b44da labels the base "基本データ量 残り" ("left"); [KYM]'s 30.0 is the plan's
# size. All references subtract the used total from it, and so does this module.
#
# Buckets: every reference reports くりこし分 on its own ([NDB] shows it to users), so it is its
# own CARRIED_OVER bucket, the base MONTHLY, paid data TOPPING and other grants (NDB's mileage)
# GIFT, each with the page's figure as its total. The page gives one used total, not each
# bucket's use; assumed, after Y!mobile's published rule (no reference client shows it), that
# carried-over data is used first, then the base, then the other grants in page order. So
# each bucket's remaining is its figure less what the earlier ones could not cover, and the
# buckets add up to the references' remaining to the byte. No reference reads an expiry from
# the page (its period line is free text NDB only prints): see softbank.py for the expiry rule.
YMOBILE_CONTAINER_CLASSES: Final = frozenset(
    {"list-toggle-content", "js-toggle-content", "m-top-20"}
)
YMOBILE_CONTAINER_CLASS: Final = "list-toggle-content"
YMOBILE_TABLES: Final = 4
# ----------------------------------------------------------------------------------------------

# Linear patterns only: each is anchored on a literal or a single character class.
_FIGURE: Final = re.compile(r"\d[\d,.]*")
_UNIT_AFTER: Final = re.compile(r"\s{0,4}([KMGT]B)", re.IGNORECASE)
_VOID_TAGS: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


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


def _figure_in(text: str, *, need_unit: bool = False) -> int | None:
    """The first amount in a cell ("0.88GB", "30", "512 MB", "20.00GB／20.00GB"), in bytes.

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
    return to_bytes(match[0], unit[1] if unit else "GB")


def _table_figure(table: YmobileTable, slot: YmobileSlot) -> int | None:
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


_GRANT_KINDS: Final = {YmobileSlot.PAID: BucketKind.TOPPING, YmobileSlot.OTHER: BucketKind.GIFT}


def parse_ymobile_usage(html: str) -> ParsedUsage:
    """Read My Y!mobile's tables: remaining = carried over + base + paid (+ other) − used.

    One bucket per table, carried over first (see the assumptions block).
    """
    figures, grants = _ymobile_figures(find_ymobile_tables(html))
    required = (YmobileSlot.CARRIED_OVER, YmobileSlot.BASE, YmobileSlot.USED)
    if not grants or any(slot not in figures for slot in required):
        raise CarrierParseError("The Y!mobile usage section lacks a table it always has")
    slices = [
        (BucketKind.CARRIED_OVER, figures[YmobileSlot.CARRIED_OVER]),
        (BucketKind.MONTHLY, figures[YmobileSlot.BASE]),
        *((_GRANT_KINDS[slot], figure) for slot, figure in grants),
    ]
    used = figures[YmobileSlot.USED]
    if used > sum(figure for _, figure in slices):
        # Never a negative or a made-up 0: the figures do not mean what this module thinks.
        raise CarrierParseError("The Y!mobile figures do not add up")
    buckets: list[DataBucket] = []
    uncovered = used
    for kind, figure in slices:
        taken = min(figure, uncovered)
        uncovered -= taken
        buckets.append(DataBucket(kind=kind, remaining=figure - taken, total=figure))
    return ParsedUsage(buckets=tuple(buckets), used=used)


def _ymobile_figures(
    tables: list[YmobileTable],
) -> tuple[dict[YmobileSlot, int], list[tuple[YmobileSlot, int]]]:
    """Each slot's figure, and the paid and other grants in page order (which add up)."""
    if len(tables) < YMOBILE_TABLES:
        raise CarrierParseError("The Y!mobile usage section has fewer tables than expected")
    figures: dict[YmobileSlot, int] = {}
    grants: list[tuple[YmobileSlot, int]] = []
    for index, table in enumerate(tables):
        slot = _slot_of(table, index, len(tables))
        figure = _table_figure(table, slot)
        if slot is YmobileSlot.OTHER:
            grants.extend([(slot, figure)] if figure is not None else [])
        elif figure is None:
            raise CarrierParseError(f"The Y!mobile {slot} table holds no figure")
        elif slot is YmobileSlot.PAID:
            grants.append((slot, figure))
        elif slot in figures:
            raise CarrierParseError(f"The Y!mobile usage section has two {slot} tables")
        else:
            figures[slot] = figure
    return figures, grants
