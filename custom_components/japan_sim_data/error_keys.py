"""Translation keys for the carrier library's errors, shared by the flows and the coordinator."""

from __future__ import annotations

import re
from typing import Final

from .carriers.errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
    PovoCodeRejectedError,
    PovoMoreAuthNeededError,
)

# Most specific first: a maintenance page is also a connection error, a wrong code an auth error.
_KEYS: Final[tuple[tuple[type[CarrierError], str], ...]] = (
    (PovoCodeRejectedError, "invalid_code"),
    (PovoMoreAuthNeededError, "more_auth_needed"),
    (CarrierAuthError, "invalid_auth"),
    (CarrierRateLimitError, "rate_limited"),
    (CarrierMaintenanceError, "maintenance"),
    (CarrierConnectionError, "cannot_connect"),
    (CarrierAppVersionError, "app_version"),
    (CarrierParseError, "unexpected_answer"),
)


def error_key(err: CarrierError, default: str) -> str:
    """Name a library error for translated messages; ``default`` for any other kind."""
    return next((key for kind, key in _KEYS if isinstance(err, kind)), default)


MAX_ERROR_TEXT: Final = 160
"""Error texts shown to the user are cut here: a carrier's answer never reaches them whole."""

# A word of an error text is shown only when it reads like the library's own English: carrier
# text (Japanese sentences, links, addresses, numbers long enough to be a phone number or an
# ICCID) is replaced, as error codes are quoted (carriers.errors.quoted_code).
_PLAIN_WORD: Final = re.compile(r"[A-Za-z0-9_.,:;'\"()!?/%+#=-]{1,40}")
_LINK_LIKE: Final = re.compile(
    r"://|@|www\.|[A-Za-z0-9-]\.[A-Za-z]{2,}(?:\W|$)|\d{7}|[A-Za-z0-9+/=_-]{25}"
)
_HIDDEN: Final = "[…]"


def short_error_text(err: BaseException) -> str:
    """The error's text on one line, cut short, with any carrier text replaced.

    Messages reach the Refresh error, the entry's reason and the log: a hostile answer echoed
    into one must not put a phishing line or someone's number there.
    """
    words: list[str] = []
    for word in str(err).split():
        shown = word if _PLAIN_WORD.fullmatch(word) and not _LINK_LIKE.search(word) else _HIDDEN
        if not (shown == _HIDDEN and words and words[-1] == _HIDDEN):
            words.append(shown)
    text = " ".join(words)
    return text if len(text) <= MAX_ERROR_TEXT else f"{text[: MAX_ERROR_TEXT - 1]}…"
