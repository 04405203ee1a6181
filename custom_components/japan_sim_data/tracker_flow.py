"""Forms of the plan tracker, shared by the config flow and the options flow.

The plan (carrier, allowance, monthly or fixed validity) goes in the entry's data; where usage
and notices come from goes in its options, so they can be changed later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final

import probatio as vol
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
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
    TextSelectorType,
    TimeSelector,
)

from .carriers.plan import PlanKind
from .carriers.stored import within_calendar
from .carriers.tracking_presets import ResetRule, official_senders, preset_for
from .carriers.user_patterns import InvalidNoticePattern, compile_user_pattern
from .const import (
    CONF_ALLOWANCE,
    CONF_END_DATE,
    CONF_INQUIRY_ACTION,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_MESSAGE_FIELD,
    CONF_INQUIRY_RECIPIENT,
    CONF_INQUIRY_RECIPIENT_FIELD,
    CONF_INQUIRY_STALE_HOURS,
    CONF_INQUIRY_TIME,
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_NOTICE_TEXT_FIELD,
    CONF_PLAN_KIND,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    CONF_USAGE_STEPS,
    CONF_VALIDITY_DAYS,
    DEFAULT_INQUIRY_MESSAGE_FIELD,
    DEFAULT_INQUIRY_RECIPIENT_FIELD,
    DEFAULT_NOTICE_TEXT_FIELD,
    DOMAIN,
    EVENT_IMAP_CONTENT,
    EVENT_SMS_INCOMING,
    TRACKED_CARRIERS,
    PlanShape,
)
from .inquiry import InquiryConfig, InvalidInquiryError
from .tracker_plan_kind import (
    PLAN_KIND_SELECTOR,
    STEPS_SELECTOR,
    steps_data,
    steps_errors,
    steps_suggestions,
)
from .tracker_sources_flow import CounterChoices, merge_usage

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
INQUIRY_KEYS: Final = (
    CONF_INQUIRY_ACTION,
    CONF_INQUIRY_RECIPIENT,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_TIME,
    CONF_INQUIRY_STALE_HOURS,
    CONF_INQUIRY_RECIPIENT_FIELD,
    CONF_INQUIRY_MESSAGE_FIELD,
)
PLAN_KEYS: Final = (
    CONF_TRACKED_CARRIER,
    CONF_ALLOWANCE,
    CONF_PLAN_KIND,
    CONF_USAGE_STEPS,
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

# The forms' numbers carry no min/max: the selector would refuse a number outside them with
# Home Assistant's English validator text; plan_errors() refuses it under the field, translated.
MAX_ALLOWANCE: Final = 10000
_GB = NumberSelector(
    NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX, unit_of_measurement="GiB")
)


_CARRIER = SelectSelector(
    SelectSelectorConfig(
        options=list(TRACKED_CARRIERS),
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_TRACKED_CARRIER,
    )
)
_SHAPE = SelectSelector(
    SelectSelectorConfig(
        options=[shape.value for shape in PlanShape],
        mode=SelectSelectorMode.LIST,
        translation_key=CONF_PLAN_SHAPE,
    )
)
# The new SIM's first form: its name and brand; the plan form then starts from the brand's
# preset (carriers/tracking_presets.py).
BRAND_SCHEMA: Final = vol.Schema(
    {vol.Required(CONF_NAME): TextSelector(), vol.Required(CONF_TRACKED_CARRIER): _CARRIER}
)
PLAN_SCHEMA: Final = vol.Schema(
    {
        # A cap, price steps or a throttle tier (tracker_plan_kind.py).
        vol.Required(CONF_PLAN_KIND, default=PlanKind.ALLOWANCE.value): PLAN_KIND_SELECTOR,
        vol.Optional(CONF_ALLOWANCE): _GB,
        vol.Optional(CONF_USAGE_STEPS): STEPS_SELECTOR,
        vol.Required(CONF_PLAN_SHAPE, default=PlanShape.MONTHLY.value): _SHAPE,
    }
)


def plan_schema(*, with_name: bool) -> vol.Schema:
    """One form with the carrier, the allowance and the plan's shape (and a name)."""
    fields: dict[Any, Any] = {}
    if with_name:
        fields[vol.Required(CONF_NAME)] = TextSelector()
    fields[vol.Required(CONF_TRACKED_CARRIER)] = _CARRIER
    return vol.Schema(fields | PLAN_SCHEMA.schema)


