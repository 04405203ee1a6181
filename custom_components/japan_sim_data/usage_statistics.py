"""Carriers' past daily usage, imported into Home Assistant's long-term statistics.

Why an external statistic (``japan_sim_data:<keyed SIM id>_daily_usage``, written with
``async_add_external_statistics``) and not the Used today sensor's own statistic id: the
recorder compiles that sensor's statistics itself every hour from its states, so rows imported
under the entity's id would be overwritten by, or double the sums of, the recorder's own; the
developer documentation keeps ``<domain>.<object>`` ids for statistics derived from entities
and ``<domain>:<object>`` ids for statistics imported from an external source, which the
integration then owns alone.

One row per day, starting at midnight in Tokyo: ``state`` is the day's use and ``sum`` the
running total, so the statistics graph's "change" per day is that day's use. Rows are in MiB,
the unit the Used today sensor shows, so a card reads "300 MiB", not "314,572,800 B" (the
statistics card converts only between units its statistics already have); days are counted
in bytes here. Rows are keyed by their start, so writing a day again replaces it: a re-import
rewrites, never adds. Only days before today are imported, since today's figure still grows
(the Used today sensor shows it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import UnitOfInformation
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import InformationConverter

from .carriers.dates import TOKYO, is_plausible_day
from .carriers.models import AccountUsage, DailyUsage
from .carriers.stored import stored_count, stored_day
from .carriers.units import MIB
from .const import DOMAIN, LOGGER
from .entry_store import EntryStore

if TYPE_CHECKING:
    from homeassistant.components.recorder.models import StatisticData, StatisticMetaData

# The recorder's modules are imported when it runs (manifest: after_dependencies), not before:
# without a recorder there is nothing to import into, and no reason to load its database code.

MAX_DAYS: Final = 400
"""Days whose figures are kept to rewrite; older ones are folded into the running total.

