"""Forms of the plan tracker, shared by the config flow and the options flow.

The plan (carrier, allowance, monthly or fixed validity) goes in the entry's data; where usage
and notices come from goes in its options, so they can be changed later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final

import probatio as vol
from homeassistant.const import CONF_NAME, Platform
from homeassistant.helpers.selector import (
    DateSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from .carriers.notices import InvalidNoticePattern, compile_user_pattern
from .carriers.plan import within_calendar
from .const import (
    CONF_ALLOWANCE,
    CONF_END_DATE,
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_NOTICE_TEXT_FIELD,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    CONF_VALIDITY_DAYS,
    DEFAULT_NOTICE_TEXT_FIELD,
    EVENT_IMAP_CONTENT,
    EVENT_SMS_INCOMING,
    TRACKED_CARRIERS,
    PlanShape,
)

# Keys of each group, so a group saved in the options replaces only its own keys.
USAGE_KEYS: Final = (CONF_USAGE_SENSORS,)
NOTICE_KEYS: Final = (
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_TEXT_FIELD,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_SENDERS,
    CONF_NOTICE_PATTERNS,
)
PLAN_KEYS: Final = (
    CONF_TRACKED_CARRIER,
    CONF_ALLOWANCE,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_END_DATE,
)
MAX_VALIDITY_DAYS: Final = 3650
# Extra notice patterns an entry may have: each may take up to its time limit on every notice.
MAX_PATTERNS: Final = 10
# The example under the patterns field is a placeholder: Home Assistant refuses translations
# holding anything shaped like an HTML tag, which a named group's "<amount>" is.
PATTERN_PLACEHOLDERS: Final[Mapping[str, str]] = {
    "pattern_example": r"残り(?P<amount>[\d.]+)(?P<unit>GB|MB)"
}

# ASSUMPTIONS: the senders each carrier's data notices come from, offered as the default sender
# filter. Only senders a public source names are listed; no carrier publishes such a list.
# - docomo: DoCoMo@docomo-bill.ne.jp sends the data-volume step notices ("データ利用量が上限に
#   達した為…"), per https://www.koregasiritai.com/docomo-bill-ne-jp-mail/ (a third-party page,
#   unconfirmed by docomo). Not docomo.ne.jp: every docomo customer's own mail is sent from it.
# - Every other carrier (ahamo, au, UQ mobile, povo, Rakuten Mobile, SoftBank, Y!mobile,
#   LINEMO, IIJmio, mineo, travel eSIMs): no public source names the sender of their data
#   notices, so the filter starts empty and the form says what that means.
OFFICIAL_SENDERS: Final[Mapping[str, tuple[str, ...]]] = {
    "docomo": ("docomo-bill.ne.jp",),
}


def official_senders(tracked_carrier: str | None) -> list[str]:
    """The default sender filter of a tracked carrier (empty when none is known)."""
    return list(OFFICIAL_SENDERS.get(tracked_carrier or "", ()))


_GB = NumberSelector(
    NumberSelectorConfig(
        min=0, max=10000, step="any", mode=NumberSelectorMode.BOX, unit_of_measurement="GB"
    )
)


def plan_schema(*, with_name: bool) -> vol.Schema:
    """The first form: the carrier, the allowance and the plan's shape (and a name)."""
    fields: dict[Any, Any] = {}
    if with_name:
        fields[vol.Required(CONF_NAME)] = TextSelector()
    fields |= {
        vol.Required(CONF_TRACKED_CARRIER): SelectSelector(
            SelectSelectorConfig(
                options=list(TRACKED_CARRIERS),
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_TRACKED_CARRIER,
            )
        ),
        vol.Optional(CONF_ALLOWANCE): _GB,
        vol.Required(CONF_PLAN_SHAPE, default=PlanShape.MONTHLY.value): SelectSelector(
            SelectSelectorConfig(
                options=[shape.value for shape in PlanShape],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_PLAN_SHAPE,
            )
        ),
    }
    return vol.Schema(fields)


MONTHLY_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_RESET_DAY, default=1): NumberSelector(
            NumberSelectorConfig(min=1, max=31, step=1, mode=NumberSelectorMode.BOX)
        )
    }
)

VALIDITY_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_START_DATE): DateSelector(),
        vol.Optional(CONF_VALIDITY_DAYS): NumberSelector(
            NumberSelectorConfig(min=1, max=MAX_VALIDITY_DAYS, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Optional(CONF_END_DATE): DateSelector(),
    }
)

USAGE_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_USAGE_SENSORS): EntitySelector(
            EntitySelectorConfig(domain=Platform.SENSOR, device_class="data_size", multiple=True)
        )
    }
)