def plan_suggestions(brand: str | None) -> dict[str, Any]:
    """The plan form's starting values from the brand's preset: its shape and usual size."""
    preset = preset_for(brand)
    if preset is None:
        return {}
    shape = PlanShape.VALIDITY if preset.reset is ResetRule.VALIDITY else PlanShape.MONTHLY
    values: dict[str, Any] = {CONF_PLAN_SHAPE: shape.value, **steps_suggestions(brand)}
    plan = preset.suggested_plan
    if plan is not None and plan.gigabytes is not None:
        values[CONF_ALLOWANCE] = plan.gigabytes
    return values


def plan_placeholders(brand: str | None) -> dict[str, str]:
    """The plan form's description: the brand's usual plans and where that was read."""
    preset = preset_for(brand)
    if preset is None or not preset.plans:
        return {"plan_sizes": "-", "plan_source": "-"}
    sizes = ", ".join(
        f"{plan.name} ({_size_text(plan.gigabytes)})" if plan.gigabytes is not None else plan.name
        for plan in preset.plans
    )
    source = preset.plans_source
    where = f"{source.url} ({source.read.isoformat()})" if source is not None else "-"
    return {"plan_sizes": sizes, "plan_source": where}


def _size_text(gigabytes: float) -> str:
    """0.5 GB, 30 GB: a plan size as carriers write it."""
    return f"{gigabytes:g} GB"


def monthly_suggestions(brand: str | None) -> dict[str, Any]:
    """The reset day of the brand's preset, when it is the same for every contract."""
    preset = preset_for(brand)
    day = preset.reset_day if preset is not None else None
    return {CONF_RESET_DAY: day} if day is not None else {}


def validity_suggestions(brand: str | None, today: str) -> dict[str, Any]:
    """A validity plan starting today, as long as the brand's suggested plan lasts."""
    values: dict[str, Any] = {CONF_START_DATE: today}
    preset = preset_for(brand)
    plan = preset.suggested_plan if preset is not None else None
    if plan is not None and plan.days is not None:
        values[CONF_VALIDITY_DAYS] = plan.days
    return values


MONTHLY_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_RESET_DAY, default=1): NumberSelector(
            NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX)
        )
    }
)

