"""An entry's repair issues: one id scheme, raised and cleared one way.

Each issue's id is its kind (its translation key) and the entry's id, so it can be raised,
cleared and removed with the entry; its text names the entry by its title.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def entry_issue_id(kind: str, entry_id: str) -> str:
    """Name an entry's repair issue of one kind."""
    return f"{kind}_{entry_id}"


@callback
def async_raise_entry_issue(
    hass: HomeAssistant,
    kind: str,
    entry: ConfigEntry[Any],
    placeholders: Mapping[str, str] | None = None,
    *,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
) -> None:
    """Show the entry's repair issue of this kind (a no-op when it is already shown)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(kind, entry.entry_id),
        is_fixable=False,
        severity=severity,
        translation_key=kind,
        translation_placeholders={"entry_title": entry.title, **(placeholders or {})},
    )


@callback
def async_clear_entry_issue(hass: HomeAssistant, kind: str, entry_id: str) -> None:
    """Remove the entry's repair issue of this kind, if it is shown."""
    ir.async_delete_issue(hass, DOMAIN, entry_issue_id(kind, entry_id))
