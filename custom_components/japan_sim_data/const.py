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
