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

from .errors import CarrierParseError, quoted_code

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

# The one number grammar: digits with at most one decimal point, thousands separators only in
# groups of three ("1,024.5"). "1,0" or "10,00" is a misread (a decimal comma, two figures run
# together), not a thousand: reading it as one turned a malformed "1,0 GB" into 1000 GB.
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")

# No SIM holds a pebibyte: anything larger is a misread, not a figure.
MAX_PLAUSIBLE_BYTES: Final = 1024**5


def gb_to_bytes(amount: float) -> int:
    """Convert GB as carriers count them (1 GB = 1024 MB) to bytes."""
    return round(amount * GIB)


def normalize_text(text: str) -> str:
    """Fold full-width digits, letters and punctuation (ＧＢ, ２．５, ：) to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def parse_number_text(text: str) -> float | None:
    """Read a number written by a carrier or in a notice, by the one grammar of the library.

    Full-width digits and separators are folded first; spaces around the number are ignored.
    Returns None for empty text and raises CarrierParseError for anything else the grammar
    does not accept.
    """
    # ASCII is already what NFKC folds to: most carriers' figures skip the fold.
    cleaned = (text if text.isascii() else normalize_text(text)).strip()
    if not cleaned:
        return None
    if _NUMBER.fullmatch(cleaned) is None:
        # The text stays out of the message: it may be personal.
        raise CarrierParseError("A number could not be read")
    return float(cleaned.replace(",", ""))


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
        parsed = parse_number_text(value)
        if parsed is None:
            return None
        number = parsed
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
    factor = _UNIT_FACTORS.get(unit) or _UNIT_FACTORS.get(normalize_text(unit).strip().upper())
    if factor is None:
        # The unit is carrier text: quoted like an error code, never echoed whole.
        raise CarrierParseError(f"Unknown data unit ({quoted_code(unit.strip())})")
    amount = number * factor
    if not amount <= MAX_PLAUSIBLE_BYTES:
        raise CarrierParseError("An amount of data was implausibly large")
    return round(amount)
