"""The carrier library's shared parts: units, Tokyo dates, models, HTTP, and its import rule."""

from __future__ import annotations

import ast
import asyncio
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import http
from custom_components.japan_sim_data.carriers.dates import (
    TOKYO,
    add_months,
    days_left,
    end_of_month,
    last_day_of_month,
)
from custom_components.japan_sim_data.carriers.errors import (
    CarrierConnectionError,
    CarrierParseError,
)
from custom_components.japan_sim_data.carriers.models import BucketKind, DataBucket, SimUsage
from custom_components.japan_sim_data.carriers.units import (
    GIB,
    MIB,
    normalize_text,
    to_bytes,
    to_number,
)
from tests.conftest import ServeApp

CARRIERS = Path(__file__).parents[2] / "custom_components" / "japan_sim_data" / "carriers"


def test_carrier_library_never_imports_home_assistant() -> None:
    offenders = []
    files = sorted(CARRIERS.glob("*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] == "homeassistant"
            ]
    assert offenders == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4.56, 4.56),
        (3, 3.0),
        ("14.00", 14.0),
        ("1,024", 1024.0),
        ("１２．５", 12.5),
        (" 7 ", 7.0),
        ("", None),
        (None, None),
    ],
)
def test_to_number(value: object, expected: float | None) -> None:
    assert to_number(value) == expected


@pytest.mark.parametrize(
    "value", ["abc", "-1", -0.5, float("nan"), float("inf"), True, [1], "1e999"]
)
def test_to_number_refuses_garbage(value: object) -> None:
    with pytest.raises(CarrierParseError):
        to_number(value)


def test_to_bytes_in_carrier_units() -> None:
    assert to_bytes("2.00", "GB") == 2 * GIB
    assert to_bytes(512, "ＭＢ") == 512 * MIB
    assert to_bytes(125829120, "kilobytes") == 120 * GIB
    assert to_bytes("", "GB") is None
    with pytest.raises(CarrierParseError, match="unit"):
        to_bytes(1, "parsecs")
    # Huge numbers are misreads, not figures (nor an OverflowError).
    with pytest.raises(CarrierParseError, match="too large"):
        to_bytes(10**400, "GB")
    with pytest.raises(CarrierParseError, match="implausibly large"):
        to_bytes("9" * 300, "GB")
    # Exponents are not in the one number grammar: no carrier writes them.
    with pytest.raises(CarrierParseError, match="could not be read"):
        to_bytes("1e300", "GB")


def test_normalize_text_folds_full_width() -> None:
    assert normalize_text("残り１．５ＧＢ：午後１１：５９") == "残り1.5GB:午後11:59"


def test_month_arithmetic() -> None:
    assert last_day_of_month(2024, 2) == date(2024, 2, 29)
    assert last_day_of_month(2025, 12) == date(2025, 12, 31)
    assert add_months(2025, 12, 1) == (2026, 1)
    assert add_months(2025, 1, -1) == (2024, 12)
    assert end_of_month(2025, 11) == datetime(2025, 11, 30, 23, 59, 59, tzinfo=TOKYO)


def test_days_left_counts_tokyo_calendar_days() -> None:
    expires = end_of_month(2025, 11)
    assert days_left(expires, datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)) == 6
    # 23:30 UTC on the 29th is already the 30th in Tokyo: the last day.
    assert days_left(expires, datetime(2025, 11, 29, 23, 30, tzinfo=UTC)) == 1
    assert days_left(expires, datetime(2025, 12, 1, 0, 0, tzinfo=TOKYO)) == 0


def test_sim_headlines() -> None:
    soon = datetime(2025, 11, 30, 23, 59, tzinfo=TOKYO)
    later = soon + timedelta(days=31)
    sim = SimUsage(
        sim_id="x",
        buckets=(
            DataBucket(BucketKind.CARRIED_OVER, remaining=0, expires=soon),
            DataBucket(BucketKind.MONTHLY, remaining=GIB, expires=later),
            DataBucket(BucketKind.GIFT, remaining=None),
        ),
    )
    assert sim.remaining == GIB
    assert sim.remaining_of(BucketKind.CARRIED_OVER) == 0
    assert sim.remaining_of(BucketKind.GIFT) is None
    # The empty carried-over slice does not set the deadline.
    assert sim.next_expiry == later

    drained = SimUsage(
        sim_id="y", buckets=(DataBucket(BucketKind.MONTHLY, remaining=0, expires=soon),)
    )
    assert drained.remaining == 0
    assert drained.next_expiry == soon
    assert SimUsage(sim_id="z").next_expiry is None
    # Without dated buckets, the data lasts until the day before the reset.
    assert SimUsage(sim_id="z").data_expires is None
    assert SimUsage(sim_id="r", resets_on=date(2025, 12, 1)).data_expires == datetime(
        2025, 11, 30, 23, 59, 59, tzinfo=TOKYO
    )
    assert sim.data_expires == later


def test_retry_after_forms() -> None:
    assert http.retry_after_seconds(None) is None
    assert http.retry_after_seconds("90") == 90.0
    assert http.retry_after_seconds("soon") is None
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    seconds = http.retry_after_seconds(in_an_hour)
    assert seconds is not None
    assert 3500 < seconds <= 3600
    assert http.retry_after_seconds("Mon, 01 Jan 2001 00:00:00") == 0.0


async def test_request_timeout(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response()

    app = web.Application()
    app.router.add_get("/", slow)
    base_url = await serve(app)
    with pytest.raises(CarrierConnectionError, match="in time"):
        await http.request(http_session, "GET", f"{base_url}/", timeout=0.1)
