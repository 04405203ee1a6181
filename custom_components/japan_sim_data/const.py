"""Constants of the Japan SIM Data integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "japan_sim_data"
LOGGER: Final = logging.getLogger(__package__)

CONF_CARRIER: Final = "carrier"

# Carriers ban aggressive pollers: 30 minutes is about how often a person checks the app.
UPDATE_INTERVAL: Final = timedelta(minutes=30)
# After repeated failures, wait longer between tries, up to this.
MAX_BACKOFF_INTERVAL: Final = timedelta(hours=4)
