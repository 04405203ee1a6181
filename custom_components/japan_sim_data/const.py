"""Constants of the Japan SIM Data integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "japan_sim_data"

CONF_CARRIER: Final = "carrier"

# Carriers ban aggressive pollers; 30 minutes is what a person checking the app would do.
UPDATE_INTERVAL: Final = timedelta(minutes=30)
