"""Constants of the Japan SIM Data integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Final

DOMAIN: Final = "japan_sim_data"
LOGGER: Final = logging.getLogger(__package__)

CONF_CARRIER: Final = "carrier"

# Carriers ban aggressive pollers: 30 minutes is about how often a person checks the app.
UPDATE_INTERVAL: Final = timedelta(minutes=30)
# After repeated failures, wait longer between tries, up to this.
MAX_BACKOFF_INTERVAL: Final = timedelta(hours=4)

# Entry data beyond Home Assistant's own CONF_* keys.
CONF_PHONE_NUMBER: Final = "phone_number"
CONF_DEVICE_ID: Final = "device_id"
CONF_AUTH_TOKEN: Final = "auth_token"  # noqa: S105 - a key name, not a secret
CONF_CODE: Final = "code"
CONF_RESEND_CODE: Final = "resend_code"
# mineo: the eo ID login, rotated at every renewal (the refresh token works once).
CONF_REFRESH_TOKEN: Final = "refresh_token"  # noqa: S105 - a key name, not a secret
CONF_ID_TOKEN: Final = "id_token"  # noqa: S105 - a key name, not a secret
CONF_ID_TOKEN_EXPIRES: Final = "id_token_expires"  # noqa: S105 - a key name, not a secret
CONF_ACCOUNT_ID: Final = "account_id"
"""mineo: the account's anonymous name, fixed when first verified (never from a token alone)."""

# Options.
CONF_RESET_DAY: Final = "reset_day"
RESET_DAY_CHOICES: Final = ("1", "11", "21")

# Consecutive unreadable answers before a repair issue asks the user to report the change.
PARSE_FAILURES_BEFORE_ISSUE: Final = 3

# Alert options.
CONF_LOW_DATA_THRESHOLD: Final = "low_data_threshold"
CONF_LOW_DATA_UNIT: Final = "low_data_unit"
CONF_EXPIRY_LEAD_DAYS: Final = "expiry_lead_days"


class LowDataUnit(StrEnum):
    """How the low-data threshold is expressed."""

    GB = "gb"
    """An amount, in GB as carriers count them (1 GB = 1024 MB)."""
    PERCENT = "percent"
    """A share of the allowance."""


LOW_DATA_UNITS: Final = tuple(unit.value for unit in LowDataUnit)
DEFAULT_LOW_DATA_THRESHOLD: Final = 1.0
DEFAULT_EXPIRY_LEAD_DAYS: Final = 3

# Plan tracker (entry data: the plan; options: where usage and notices come from).
CONF_TRACKED_CARRIER: Final = "tracked_carrier"
CONF_ALLOWANCE: Final = "allowance"
"""The plan's data per period, in GB as carriers count them (1 GB = 1024 MB)."""
CONF_PLAN_SHAPE: Final = "plan_shape"
CONF_PLAN_KIND: Final = "plan_kind"
"""A cap (allowance), price steps or a throttle tier (carriers/plan.PlanKind); absent: a cap."""
CONF_USAGE_STEPS: Final = "usage_steps"
"""A plan without a cap: its steps of use, in GB as carriers count them, rising."""
CONF_START_DATE: Final = "start_date"
CONF_VALIDITY_DAYS: Final = "validity_days"
CONF_END_DATE: Final = "end_date"
CONF_USAGE_SENSORS: Final = "usage_sensors"
CONF_NOTICE_EVENTS: Final = "notice_events"
CONF_NOTICE_TEXT_FIELD: Final = "notice_text_field"
CONF_NOTICE_ENTITIES: Final = "notice_entities"
CONF_NOTICE_ATTRIBUTE: Final = "notice_attribute"
CONF_NOTICE_SENDERS: Final = "notice_senders"
CONF_NOTICE_PATTERNS: Final = "notice_patterns"
# A tracked SIM's SMS inquiry (options): the action that sends it, to whom, what, and when.
CONF_INQUIRY_ACTION: Final = "inquiry_action"
CONF_INQUIRY_RECIPIENT: Final = "inquiry_recipient"
CONF_INQUIRY_MESSAGE: Final = "inquiry_message"
CONF_INQUIRY_RECIPIENT_FIELD: Final = "inquiry_recipient_field"
CONF_INQUIRY_MESSAGE_FIELD: Final = "inquiry_message_field"
CONF_INQUIRY_TIME: Final = "inquiry_time"
"""A daily time in Japan, HH:MM:SS."""
CONF_INQUIRY_STALE_HOURS: Final = "inquiry_stale_hours"
# notify services take the text in "message" and the numbers in "target".
DEFAULT_INQUIRY_RECIPIENT_FIELD: Final = "target"
DEFAULT_INQUIRY_MESSAGE_FIELD: Final = "message"

# Events that carry carrier notices: the core imap integration's, and the one the former core
# Gammu "sms" integration (and community ports of it) fire.
EVENT_IMAP_CONTENT: Final = "imap_content"
EVENT_SMS_INCOMING: Final = "sms.incoming_sms"
DEFAULT_NOTICE_TEXT_FIELD: Final = "text"


class PlanShape(StrEnum):
    """How a tracked plan's data is renewed."""

    MONTHLY = "monthly"
    """A new allowance on the same day every month."""
    VALIDITY = "validity"
    """One allowance valid for a fixed number of days (travel and prepaid SIMs)."""


# The carriers a tracked SIM can belong to, with the name shown on its device ("other": none).
TRACKED_CARRIERS: Final[dict[str, str | None]] = {
    "docomo": "docomo",
    "ahamo": "ahamo",
    "irumo": "irumo",
    "eximo": "eximo",
    "au": "au",
    "uq_mobile": "UQ mobile",
    "povo": "povo",
    "rakuten_mobile": "Rakuten Mobile",
    "softbank": "SoftBank",
    "ymobile": "Y!mobile",
    "linemo": "LINEMO",
    "iijmio": "IIJmio",
    "mineo": "mineo",
    "travel": "Travel SIM",
    "other": None,
}