NOTICES_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_NOTICE_EVENTS): SelectSelector(
            SelectSelectorConfig(
                options=[EVENT_IMAP_CONTENT, EVENT_SMS_INCOMING],
                multiple=True,
                custom_value=True,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
        vol.Optional(CONF_NOTICE_TEXT_FIELD, default=DEFAULT_NOTICE_TEXT_FIELD): TextSelector(),
        vol.Optional(CONF_NOTICE_ENTITIES): EntitySelector(EntitySelectorConfig(multiple=True)),
        vol.Optional(CONF_NOTICE_ATTRIBUTE): TextSelector(),
        vol.Optional(CONF_NOTICE_SENDERS): TextSelector(TextSelectorConfig(multiple=True)),
        vol.Optional(CONF_NOTICE_PATTERNS): TextSelector(TextSelectorConfig(multiple=True)),
    }
)

SOURCES_SCHEMA: Final = USAGE_SCHEMA.extend(NOTICES_SCHEMA.schema)


def notice_defaults(data: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The notices form's values: the entry's options, the carrier's senders when none was set.

    A sender filter the user emptied is kept empty; one never set offers the carrier's own.
    """
    values = dict(options)
    if CONF_NOTICE_SENDERS not in values:
        values[CONF_NOTICE_SENDERS] = official_senders(data.get(CONF_TRACKED_CARRIER))
    return values


def default_title(data: Mapping[str, Any]) -> str:
    """Title a tracked SIM the user did not name after its carrier."""
    return TRACKED_CARRIERS.get(data[CONF_TRACKED_CARRIER]) or "Other SIM"


def plan_start(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the first form's answers (without the name), the allowance only when given."""
    data = {
        CONF_TRACKED_CARRIER: user_input[CONF_TRACKED_CARRIER],
        CONF_PLAN_SHAPE: user_input[CONF_PLAN_SHAPE],
    }
    if user_input.get(CONF_ALLOWANCE) is not None:
        data[CONF_ALLOWANCE] = float(user_input[CONF_ALLOWANCE])
    return data


def monthly_plan(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The monthly plan's entry data."""
    return {CONF_RESET_DAY: int(user_input[CONF_RESET_DAY])}


def validity_plan(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The validity plan's entry data (start and end dates), or the form's errors.

    The user gives either the number of days (the start day counts as the first) or the end
    date, not both.
    """
    start = date.fromisoformat(user_input[CONF_START_DATE])
    if not within_calendar(start):
        return {}, {CONF_START_DATE: "date_out_of_range"}
    days = user_input.get(CONF_VALIDITY_DAYS)
    end_text: str | None = user_input.get(CONF_END_DATE)
    if end_text is not None and days is None:
        end = date.fromisoformat(end_text)
    elif end_text is None and days is not None:
        # The start is at most LATEST_DAY and days at most MAX_VALIDITY_DAYS: no overflow.
        end = start + timedelta(days=int(days) - 1)
    else:
        return {}, {"base": "days_or_end_date"}
    if end < start:
        return {}, {CONF_END_DATE: "end_before_start"}
    if not within_calendar(end):
        return {}, {CONF_END_DATE: "date_out_of_range"}
    return {CONF_START_DATE: start.isoformat(), CONF_END_DATE: end.isoformat()}, {}


def clean_sources(user_input: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Tidy the sources' answers and check the user's patterns; the form's errors, if any.

    Each pattern must compile, name the ``amount`` and ``unit`` groups and pass the speed
    trial. A sender filter the form did not send is left out, so it falls back to the
    carrier's own senders; one sent empty stays empty: the user chose to read every sender.
    """
    cleaned = dict(user_input)
    for key in (CONF_NOTICE_SENDERS, CONF_NOTICE_PATTERNS):
        if key in cleaned:
            cleaned[key] = [item.strip() for item in cleaned[key] if item.strip()]
    for key in (CONF_NOTICE_ATTRIBUTE, CONF_NOTICE_TEXT_FIELD):
        if key in cleaned:
            cleaned[key] = cleaned[key].strip()
    patterns = cleaned.get(CONF_NOTICE_PATTERNS, [])
    if len(patterns) > MAX_PATTERNS:
        # Each may take up to its time limit on every notice.
        return cleaned, {CONF_NOTICE_PATTERNS: "pattern_too_many"}
    for pattern in patterns:
        try:
            compile_user_pattern(pattern)
        except InvalidNoticePattern as err:
            return cleaned, {CONF_NOTICE_PATTERNS: f"pattern_{err.reason}"}
    return cleaned, {}
