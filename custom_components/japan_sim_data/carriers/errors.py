"""Exceptions raised by the carrier library.

Messages never contain credentials, tokens, cookies, phone numbers or ICCIDs: they may be
logged or shown to the user as they are.
"""

from __future__ import annotations

import re
from typing import Any, Final

_CODE: Final = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class CarrierError(Exception):
    """Base class of every error the carrier library raises."""


class CarrierConnectionError(CarrierError):
    """The carrier could not be reached, timed out or answered with a server error."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status of a server error, when there was an answer at all."""
        super().__init__(message)
        self.status = status


class CarrierMaintenanceError(CarrierConnectionError):
    """The carrier answered with a maintenance or error page instead of data."""

    def __init__(
        self, message: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        """Keep how long the carrier said the maintenance lasts, in seconds, when it said so."""
        super().__init__(message, status)
        self.retry_after = retry_after


class CarrierRateLimitError(CarrierError):
    """The carrier asked us to slow down (HTTP 429 or a throttling answer)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Keep how long the carrier asked us to wait, in seconds, when it said so."""
        super().__init__(message)
        self.retry_after = retry_after


class CarrierAuthError(CarrierError):
    """The carrier rejected the credentials: the user has to enter new ones."""


class CarrierSessionExpiredError(CarrierError):
    """The session or token is no longer valid; logging in again may fix it."""


class CarrierParseError(CarrierError):
    """The carrier answered, but not in a shape this library understands."""

    def __init__(self, message: str, skeleton: Any = None) -> None:
        """Keep, when known, the redacted shape of the answer that could not be read."""
        super().__init__(message)
        self.skeleton = skeleton
        """Keys, types and lengths of the answer (skeleton.describe); never its values."""


class CarrierAppVersionError(CarrierError):
    """The carrier's API refuses the app version this library presents."""


class PovoCodeRejectedError(CarrierAuthError):
    """povo refused the one-time code: it was mistyped or has expired."""


class PovoMoreAuthNeededError(CarrierAuthError):
    """povo asks for another login step (a PIN, another challenge) this integration cannot do."""


def quoted_code(code: str) -> str:
    """A carrier's error code, fit for a message: the code itself only when it looks like one.

    Carriers' error fields are echoed into messages that reach the entry and the log; a hostile
    or broken answer could put anything there (a whole page, the user's login id).
    """
    return code if _CODE.fullmatch(code) else "an unrecognised code"
