"""Usage counters read as Home Assistant reads total_increasing sensors (no Home Assistant here).

Shapes of the real counters (carriers.md, "Counters Home Assistant already has"): the Android
companion app's ``mobile_rx_gb`` / ``mobile_tx_gb`` (decimal GB rounded to 1 MB, reset at every
reboot), ``huawei_lte`` TotalDownload / TotalUpload (bytes) and ``upnp`` bytes received / sent
(bytes; 32-bit counters wrap at 2**32 on many routers).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.tracking_counters import (
    WRAP_32_BIT,
    UsageCounter,
    is_reset,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB

GB = 10**9
MB = 10**6


def _restarted(counter: UsageCounter) -> UsageCounter:
    restored, dropped = UsageCounter.salvage(json.loads(json.dumps(counter.as_dict())))
    assert dropped == []
    return restored


def test_the_reset_rule_is_home_assistants() -> None:
    # sensor/recorder.py reset_detected: fstate < 0.9 * previous_fstate.
    assert not is_reset(900, 1000)
    assert is_reset(899, 1000)
    assert not is_reset(0, 0)
    assert is_reset(0, 1)


def test_first_value_is_a_baseline_and_growth_is_usage() -> None:
    counter = UsageCounter()
    assert counter.update("download", 10 * GIB) == 0
    assert counter.update("download", 10 * GIB + 300) == 300
    counter.update("download", 10 * GIB + 300)
    assert counter.used == 300


def test_a_small_dip_is_noise_until_the_counter_passes_its_high() -> None:
    counter = UsageCounter()
    counter.update("rx", round(1.571 * GB))
    # The phone's counter read 1 MB less (rounding, a late sample): not a reboot. Taking it as
    # one counted the whole 1.57 GB again.
    assert counter.update("rx", round(1.570 * GB)) == 0
    assert counter.used == 0
    # Back up, but not past the high: still nothing.
    assert counter.update("rx", round(1.571 * GB)) == 0
    # Past the high: only what is above it.
    assert counter.update("rx", round(1.575 * GB)) == 4 * MB
    assert counter.used == 4 * MB


def test_a_drop_of_more_than_ten_percent_is_a_reset_counted_from_zero() -> None:
    counter = UsageCounter()
    counter.update("download", 1000)
    counter.update("download", 1200)
    # The router rebooted: its counter starts again and has already counted 50.
    assert counter.update("download", 50) == 50
    counter.update("download", 80)
    assert counter.used == 200 + 50 + 30


def test_android_companion_app_counters_across_reboots() -> None:
    # mobile_rx_gb and mobile_tx_gb as Home Assistant turns their decimal GB into bytes.
    counter = UsageCounter()
    for source, value in (
        ("rx", 2.345),
        ("tx", 0.210),
        ("rx", 2.845),
        ("tx", 0.260),
        ("rx", 2.844),  # a 1 MB dip: noise
        ("rx", 0.012),  # the phone rebooted: 12 MB since
        ("tx", 0.001),
        ("rx", 0.112),
        ("tx", 0.011),
    ):
        counter.update(source, round(value * GB))
    assert counter.used == (500 + 50 + 12 + 1 + 100 + 10) * MB


def test_huawei_lte_byte_counters_with_gaps_and_a_restart_of_home_assistant() -> None:
    counter = UsageCounter()
    counter.update("sensor.b535_total_download", 52_000_000_000)
    counter.update("sensor.b535_total_upload", 3_000_000_000)
    counter.update("sensor.b535_total_download", 52_400_000_000)
    # Unavailable while the router restarts its API: nothing lost, nothing counted twice.
    counter.update("sensor.b535_total_download", None)
    counter = _restarted(counter)
    counter.update("sensor.b535_total_download", 52_600_000_000)
    counter.update("sensor.b535_total_upload", 3_100_000_000)
    assert counter.used == 600_000_000 + 100_000_000


def test_a_32_bit_upnp_counter_wraps_without_losing_the_traffic_before_the_wrap() -> None:
    counter = UsageCounter()
    counter.update("rx", WRAP_32_BIT - 100 * MIB, wraps_at=WRAP_32_BIT)
    assert counter.update("rx", 50 * MIB, wraps_at=WRAP_32_BIT) == 150 * MIB
    counter.update("rx", 80 * MIB, wraps_at=WRAP_32_BIT)
    assert counter.used == 180 * MIB
    # A counter past 2**32 is no 32-bit counter: a drop is a reset as usual.
    big = UsageCounter()
    big.update("rx", 2 * WRAP_32_BIT, wraps_at=WRAP_32_BIT)
    assert big.update("rx", 10, wraps_at=WRAP_32_BIT) == 10


def test_unavailable_gaps_lose_nothing_and_count_nothing_twice() -> None:
    counter = UsageCounter()
    counter.update("download", 1000)
    counter.update("download", None)
    counter.update("download", 1500)
    assert counter.used == 500
    # A negative reading is no counter value either.
    assert counter.update("download", -1) == 0
    counter.update("download", 1600)
    assert counter.used == 600
    # A source that has never given a value stays without a baseline.
    counter.update("upload", None)
    counter.update("upload", 70)
    assert counter.used == 600


def test_a_new_period_starts_from_the_last_totals() -> None:
    counter = UsageCounter()
    counter.update("download", 100)
    counter.update("download", 300)
    counter.reset()
    assert counter.used == 0
    counter.update("download", 350)
    assert counter.used == 50


def test_a_restart_keeps_the_highs() -> None:
    counter = UsageCounter()
    counter.update("download", 1000)
    counter.update("download", 950)  # a dip: the high stays 1000
    restored = _restarted(counter)
    assert restored.update("download", 990) == 0
    assert restored.update("download", 1010) == 10


@pytest.mark.parametrize(
    ("data", "used", "highs", "dropped"),
    [
        ({"used": 5, "baselines": {"a": 1}}, 5, {"a": 1}, []),
        ([], 0, {}, ["counter"]),
        ("x", 0, {}, ["counter"]),
        ({"used": "5", "baselines": {"a": 1}}, 0, {"a": 1}, ["counter.used"]),
        ({"used": 5, "baselines": []}, 5, {}, ["counter.baselines"]),
        (
            {"used": 5, "baselines": {"a": 1, "b": "x", "c": -1, "d": float("nan")}},
            5,
            {"a": 1},
            ["counter.baselines"],
        ),
        ({}, 0, {}, ["counter.used", "counter.baselines"]),
    ],
)
def test_salvage_keeps_what_it_can(
    data: object, used: int, highs: dict[str, int], dropped: list[str]
) -> None:
    counter, names = UsageCounter.salvage(data)
    assert counter.used == used
    assert counter.as_dict()["baselines"] == highs
    assert names == dropped


_UPDATES = st.lists(
    st.tuples(
        st.sampled_from(["download", "upload", "lte"]),
        st.none() | st.integers(min_value=-10, max_value=10**13),
        st.sampled_from([None, WRAP_32_BIT]),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_UPDATES, st.integers(min_value=0, max_value=60))
def test_usage_never_decreases_and_survives_a_restart(
    updates: list[tuple[str, int | None, int | None]], reset_at: int
) -> None:
    counter = UsageCounter()
    previous = 0
    for index, (source_id, value, wraps_at) in enumerate(updates):
        if index == reset_at:
            counter.reset()
            previous = 0
        added = counter.update(source_id, value, wraps_at=wraps_at)
        assert added >= 0
        assert counter.used == previous + added
        previous = counter.used
    assert _restarted(counter).as_dict() == counter.as_dict()