VALIDITY_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_START_DATE): DateSelector(),
        vol.Optional(CONF_VALIDITY_DAYS): NumberSelector(
            NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Optional(CONF_END_DATE): DateSelector(),
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


def counter_choices(hass: HomeAssistant) -> CounterChoices:
    """The counters Home Assistant has now, for the usage fields."""
    return CounterChoices.discover(hass)


def clean_usage(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The usage form's answers as the options keep them: one list of sensors."""
    return merge_usage(user_input)


def usage_schema(choices: CounterChoices) -> vol.Schema:
    """The usage form: the counters found, and any other sensors."""
    return vol.Schema(choices.fields())


def sources_schema(choices: CounterChoices) -> vol.Schema:
    """A new SIM's sources form: usage and notices together."""
    return vol.Schema(choices.fields() | NOTICES_SCHEMA.schema)


def sources_placeholders(choices: CounterChoices) -> dict[str, str]:
    """The sources form's placeholders: the counters found and the patterns' example."""
    return {**choices.placeholders, **PATTERN_PLACEHOLDERS}


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


def _whole_in(value: float, low: int, high: int) -> bool:
    """A whole number from low to high (NaN and infinity are neither)."""
    return low <= value <= high and value == int(value)


def plan_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """The plan forms' numbers outside their range, each under its own field."""
    errors: dict[str, str] = {}
    allowance = user_input.get(CONF_ALLOWANCE)
    if allowance is not None and not 0 <= float(allowance) <= MAX_ALLOWANCE:
        errors[CONF_ALLOWANCE] = "allowance_out_of_range"
    day = user_input.get(CONF_RESET_DAY)
    if day is not None and not _whole_in(float(day), 1, 31):
        errors[CONF_RESET_DAY] = "reset_day_out_of_range"
    return errors | steps_errors(user_input)


def plan_start(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the first form's answers (without the name), the allowance only when given."""
    data = {
        CONF_TRACKED_CARRIER: user_input[CONF_TRACKED_CARRIER],
        CONF_PLAN_SHAPE: user_input[CONF_PLAN_SHAPE],
    }
    steps = steps_data(user_input)
    # A plan without a cap keeps no allowance: nothing counts down from one.
    if user_input.get(CONF_ALLOWANCE) is not None and CONF_USAGE_STEPS not in steps:
        data[CONF_ALLOWANCE] = float(user_input[CONF_ALLOWANCE])
    return data | steps


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
    if days is not None and not _whole_in(float(days), 1, MAX_VALIDITY_DAYS):
        return {}, {CONF_VALIDITY_DAYS: "validity_days_out_of_range"}
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

    The chosen counters' sensors join the other usage sensors in one list.

    Each pattern must compile, name the ``amount`` and ``unit`` groups and pass the speed
    trial. A sender filter the form did not send is left out, so it falls back to the
    carrier's own senders; one sent empty stays empty: the user chose to read every sender.
    """
    cleaned = merge_usage(user_input)
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


# Domains whose actions can send an SMS: notify services (a router, a modem), ESPHome actions
# (a SIM800L), scripts (anything else). Others can still be typed.
SMS_ACTION_DOMAINS: Final = ("notify", "esphome", "script")
# Actions that send nothing to a number: notify's entity action and its persistent
# notification, and the script domain's own actions, which manage scripts rather than run the
# one that sends (script.<name> is offered).
_NOT_SMS: Final = frozenset(
    {
        "notify.send_message",
        "notify.persistent_notification",
        "script.reload",
        "script.turn_on",
        "script.turn_off",
        "script.toggle",
    }
)


def sms_actions(hass: HomeAssistant) -> list[str]:
    """The actions offered for sending the inquiry: those that exist now, sorted."""
    services = hass.services.async_services()
    return sorted(
        f"{domain}.{service}"
        for domain in SMS_ACTION_DOMAINS
        for service in services.get(domain, {})
        if domain != DOMAIN and f"{domain}.{service}" not in _NOT_SMS
    )


def inquiry_schema(hass: HomeAssistant) -> vol.Schema:
    """The inquiry form: the action, the number and text, when to ask, and the data's fields."""
    return vol.Schema(
        {
            vol.Optional(CONF_INQUIRY_ACTION): SelectSelector(
                SelectSelectorConfig(
                    options=sms_actions(hass),
                    custom_value=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(CONF_INQUIRY_RECIPIENT): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL)
            ),
            vol.Optional(CONF_INQUIRY_MESSAGE): TextSelector(),
            vol.Optional(CONF_INQUIRY_TIME): TimeSelector(),
            # No min/max (1 to MAX_STALE_HOURS): InquiryConfig refuses others, translated.
            vol.Optional(CONF_INQUIRY_STALE_HOURS): NumberSelector(
                NumberSelectorConfig(
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="h",
                )
            ),
            vol.Optional(
                CONF_INQUIRY_RECIPIENT_FIELD, default=DEFAULT_INQUIRY_RECIPIENT_FIELD
            ): TextSelector(),
            vol.Optional(
                CONF_INQUIRY_MESSAGE_FIELD, default=DEFAULT_INQUIRY_MESSAGE_FIELD
            ): TextSelector(),
        }
    )


def clean_inquiry(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the inquiry form; the options to keep, or the form's errors.

    Without an action, a number and a text there is no inquiry (all three empty removes it);
    the action must exist when it is entered.
    """
    given = {
        key: value
        for key, value in user_input.items()
        if key in INQUIRY_KEYS and value is not None and value != ""
    }
    core = (CONF_INQUIRY_ACTION, CONF_INQUIRY_RECIPIENT, CONF_INQUIRY_MESSAGE)
    if not any(key in given for key in core):
        if CONF_INQUIRY_TIME in given or CONF_INQUIRY_STALE_HOURS in given:
            return given, {"base": "inquiry_incomplete"}
        return {}, {}
    if not all(key in given for key in core):
        return given, {"base": "inquiry_incomplete"}
    try:
        config = InquiryConfig.from_options(given)
    except InvalidInquiryError as err:
        key = "base" if err.reason == "inquiry_fields_same" else err.key
        return given, {key: err.reason}
    assert config is not None
    domain, service = config.domain_and_service
    if config.action in _NOT_SMS:
        unusable: str | None = "inquiry_action_cannot_send"
    elif not hass.services.has_service(domain, service):
        unusable = "inquiry_action_not_found"
    else:
        unusable = None
    if unusable is not None:
        return given, {CONF_INQUIRY_ACTION: unusable}
    cleaned: dict[str, Any] = {
        CONF_INQUIRY_ACTION: config.action,
        CONF_INQUIRY_RECIPIENT: config.recipient,
        CONF_INQUIRY_MESSAGE: config.message,
        CONF_INQUIRY_RECIPIENT_FIELD: config.recipient_field,
        CONF_INQUIRY_MESSAGE_FIELD: config.message_field,
    }
    if config.daily_at is not None:
        cleaned[CONF_INQUIRY_TIME] = config.daily_at.isoformat()
    if config.stale_after is not None:
        cleaned[CONF_INQUIRY_STALE_HOURS] = int(config.stale_after.total_seconds() // 3600)
    return cleaned, {}
