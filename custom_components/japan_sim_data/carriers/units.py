"""Conversions from the units carriers send to bytes, and normalisation of Japanese text.

Japanese carriers count "1 GB" as 1024 MB and "1 MB" as 1024 KB (povo documents this with
125829120 KB = 120.00 GB). Each adapter states which unit its carrier sends and calls the
matching function here, once, at the edge.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Final

from .errors import CarrierParseError

KIB: Final = 1024
MIB: Final = 1024**2
GIB: Final = 1024**3

_UNIT_FACTORS: Final = {
    "B": 1,
    "KB": KIB,
    "KIB": KIB,
    "KILOBYTES": KIB,
    "MB": MIB,
    "MIB": MIB,
    "MEGABYTES": MIB,
    "GB": GIB,
    "GIB": GIB,
    "GIGABYTES": GIB,
    "TB": 1024 * GIB,
}

_SEPARATORS = re.compile(r"[,\s]")

# No SIM holds a pebibyte: anything larger is a misread, not a figure.
MAX_PLAUSIBLE_BYTES: Final = 1024**5


def normalize_text(text: str) -> str:
    """Fold full-width digits, letters and punctuation (ＧＢ, ２．５, ：) to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def to_number(value: object) -> float | None:
    """Read a carrier's number: int, float, or a string such as "4.56", "1,024" or "".

    Returns None for an empty value. Raises CarrierParseError for anything that is not a
    finite, non-negative number, so that garbage never becomes a figure.
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise CarrierParseError("A boolean was sent where a number was expected")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError as err:
            raise CarrierParseError("A number was too large") from err
    elif isinstance(value, str):
        cleaned = _SEPARATORS.sub("", normalize_text(value))
        if not cleaned:
            return None
        try:
            number = float(cleaned)
        except ValueError:
            # "from None": float()'s error quotes the carrier's text, which may be personal.
            raise CarrierParseError("A number could not be read") from None
    else:
        raise CarrierParseError(f"A {type(value).__name__} was sent where a number was expected")
    if not math.isfinite(number) or number < 0:
        raise CarrierParseError("A number was negative or not finite")
    return number


def to_bytes(value: object, unit: str) -> int | None:
    """Convert an amount in a carrier's unit ("GB", "MB", "kilobytes", ...) to bytes.

    None stays None: a figure the carrier did not send is unknown, never 0.
    """
    number = to_number(value)
    if number is None:
        return None
    factor = _UNIT_FACTORS.get(normalize_text(unit).strip().upper())
    if factor is None:
        raise CarrierParseError(f"Unknown data unit {unit!r}")
    amount = number * factor
    if not amount <= MAX_PLAUSIBLE_BYTES:
        raise CarrierParseError("An amount of data was implausibly large")
    return round(amount)
