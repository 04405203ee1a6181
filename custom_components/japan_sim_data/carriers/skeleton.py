"""The redacted shape of a carrier answer, for diagnostics when it could not be read.

One user's report of an unreadable answer should be enough to fix an adapter, but answers
hold names, numbers and tokens. A skeleton keeps what a developer needs (keys, types, lengths,
the outline of a page) and drops every value that could be personal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any, Final, override

from .errors import CarrierParseError

MAX_DEPTH: Final = 12
MAX_ITEMS: Final = 50
"""Objects and lists beyond this are summarised: a skeleton stays small whatever came in."""
MAX_TAGS: Final = 400

# Attributes that only describe a page's structure; every other attribute value is dropped.
_STRUCTURAL_ATTRIBUTES: Final = frozenset({"id", "class", "type", "name"})
# Keys and class names are kept; one that looks like data (a number, a run of digits, an address,
# a hex id, something long enough to be a token) is replaced by its length.
_MAX_NAME_LENGTH: Final = 64
_DIGIT_RUN: Final = re.compile(r"\d{4}")
_NUMBER_LIKE: Final = re.compile(r"[\d\s+()./:_-]+")
"""Numbers, phone numbers, dates: digits with their separators and nothing else."""
_HEX_RUN: Final = re.compile(r"[0-9a-fA-F]{8,}")
_MAIL_MARKS: Final = ("@", "%40", "＠")
_TOKEN_LENGTH: Final = 16
"""A name this long with letters and digits mixed and no separator reads as an id or a token."""
# A page's id and name values are normalised: a number in them (line_1, sim-2) says which line
# it is, which is data; its place in the structure is what a developer needs.
_ID_ATTRIBUTES: Final = frozenset({"id", "name"})
_DIGITS: Final = re.compile(r"\d+")


def describe(payload: Any) -> Any:
    """Return the payload's skeleton: a page's tag outline, or JSON's keys, types and lengths."""
    if isinstance(payload, str) and payload[:200].lstrip().startswith("<"):
        return {"html": outline(payload)}
    return _shape(payload, 0)


def _shape(value: Any, depth: int) -> Any:
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        shaped = {
            _key(key): _shape(item, depth + 1) for key, item in list(value.items())[:MAX_ITEMS]
        }
        if len(value) > MAX_ITEMS:
            shaped["…"] = f"{len(value) - MAX_ITEMS} more keys"
        return shaped
    if isinstance(value, list):
        items = [_shape(item, depth + 1) for item in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"… {len(value) - MAX_ITEMS} more items")
        return items
    if isinstance(value, str):
        return f"str({len(value)})"
    if value is None:
        return "null"
    return type(value).__name__


def _key(key: Any) -> str:
    """A key as it is, unless it could itself be personal (a number, an address, a token)."""
    text = str(key)
    return text if _is_structural(text) else f"<key str({len(text)})>"


def _is_structural(text: str) -> bool:
    """True for names a page or API is built from; false for what could be someone's data."""
    return (
        len(text) <= _MAX_NAME_LENGTH
        and text.isascii()
        and not any(mark in text for mark in _MAIL_MARKS)
        and _DIGIT_RUN.search(text) is None
        and not _is_identifier_shaped(text)
    )


def _is_identifier_shaped(text: str) -> bool:
    """A number, a hex id or a token, rather than a word someone chose for a field."""
    if _NUMBER_LIKE.fullmatch(text) and any(ch.isdigit() for ch in text):
        return True
    if any(any(ch.isdigit() for ch in run) for run in _HEX_RUN.findall(text)):
        return True
    return (
        len(text) >= _TOKEN_LENGTH
        and text.isalnum()
        and any(ch.isdigit() for ch in text)
        and any(ch.isalpha() for ch in text)
    )


def _attribute(name: str, value: str | None) -> str | None:
    """A structural attribute as the outline shows it; None when it is left out."""
    if name not in _STRUCTURAL_ATTRIBUTES or value is None or not _is_structural(value):
        return None
    if name in _ID_ATTRIBUTES:
        value = _DIGITS.sub("#", value)
    return f'{name}="{value}"'


class _Outline(HTMLParser):
    """Collects a page's tags with their structural attributes, and the length of its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._depth = 0

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.lines) < MAX_TAGS:
            kept = " ".join(
                shown for name, value in attrs if (shown := _attribute(name, value)) is not None
            )
            self.lines.append("  " * min(self._depth, 20) + f"<{tag}{' ' + kept if kept else ''}>")
        if tag not in _VOID_TAGS:
            self._depth += 1

    @override
    def handle_endtag(self, tag: str) -> None:
        self._depth = max(0, self._depth - 1)

    @override
    def handle_data(self, data: str) -> None:
        if (stripped := data.strip()) and len(self.lines) < MAX_TAGS:
            self.lines.append("  " * min(self._depth, 20) + f"text({len(stripped)})")


_VOID_TAGS: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def outline(html: str) -> list[str]:
    """A page's outline: tags, ids, classes, input types and names; text only as lengths."""
    parser = _Outline()
    parser.feed(html)
    parser.close()
    if len(parser.lines) >= MAX_TAGS:
        parser.lines.append("…")
    return parser.lines


@contextmanager
def reading(payload: Any) -> Iterator[None]:
    """Attach the payload's skeleton to a CarrierParseError raised while reading it."""
    try:
        yield
    except CarrierParseError as err:
        if err.skeleton is None:
            err.skeleton = describe(payload)
        raise
