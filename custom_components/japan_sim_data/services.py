"""Actions of the integration, registered once in async_setup."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any, Final

import probatio as vol
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_get_config_entry
from homeassistant.util import dt as dt_util

from .carriers.dates import TOKYO, end_of_day
from .carriers.stored import EARLIEST_DAY, LATEST_DAY, within_calendar
from .carriers.units import gb_to_bytes
from .const import DOMAIN
from .coordinator import JapanSimDataConfigEntry, PlanActions

ATTR_CONFIG_ENTRY_ID = "config_entry_id"

SERVICE_REFRESH = "refresh"

# The largest amount an action takes, in GB as carriers count them: about 10 TB, as the forms.
MAX_AMOUNT_GB: Final = 10_000
# Entry ids are 26 characters; a longer value is not one, and is never echoed whole.
MAX_ENTRY_ID_CHARS: Final = 64
_EXCERPT_CHARS: Final = 32


def _excerpt(value: Any) -> str:
    """What the user sent, short enough to show back in an error."""
    return str(value)[:_EXCERPT_CHARS]


def _translated(
    translation_key: str,
    validator: Callable[[Any], Any],
    placeholder: str,
    **placeholders: str,
) -> Callable[[Any], Any]:
    """Run a schema validator; its refusal becomes a translated ServiceValidationError.

    Home Assistant shows a schema's own errors untranslated, so each field's bounds are
    checked here, in the schema, and explained in the user's language.
    """

    def validate(value: Any) -> Any:
        try:
            return validator(value)
        except vol.Invalid as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=translation_key,
                translation_placeholders={placeholder: _excerpt(value), **placeholders},
            ) from err

    return validate


def _finite(value: float) -> float:
    """Refuse NaN and the infinities, which compare with no bound."""
    if not math.isfinite(value):
        raise vol.Invalid("Not a finite number")
    return value


def _in_calendar(day: date) -> date:
    """Refuse days outside the range plans are kept in (date arithmetic overflows near 9999)."""
    if not within_calendar(day):
        raise vol.Invalid("Outside the supported calendar")
    return day


_AMOUNT_LIMITS: Final = {"max": str(MAX_AMOUNT_GB)}
_DAY_LIMITS: Final = {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
_AMOUNT = _translated(
    "invalid_amount",
    vol.All(vol.Coerce(float), _finite, vol.Range(min=0, max=MAX_AMOUNT_GB)),
    "amount",
    **_AMOUNT_LIMITS,
)
_DAY = _translated("invalid_date", vol.All(cv.date, _in_calendar), "value", **_DAY_LIMITS)
_ENTRY_ID = _translated(
    "entry_not_found", vol.All(cv.string, vol.Length(min=1, max=MAX_ENTRY_ID_CHARS)), "entry_id"
)

_ENTRY_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): _ENTRY_ID})

# Plan tracker actions.
SERVICE_SET_REMAINING = "set_remaining"
SERVICE_ADD_DATA = "add_data"
SERVICE_START_PERIOD = "start_period"
ATTR_AMOUNT = "amount"
ATTR_EXPIRES = "expires"
ATTR_START = "start"

_SET_REMAINING_SCHEMA = _ENTRY_SCHEMA.extend({vol.Required(ATTR_AMOUNT): _AMOUNT})
_ADD_DATA_SCHEMA = _ENTRY_SCHEMA.extend(
    {vol.Required(ATTR_AMOUNT): _AMOUNT, vol.Optional(ATTR_EXPIRES): _DAY}
)
_START_PERIOD_SCHEMA = _ENTRY_SCHEMA.extend({vol.Optional(ATTR_START): _DAY})


def loaded_entry(hass: HomeAssistant, call: ServiceCall) -> JapanSimDataConfigEntry:
    """Return the loaded entry an action names, or refuse the call with a translated error.

    Home Assistant finds the entry; its refusal is said again in the integration's words
    (as before), which name what to do in every language the integration speaks.
    """
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    try:
        entry: JapanSimDataConfigEntry = async_get_config_entry(hass, DOMAIN, entry_id)
    except ServiceValidationError as err:
        if err.translation_key == "service_config_entry_not_loaded":
            title = (err.translation_placeholders or {}).get("entry_title", "")
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"entry_title": title},
            ) from None
        # Not found, or another integration's entry: either way not one of ours.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        ) from None
    return entry


async def _async_refresh(call: ServiceCall) -> None:
    """Fetch an account's figures now instead of at the next poll."""
    entry = loaded_entry(call.hass, call)
    await entry.runtime_data.coordinator.async_user_refresh()


def _tracker(call: ServiceCall) -> PlanActions:
    """Return what a plan tracker's actions correct; refuse entries of carrier accounts."""
    entry = loaded_entry(call.hass, call)
    if (actions := entry.runtime_data.coordinator.plan_actions) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_tracker",
            translation_placeholders={"entry_title": entry.title},
        )
    return actions


def _amount(call: ServiceCall, *, allow_zero: bool) -> int:
    """Read the action's amount (GB as carriers count them, bounded by the schema) as bytes."""
    amount: float = call.data[ATTR_AMOUNT]
    in_bytes = gb_to_bytes(amount)
    if in_bytes == 0 and not allow_zero:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_amount",
            translation_placeholders={"amount": _excerpt(amount), **_AMOUNT_LIMITS},
        )
    return in_bytes


async def _async_set_remaining(call: ServiceCall) -> None:
    """Correct a tracked SIM's data left, e.g. after checking the carrier's app."""
    tracker = _tracker(call)
    tracker.async_set_remaining(_amount(call, allow_zero=True))


async def _async_add_data(call: ServiceCall) -> None:
    """Add a top-up to a tracked SIM, with an optional last day."""
    tracker = _tracker(call)
    amount = _amount(call, allow_zero=False)
    expiry: date | None = call.data.get(ATTR_EXPIRES)
    if expiry is not None and expiry < dt_util.now().astimezone(TOKYO).date():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="expiry_in_past",
            translation_placeholders={"expires": expiry.isoformat()},
        )
    tracker.async_add_data(amount, None if expiry is None else end_of_day(expiry))


async def _async_start_period(call: ServiceCall) -> None:
    """Start a tracked SIM's new period (a new SIM or a renewal), today unless told."""
    tracker = _tracker(call)
    start: date = call.data.get(ATTR_START) or dt_util.now().astimezone(TOKYO).date()
    try:
        tracker.async_start_period(start)
    except ValueError as err:
        # A fixed-validity plan's length from this start would pass the calendar's end.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="period_out_of_range",
            translation_placeholders={"start": start.isoformat(), **_DAY_LIMITS},
        ) from err


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    hass.services.async_register(DOMAIN, SERVICE_REFRESH, _async_refresh, schema=_ENTRY_SCHEMA)
    for name, handler, schema in (
        (SERVICE_SET_REMAINING, _async_set_remaining, _SET_REMAINING_SCHEMA),
        (SERVICE_ADD_DATA, _async_add_data, _ADD_DATA_SCHEMA),
        (SERVICE_START_PERIOD, _async_start_period, _START_PERIOD_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, name, handler, schema=schema)
