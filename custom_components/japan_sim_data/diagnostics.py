"""Diagnostics: what the integration read, with every secret and identifier removed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .coordinator import JapanSimDataConfigEntry
from .credentials import CONF_REJECTED_LOGIN

# Entry fields that identify the user: login ids, passwords, tokens, numbers.
TO_REDACT = {
    "username",
    "password",
    "email",
    "auth_token",
    "refresh_token",
    "device_id",
    "phone_number",
    "title",
    "unique_id",
    # A keyed fingerprint of refused credentials: nothing to learn from, nothing to show.
    CONF_REJECTED_LOGIN,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: JapanSimDataConfigEntry
) -> dict[str, Any]:
    """Return the entry and the last figures; SIMs are numbered instead of named."""
    coordinator = entry.runtime_data.coordinator
    sims = [
        {
            **asdict(sim),
            "sim_id": "**REDACTED**",
            "number_suffix": "**REDACTED**" if sim.number_suffix else None,
            # Bytes per day are the user's own pattern of life: counted, not listed.
            "daily_usage": len(sim.daily_usage),
            "remaining": sim.remaining,
            "resets_on": sim.resets_on.isoformat() if sim.resets_on else None,
        }
        for sim in coordinator.data.sims.values()
    ]
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT | entry.runtime_data.secret_keys),
        "last_update_success": coordinator.last_update_success,
        "update_interval_seconds": (
            coordinator.update_interval.total_seconds() if coordinator.update_interval else None
        ),
        "sims": sims,
        # A carrier account's route and why a fallback route serves (coordinator.diagnostics).
        **coordinator.diagnostics(),
        # What is kept over time, as counts: the figures themselves are the user's life.
        "history": {
            "forecast_readings": [
                len(coordinator.history.get(sim_id).readings) for sim_id in coordinator.data.sims
            ],
            "sims_counted_today": len(coordinator.usage_today),
            "imported_days": coordinator.daily_statistics.day_counts,
        },
        # The shape (keys, types, lengths) of the last answer the adapter could not read: enough
        # to fix the adapter from one report, with no value that could be personal.
        "last_unreadable_answer": coordinator.last_unreadable_answer,
    }