Also how far back a carrier's history is read (days before today): the longest a carrier
gives is three months (mineo's get_traffic_history; IIJmio two, povo 31 days), so a longer
one is not a history but an answer to bound."""
UNIT: Final = UnitOfInformation.MEBIBYTES
"""The rows' unit. 0.2.0 wrote bytes: such a statistic is cleared and written again."""
NAME_KEY: Final = f"component.{DOMAIN}.selector.statistic_name.options.daily_usage"
DEFAULT_NAME: Final = "{sim}: data used per day"


def statistic_id(keyed_sim_id: str) -> str:
    """The statistic id of a SIM's daily usage: keyed, so it names no carrier identifier."""
    return f"{DOMAIN}:{keyed_sim_id}_daily_usage"


def day_start(day: date) -> datetime:
    """The start of a day's row: midnight in Tokyo, the top of an hour as the recorder needs."""
    return datetime.combine(day, time(0), tzinfo=TOKYO)


@dataclass(slots=True)
class ImportedDays:
    """What was imported for one SIM: each day's bytes, above a running total."""

    days: dict[date, int] = field(default_factory=dict)
    base: int = 0
    """Bytes of the days folded away (and of any rows found in the recorder before ours)."""
    floor: date | None = None
    """Rows up to this day were already in the recorder, with figures not known here."""

    def merge(self, reported: tuple[DailyUsage, ...], today: date) -> tuple[date | None, int]:
        """Take the carrier's days before today; the first day changed, and how many were left out.

        Days left out are implausible or older than MAX_DAYS. Linear in the days reported: a
        history of tens of thousands of days (still inside the body cap) costs one pass, and
        at most MAX_DAYS of them are kept.
        """
        changed: date | None = None
        earliest = today - timedelta(days=MAX_DAYS)
        left_out = 0
        for entry in reported:
            day = entry.day
            if day >= today or (self.floor is not None and day <= self.floor):
                continue
            if day < earliest or not is_plausible_day(day, today):
                # No carrier keeps a longer daily history, and year 1 or 1900 is a placeholder
                # the recorder cannot even place in time.
                left_out += 1
                continue
            if self.days.get(day) != entry.used:
                self.days[day] = entry.used
                changed = day if changed is None or day < changed else changed
        if (excess := len(self.days) - MAX_DAYS) > 0:
            # Only days older than the window fold (at most MAX_DAYS lie inside it), and no
            # day taken above is that old: the rows to write are unchanged by the fold.
            folded = sorted(self.days)[:excess]
            for day in folded:
                self.base += self.days.pop(day)
            self.floor = folded[-1] if self.floor is None else max(self.floor, folded[-1])
        return changed, left_out

    def rows(self, since: date) -> list[StatisticData]:
        """The rows from ``since`` on, each with the running total to its day's end."""
        rows: list[StatisticData] = []
        total = self.base
        for day in sorted(self.days):
            total += self.days[day]
            if day >= since:
                row: StatisticData = {
                    "start": day_start(day),
                    "state": self.days[day] / MIB,
                    "sum": total / MIB,
                }
                rows.append(row)
        return rows

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types, for storage."""
        return {
            "days": {day.isoformat(): used for day, used in self.days.items()},
            "base": self.base,
            "floor": self.floor.isoformat() if self.floor else None,
        }

    @classmethod
    def restore(cls, data: object) -> tuple[ImportedDays, int]:
        """Read stored days field by field; also how many could not be read."""
        if not isinstance(data, Mapping):
            return cls(), 1
        imported, dropped = cls(), 0
        days = data.get("days")
        if isinstance(days, Mapping):
            for day_text, value in list(days.items())[-MAX_DAYS:]:
                day, used = stored_day(day_text), stored_count(value)
                if day is None or used is None:
                    dropped += 1
                else:
                    imported.days[day] = used
        else:
            dropped += 1
        base = stored_count(data.get("base", 0))
        floor = data.get("floor")
        imported.floor = stored_day(floor) if floor is not None else None
        if base is None or (floor is not None and imported.floor is None):
            # Without the running total, rewritten rows would not join the recorder's: start
            # again from whatever the recorder holds.
            return cls(), dropped + 1
        imported.base = base
        return imported, dropped


class DailyUsageStatistics(EntryStore):
    """Imports each SIM's past daily usage once, and the days the carrier adds or corrects."""

    NAME = "daily_usage"

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the entry's store; nothing is read until async_load."""
        super().__init__(hass, entry_id)
        self._hass = hass
        self._imported: dict[str, ImportedDays] = {}
        self._checked: set[str] = set()
        """SIMs whose statistic was looked up in the recorder since start."""
        self._lock = asyncio.Lock()
        self._told_left_out = False

    @property
    def day_counts(self) -> list[int]:
        """How many days are kept per SIM (for diagnostics: counts, never figures)."""
        return [len(imported.days) for imported in self._imported.values()]

    async def async_load(self) -> None:
        """Read what was imported before."""
        stored: object = await self._store.async_load()
        self._imported, dropped = {}, 0
        if isinstance(stored, Mapping):
            for sim_id, data in stored.items():
                if isinstance(sim_id, str):
                    self._imported[sim_id], lost = ImportedDays.restore(data)
                    dropped += lost
                else:
                    dropped += 1
        elif stored is not None:
            dropped += 1
        if dropped:
            LOGGER.warning(
                "%d unreadable days of imported usage of entry %s were dropped",
                dropped,
                self._entry_id,
            )

    async def async_import(
        self, usage: AccountUsage, keyed_id: Callable[[str], str], names: Mapping[str, str]
    ) -> int:
        """Import what is new or changed in every SIM's daily usage; the rows written.

        ``keyed_id`` keys a carrier SIM id; ``names`` are the SIMs' device names.
        """
        if "recorder" not in self._hass.config.components:
            return 0
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            async_add_external_statistics,
        )

        async with self._lock:
            today = dt_util.now().astimezone(TOKYO).date()
            template: str | None = None  # looked up only when a row is to be written
            written = 0
            for sim_id, sim in usage.sims.items():
                if not sim.daily_usage and sim_id not in self._imported:
                    continue
                stat_id = statistic_id(keyed_id(sim_id))
                imported = self._imported.setdefault(sim_id, ImportedDays())
                since = await self._async_check(sim_id, stat_id, imported)
                changed, left_out = imported.merge(sim.daily_usage, today)
                if left_out:
                    self._log_left_out(left_out)
                if changed is not None:
                    since = changed if since is None else min(since, changed)
                if since is None or not (rows := imported.rows(since)):
                    continue
                if template is None:
                    template = await self._name_template()
                name = template.replace("{sim}", names.get(sim_id, sim_id))
                async_add_external_statistics(self._hass, _metadata(stat_id, name), rows)
                written += len(rows)
            if written:
                self._async_schedule_save()
            return written

    def _log_left_out(self, count: int) -> None:
        """Say once per start why reported days were not imported (no figures, no ids)."""
        if self._told_left_out:
            return
        self._told_left_out = True
        LOGGER.warning(
            "%d days of the daily usage history of entry %s were not imported: they are "
            "older than %d days or not a plausible date",
            count,
            self._entry_id,
            MAX_DAYS,
        )

    async def _async_check(self, sim_id: str, stat_id: str, imported: ImportedDays) -> date | None:
        """Compare with the recorder once per start; the first day to write again, if any.

        A statistic missing from the recorder (a new database, a user who deleted it) gets
        every kept day again. Rows found there that this store does not know (a store lost
        with a removed entry) are kept: import continues after them, from their total.
        """
        if sim_id in self._checked:
            return None
        self._checked.add(sim_id)
        from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
            get_last_statistics,
            get_metadata,
        )
        from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

        recorder = get_instance(self._hass)
        found = await recorder.async_add_executor_job(
            partial(get_metadata, self._hass, statistic_ids={stat_id})
        )
        if stat_id in found and found[stat_id][1]["unit_of_measurement"] != UNIT:
            # Rows of two units would not add up, and the recorder converts only its own
            # statistics: clear, then write every kept day again (queued, so in that order).
            # Sums go on from the same running total; only days no longer kept are gone.
            recorder.async_clear_statistics([stat_id])
            return min(imported.days) if imported.days else None
        convert_units = False  # the rows' own unit, as they were written
        last = await recorder.async_add_executor_job(
            get_last_statistics, self._hass, 1, stat_id, convert_units, {"sum"}
        )
        rows = last.get(stat_id)
        if not rows:
            return min(imported.days) if imported.days else None
        if not imported.days and imported.floor is None:
            last_day = dt_util.utc_from_timestamp(rows[0]["start"]).astimezone(TOKYO).date()
            imported.floor = last_day
            imported.base = round((rows[0].get("sum") or 0) * MIB)
        return None

    async def _name_template(self) -> str:
        translations = await async_get_translations(
            self._hass, self._hass.config.language, "selector", {DOMAIN}
        )
        return translations.get(NAME_KEY, DEFAULT_NAME)

    def _as_dict(self) -> dict[str, Any]:
        return {sim_id: imported.as_dict() for sim_id, imported in self._imported.items()}


def _metadata(stat_id: str, name: str) -> StatisticMetaData:
    from homeassistant.components.recorder.models import (  # noqa: PLC0415
        StatisticMeanType,
        StatisticMetaData,
    )

    return StatisticMetaData(
        statistic_id=stat_id,
        source=DOMAIN,
        name=name,
        has_sum=True,
        mean_type=StatisticMeanType.NONE,
        unit_of_measurement=UNIT,
        unit_class=InformationConverter.UNIT_CLASS,
    )
