"""Adapters that stand in for povo and the SoftBank family in Home Assistant-level tests.

The adapters themselves are tested over HTTP in tests/carriers; the figures here come from the
same fixtures, parsed by the real parsers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest.mock import AsyncMock, MagicMock, patch

from custom_components.japan_sim_data.adapters import CARRIER_PROFILES
from custom_components.japan_sim_data.carriers.base import CarrierAdapter
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.models import (
    AccountUsage,
    Carrier,
    DataBucket,
    SimUsage,
)
from custom_components.japan_sim_data.carriers.povo import (
    PovoAdapter,
    parse_plan_details,
    parse_usage,
    parse_used,
)
from custom_components.japan_sim_data.carriers.softbank_pages import parse_softbank_usage
from tests.helpers import load_json_fixture, load_text_fixture


def povo_usage() -> AccountUsage:
    """A topped-up povo line: tests/fixtures/povo/usage_partial.json and plan_details_dated.json."""
    usage = load_json_fixture("povo/usage_partial.json")
    expires = parse_plan_details(load_json_fixture("povo/plan_details_dated.json"))
    assert expires == datetime(2027, 4, 30, 23, 59, tzinfo=TOKYO)
    buckets = tuple(dataclasses.replace(bucket, expires=expires) for bucket in parse_usage(usage))
    sim = SimUsage(
        sim_id="povo-line",
        buckets=buckets,
        allowance=sum(b.total for b in buckets if b.total is not None),
        used=parse_used(usage),
    )
    return AccountUsage(sims={sim.sim_id: sim})


def softbank_usage(resets_on: date = date(2025, 12, 1)) -> AccountUsage:
    """A SoftBank line: tests/fixtures/softbank/softbank_usage.html, reset on the 1st."""
    parsed = parse_softbank_usage(load_text_fixture("softbank/softbank_usage.html"))
    period_end = end_of_day(resets_on - timedelta(days=1))
    buckets: tuple[DataBucket, ...] = tuple(
        dataclasses.replace(bucket, expires=period_end) for bucket in parsed.buckets
    )
    sim = SimUsage(
        sim_id="softbank-line",
        number_suffix="2222",
        buckets=buckets,
        used=parsed.used,
        resets_on=resets_on,
    )
    return AccountUsage(sims={sim.sim_id: sim})


def fake_adapter(carrier: Carrier, usage: AccountUsage, account_id: str) -> MagicMock:
    """An adapter that answers with ``usage``."""
    adapter = MagicMock(spec=CarrierAdapter)
    adapter.carrier = carrier
    adapter.account_id = account_id
    adapter.async_login = AsyncMock()
    adapter.async_fetch = AsyncMock(return_value=usage)
    adapter.refreshed_secrets.return_value = {}
    adapter.active_route = None
    adapter.route_details = None
    return adapter


@contextmanager
def carrier_adapter(carrier: Carrier, adapter: MagicMock) -> Iterator[MagicMock]:
    """Make the integration build ``adapter`` for ``carrier``; yields the build spy."""
    build = MagicMock(return_value=adapter)
    profile = dataclasses.replace(CARRIER_PROFILES[carrier], build=build)
    with patch.dict(CARRIER_PROFILES, {carrier: profile}):
        yield build


@contextmanager
def povo_login(adapter: MagicMock) -> Iterator[MagicMock]:
    """Replace the PovoAdapter the config flow logs in with."""
    adapter.async_request_code = AsyncMock()
    adapter.async_submit_code = AsyncMock()
    adapter.refreshed_secrets.return_value = {"auth_token": "token-from-code"}
    with patch(
        "custom_components.japan_sim_data.carriers.povo.PovoAdapter",
        autospec=PovoAdapter,
        return_value=adapter,
    ) as adapter_class:
        yield adapter_class
