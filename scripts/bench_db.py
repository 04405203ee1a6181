"""A benchmarked instance's recorder database, read from outside (scripts/bench.py).

Read-only connections beside the recorder's own: in WAL mode a reader never blocks its writes.
Read only after the instance's recorder has committed (scripts/bench_probe ``?recorder=sync``).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final


@dataclass(frozen=True)
class DbMark:
    """Where a recorder database stands: the last row of each table, and its size."""

    states: int
    attributes: int
    short_term: int
    bytes: int
    """Pages in use: the file's size once the WAL is checkpointed."""
    payload: int
    """Bytes of the rows and index entries themselves (dbstat), without pages' free space."""


def _connect(database: Path) -> sqlite3.Connection:
    # Read-only, beside the recorder's own connection (WAL: readers never block its writes).
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)


def _one(db: sqlite3.Connection, sql: str, *args: object) -> int:
    row = db.execute(sql, args).fetchone()
    return int(row[0] or 0) if row is not None else 0


def db_mark(database: Path) -> DbMark:
    """Rows so far (by their ids, which only grow) and the pages in use, WAL included.

    ``page_count`` on a reader's snapshot counts the pages the database has once the WAL is
    checkpointed into it: the file size the recorder's rows make, without waiting for that.
    """
    with contextlib.closing(_connect(database)) as db:
        pages = _one(db, "PRAGMA page_count") - _one(db, "PRAGMA freelist_count")
        return DbMark(
            states=_one(db, "SELECT max(state_id) FROM states"),
            attributes=_one(db, "SELECT max(attributes_id) FROM state_attributes"),
            short_term=_one(db, "SELECT max(id) FROM statistics_short_term"),
            bytes=pages * _one(db, "PRAGMA page_size"),
            payload=_one(db, "SELECT sum(payload) FROM dbstat"),
        )


_NUMBERED: Final = re.compile(r"(?:(?<=_)\d{4}(?=_)|(?<=line_)\d+)")
"""A line's number in an entity id: this integration's 4-digit suffix, the peers' "line_N"."""
_ACCOUNT: Final = re.compile(r"^(calendar\..*?)_\d+$")


def rows_by_figure(database: Path, after: DbMark) -> dict[str, int]:
    """States rows written since ``after``, by entity with the line's number taken out."""
    with contextlib.closing(_connect(database)) as db:
        rows = db.execute(
            "SELECT m.entity_id, count(*) FROM states s JOIN states_meta m "
            "ON s.metadata_id = m.metadata_id WHERE s.state_id > ? GROUP BY m.entity_id",
            (after.states,),
        ).fetchall()
    figures: dict[str, int] = {}
    for entity_id, count in rows:
        # The accounts' calendars: "calendar.iijmio_mi_data_calendar_2" is another account's.
        figure = _ACCOUNT.sub(r"\1", _NUMBERED.sub("N", str(entity_id)))
        figures[figure] = figures.get(figure, 0) + int(count)
    return figures


def short_term_rows(database: Path) -> tuple[int, int]:
    """Rows of the last complete 5-minute statistics compile, and how many compiles there were."""
    with contextlib.closing(_connect(database)) as db:
        periods = db.execute(
            "SELECT start_ts, count(*) FROM statistics_short_term GROUP BY start_ts "
            "ORDER BY start_ts DESC"
        ).fetchall()
    return (int(periods[0][1]), len(periods)) if periods else (0, 0)
