"""Translation keys for the carrier library's errors, shared by the flows and the coordinator."""

from __future__ import annotations

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
