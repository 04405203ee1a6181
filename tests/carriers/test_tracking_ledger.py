"""The plan tracker's ledger and notice rules, without Home Assistant.

Every change takes ``now``: the tests walk a clock of their own across month ends, expiries
and restarts (a restart is ``restore_ledger`` of what ``ledger_as_dict`` wrote, through JSON).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
from custom_components.japan_sim_data.carriers.models import BucketKind
from custom_components.japan_sim_data.carriers.plan import (
    MonthlyPlan,
    PlanKind,
    UsageSteps,
    ValidityPlan,
)
from custom_components.japan_sim_data.carriers.tracking_evidence import (
    MAX_REMEMBERED,
    Evidence,
    NoticeKind,
    NoticeMemory,
    stored_digest,
)
from custom_components.japan_sim_data.carriers.tracking_ledger import (
    EXPIRED_PERIOD,
    MAX_TOP_UPS,
    Ledger,
    PlanTerms,
    StoredFields,
    TopUpLimitError,
    ledger_as_dict,
    restore_ledger,
    stored_period,
)
from custom_components.japan_sim_data.carriers.units import GIB, MIB

NOW = datetime(2025, 11, 25, 12, 0, tzinfo=TOKYO)
MONTHLY = PlanTerms(MonthlyPlan(1), 3 * GIB, counted=True)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def _started(terms: PlanTerms = MONTHLY, now: datetime = NOW) -> Ledger:
    ledger = Ledger(terms)
    ledger.roll_over(now)
    return ledger


def _restarted(ledger: Ledger, terms: PlanTerms | None = None) -> Ledger:
    data = json.loads(json.dumps(ledger_as_dict(ledger)))
    reader = StoredFields(data)
    restored = restore_ledger(terms or ledger.terms, data, reader)
    assert reader.dropped == []
    return restored


def _notice(ledger: Ledger, key: str, *items: Evidence, now: datetime = NOW) -> bool:
    return ledger.apply_notice(key, items, now)


# -- the calendar --------------------------------------------------------------------------------


def test_a_counted_month_starts_full_and_rolls_over_at_tokyo_midnight() -> None:
    ledger = _started()
    assert ledger.state.period == "2025-11-01"
    assert ledger.total_left() == 3 * GIB
    assert ledger.state.used == 0
    ledger.count("rx", 10 * GIB, NOW)
    ledger.count("rx", 10 * GIB + GIB, NOW)
    assert ledger.total_left() == 2 * GIB
    # 23:59:59 on the 30th is still November; a second later December starts in full.
    ledger.roll_over(_at("2025-11-30T23:59:59"))
    assert ledger.total_left() == 2 * GIB
    december = _at("2025-12-01T00:00:00")
    ledger.count("rx", 10 * GIB + GIB + 100 * MIB, december)
    assert ledger.state.period == "2025-12-01"
    # Usage after the turn belongs to the new period.
    assert ledger.state.used == 100 * MIB
    assert ledger.total_left() == 3 * GIB - 100 * MIB
    assert ledger.resets_on(december) == date(2026, 1, 1)


def test_without_a_counter_the_month_starts_unknown_not_full() -> None:
    ledger = _started(PlanTerms(MonthlyPlan(1), 3 * GIB, counted=False))
    assert ledger.state.plan_left is None
    assert ledger.state.used is None
    # Unless the user starts the period: then the full allowance is there.
    ledger.start_period(PlanTerms(MonthlyPlan(25), 3 * GIB, counted=False), NOW)
    assert ledger.total_left() == 3 * GIB
    assert ledger.state.period == "2025-11-25"


def test_a_validity_plan_ends_and_its_data_goes_with_it() -> None:
    terms = PlanTerms(ValidityPlan(date(2025, 11, 20), date(2025, 11, 27)), 3 * GIB, True)
    ledger = _started(terms)
    (plan,) = ledger.buckets(NOW)
    assert plan.expires == end_of_day(date(2025, 11, 27))
    assert ledger.resets_on(NOW) is None
    ledger.roll_over(_at("2025-11-28T00:00:01"))
    assert ledger.state.period == EXPIRED_PERIOD
    assert ledger.total_left() == 0
    (plan,) = ledger.buckets(_at("2025-11-28T00:00:01"))
    # Nothing is left, for good: no expiry still to come.
    assert plan.remaining == 0
    assert plan.expires is None


def test_a_notice_stating_a_later_expiry_keeps_a_travel_plan_open() -> None:
    terms = PlanTerms(ValidityPlan(date(2025, 11, 20), date(2025, 11, 27)), None, False)
    ledger = _started(terms)
    later = end_of_day(date(2025, 12, 5))
    _notice(ledger, "a", Evidence(NoticeKind.REMAINING, 2 * GIB, later))
    ledger.roll_over(_at("2025-11-30T00:00:00"))
    assert ledger.total_left() == 2 * GIB
    ledger.roll_over(_at("2025-12-06T00:00:00"))
    assert ledger.total_left() == 0


def test_a_changed_allowance_shifts_what_is_left() -> None:
    ledger = _started()
    ledger.count("rx", 0, NOW)
    ledger.count("rx", GIB, NOW)
    ledger = _restarted(ledger, PlanTerms(MonthlyPlan(1), 5 * GIB, True))
    ledger.follow_allowance()
    assert ledger.total_left() == 4 * GIB
    # Unknown allowance: unknown left, never a false figure.
    ledger.terms = PlanTerms(MonthlyPlan(1), None, True)
    ledger.follow_allowance()
    assert ledger.total_left() is None


# -- top-ups -------------------------------------------------------------------------------------


def test_data_is_taken_from_what_expires_first() -> None:
    ledger = _started()
    soon, later = end_of_day(date(2025, 11, 26)), end_of_day(date(2025, 12, 31))
    ledger.add_top_up(GIB, later, NOW)
    ledger.add_top_up(GIB, None, NOW)
    ledger.add_top_up(GIB, soon, NOW)
    ledger.count("rx", 0, NOW)
    ledger.count("rx", GIB + 512 * MIB, NOW)
    by_expiry = {top_up.expires: top_up.left for top_up in ledger.state.top_ups}
    # The top-up of the 26th first, then the month's allowance (the 30th), then the 31st's.
    assert by_expiry[soon] == 0
    assert ledger.state.plan_left == 3 * GIB - 512 * MIB
    assert by_expiry[later] == GIB
    assert by_expiry[None] == GIB
    # The 26th's top-up is gone after its day.
    ledger.roll_over(_at("2025-11-27T00:00:00"))
    assert soon not in {top_up.expires for top_up in ledger.state.top_ups}


def test_top_ups_with_the_same_expiry_are_one_bucket_and_survive_a_restart() -> None:
    ledger = _started()
    for _ in range(150):
        ledger.add_top_up(GIB, None, NOW)
    assert len(ledger.state.top_ups) == 1
    assert ledger.total_left() == 3 * GIB + 150 * GIB
    # 150 GiB once became 50 GiB at a restart; now all of it comes back.
    assert _restarted(ledger).total_left() == 153 * GIB


def test_past_the_bound_of_distinct_top_ups_the_ledger_refuses() -> None:
    ledger = _started()
    for day in range(MAX_TOP_UPS):
        ledger.add_top_up(MIB, NOW + timedelta(days=day + 1), NOW)
    with pytest.raises(TopUpLimitError):
        ledger.add_top_up(MIB, NOW + timedelta(days=500), NOW)
    # One with an expiry already held still merges.
    ledger.add_top_up(MIB, NOW + timedelta(days=1), NOW)
    restored = _restarted(ledger)
    assert len(restored.state.top_ups) == MAX_TOP_UPS
    assert restored.total_left() == ledger.total_left()
    # A notice's top-up past the bound is left out, never an error.
    assert _notice(ledger, "t", Evidence(NoticeKind.TOP_UP, GIB, NOW + timedelta(days=600)))
    assert len(ledger.state.top_ups) == MAX_TOP_UPS


def test_a_correction_keeps_what_top_ups_still_hold() -> None:
    ledger = _started()
    ledger.add_top_up(GIB, None, NOW)
    ledger.set_remaining(2 * GIB, NOW)
    assert ledger.state.plan_left == GIB
    # Less than the top-ups hold: they give way, the one expiring first first.
    ledger.set_remaining(512 * MIB, NOW)
    assert ledger.state.plan_left == 0
    assert ledger.total_left() == 512 * MIB


# -- notices -------------------------------------------------------------------------------------


def test_remaining_sets_the_figure_and_its_expiry() -> None:
    ledger = _started()
    expires = end_of_day(date(2025, 11, 28))
    assert _notice(ledger, "a", Evidence(NoticeKind.REMAINING, GIB, expires))
    assert ledger.total_left() == GIB
    assert ledger.plan_expires(NOW) == expires
    assert ledger.state.last_notice == NOW


def test_usage_exceeded_is_a_lower_bound_that_never_raises_what_is_left() -> None:
    # The issue: remaining 1.0 GB, used 3.57 GB of a 20 GB plan with no top-up... then
    # 「データ量が1GBを超えました」 moved remaining to 19 GB and used to 1 GB.
    ledger = _started(PlanTerms(MonthlyPlan(1), 20 * GIB, counted=True))
    ledger.count("rx", 0, NOW)
    ledger.count("rx", round(3.57 * GIB), NOW)
    ledger.set_remaining(GIB, NOW)
    _notice(ledger, "exceeded", Evidence(NoticeKind.USAGE_EXCEEDED, GIB))
    assert ledger.total_left() == GIB
    assert ledger.state.used == round(3.57 * GIB)
    assert ledger.state.throttled is None
    # A bound above what we know lowers what is left to match, and raises used to it.
    _notice(ledger, "exceeded 19.5", Evidence(NoticeKind.USAGE_EXCEEDED, round(19.5 * GIB)))
    assert ledger.total_left() == round(0.5 * GIB)
    assert ledger.state.used == round(19.5 * GIB)


def test_usage_exceeded_past_everything_means_nothing_is_left_even_unknown() -> None:
    ledger = _started(PlanTerms(MonthlyPlan(1), 3 * GIB, counted=False))
    _notice(ledger, "small", Evidence(NoticeKind.USAGE_EXCEEDED, GIB))
    # Less than the plan: what is left stays unknown, and used too.
    assert ledger.total_left() is None
    assert ledger.state.used is None
    _notice(ledger, "all", Evidence(NoticeKind.USAGE_EXCEEDED, 3 * GIB))
    assert ledger.total_left() == 0
    # Without an allowance the bound says nothing about what is left.
    free = _started(PlanTerms(MonthlyPlan(1), None, counted=False))
    _notice(free, "all", Evidence(NoticeKind.USAGE_EXCEEDED, 30 * GIB))
    assert free.total_left() is None


def test_used_sets_use_and_the_plan_follows_unless_remaining_is_stated() -> None:
    ledger = _started()
    _notice(ledger, "u", Evidence(NoticeKind.USED, GIB))
    assert ledger.state.used == GIB
    assert ledger.total_left() == 2 * GIB
    _notice(
        ledger,
        "u+r",
        Evidence(NoticeKind.USED, 2 * GIB),
        Evidence(NoticeKind.REMAINING, 100 * MIB),
    )
    assert ledger.state.used == 2 * GIB
    assert ledger.total_left() == 100 * MIB


def test_throttling_top_up_and_expiry_statements() -> None:
    ledger = _started()
    _notice(ledger, "t", Evidence(NoticeKind.THROTTLED))
    assert ledger.state.throttled is True
    _notice(ledger, "u", Evidence(NoticeKind.UNTHROTTLED))
    # Read again: mypy narrowed the field to True by the assertion above.
    throttled: bool | None = ledger.state.throttled
    assert throttled is False
    expires = end_of_day(date(2025, 12, 10))
    _notice(ledger, "top", Evidence(NoticeKind.TOP_UP, GIB, expires))
    assert ledger.total_left() == 4 * GIB
    _notice(ledger, "exp", Evidence(NoticeKind.EXPIRY, expires=expires))
    assert ledger.plan_expires(NOW) == expires
    # A zero top-up adds no bucket.
    _notice(ledger, "zero", Evidence(NoticeKind.TOP_UP, 0))
    assert len(ledger.state.top_ups) == 1


def test_a_statement_about_data_already_expired_moves_nothing() -> None:
    ledger = _started()
    past = end_of_day(date(2025, 11, 1))
    _notice(ledger, "old", Evidence(NoticeKind.REMAINING, 100 * MIB, past))
    _notice(ledger, "old expiry", Evidence(NoticeKind.EXPIRY, expires=past))
    assert ledger.total_left() == 3 * GIB
    assert ledger.state.plan_expires is None
    # An amount-less statement of an amount kind says nothing either.
    _notice(ledger, "empty", Evidence(NoticeKind.REMAINING))
    assert ledger.total_left() == 3 * GIB


def test_a_notice_applies_once_in_its_period_and_the_next_and_across_a_restart() -> None:
    ledger = _started()
    assert _notice(ledger, "n", Evidence(NoticeKind.REMAINING, GIB))
    ledger.set_remaining(2 * GIB, NOW)
    # Later the same month, and after a restart: the old notice undoes nothing.
    ledger = _restarted(ledger)
    assert not _notice(
        ledger, "n", Evidence(NoticeKind.REMAINING, GIB), now=_at("2025-11-29T10:00")
    )
    assert ledger.total_left() == 2 * GIB
    # Repeated on the 1st of the next month: still known.
    december = _at("2025-12-01T09:00")
    assert not _notice(ledger, "n", Evidence(NoticeKind.REMAINING, GIB), now=december)
    # Two periods on, it is forgotten.
    assert _notice(ledger, "n", Evidence(NoticeKind.REMAINING, GIB), now=_at("2026-01-02T09:00"))


def test_the_memory_is_bounded_and_reads_its_first_stored_shape() -> None:
    memory = NoticeMemory()
    for index in range(MAX_REMEMBERED + 5):
        memory.remember(f"d{index}", "2025-11-01")
    assert len(memory) == MAX_REMEMBERED
    assert "d0" not in memory
    assert f"d{MAX_REMEMBERED + 4}" in memory
    # The first stored version kept bare digests of the current period.
    restored, damaged = NoticeMemory.restore(
        ["abc", ["def", "2025-10-01"], ["ghi", None], ["bad"], [1, "x"], "não"],
        stored_period,
        "2025-11-01",
    )
    assert damaged
    assert "abc" in restored
    assert "def" in restored
    assert "ghi" in restored
    assert len(restored) == 3
    restored.new_period("2025-11-01")
    assert "abc" in restored
    assert "def" not in restored
    assert stored_digest("x" * 65) is None


# -- restoring -----------------------------------------------------------------------------------


def test_one_restore_path_keeps_each_readable_field() -> None:
    ledger = _started()
    ledger.add_top_up(GIB, end_of_day(date(2025, 12, 31)), NOW)
    _notice(ledger, "n", Evidence(NoticeKind.THROTTLED))
    data: dict[str, Any] = json.loads(json.dumps(ledger_as_dict(ledger)))
    data["plan_left"] = "lots"
    data["throttled"] = "yes"
    data["top_ups"].append({"amount": 5, "left": 9})
    data["seen"] = "everything"
    data["charged"] = -1
    reader = StoredFields(data)
    restored = restore_ledger(MONTHLY, data, reader)
    assert set(reader.dropped) == {"plan_left", "throttled", "top_ups", "seen", "charged"}
    assert restored.state.plan_left is None
    assert restored.state.throttled is None
    assert len(restored.state.top_ups) == 1
    # What was charged is unknown: nothing is charged twice.
    assert restored.state.charged == restored.state.counter.used


def test_an_unreadable_allowance_shifts_nothing() -> None:
    ledger = _started()
    data = ledger_as_dict(ledger) | {"allowance": "3GB"}
    reader = StoredFields(data)
    restored = restore_ledger(PlanTerms(MonthlyPlan(1), 5 * GIB, True), data, reader)
    restored.follow_allowance()
    assert restored.total_left() == 3 * GIB
    assert "allowance" in reader.dropped


def test_missing_fields_of_later_versions_are_not_damage() -> None:
    ledger = _started()
    data = ledger_as_dict(ledger)
    del data["plan_expires"]
    del data["seen"]
    reader = StoredFields(data)
    restore_ledger(MONTHLY, data, reader)
    assert reader.dropped == []
    bare = StoredFields({})
    restore_ledger(MONTHLY, {}, bare)
    assert "period" in bare.dropped
    assert "top_ups" in bare.dropped


_STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("count"), st.integers(min_value=0, max_value=5 * GIB)),
        st.tuples(st.just("top_up"), st.integers(min_value=1, max_value=2 * GIB)),
        st.tuples(st.just("set"), st.integers(min_value=0, max_value=5 * GIB)),
        st.tuples(st.just("exceeded"), st.integers(min_value=0, max_value=6 * GIB)),
        st.tuples(st.just("day"), st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("restart"), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_STEPS)
def test_figures_stay_whole_and_a_restart_changes_nothing(steps: list[tuple[str, int]]) -> None:
    ledger, now = _started(), NOW
    for index, (step, value) in enumerate(steps):
        if step == "count":
            ledger.count("rx", value, now)
        elif step == "top_up":
            ledger.try_add(value, None)
        elif step == "set":
            ledger.set_remaining(value, now)
        elif step == "exceeded":
            before = ledger.total_left()
            _notice(ledger, f"e{index}", Evidence(NoticeKind.USAGE_EXCEEDED, value), now=now)
            after = ledger.total_left()
            assert before is None or after is None or after <= before
        elif step == "day":
            now += timedelta(days=value)
            ledger.roll_over(now)
        else:
            stored = ledger_as_dict(ledger)
            ledger = _restarted(ledger)
            assert ledger_as_dict(ledger) == stored
        left = ledger.total_left()
        assert left is None or left >= 0
        assert all(0 <= top_up.left <= top_up.amount for top_up in ledger.state.top_ups)
        assert all(isinstance(bucket.kind, BucketKind) for bucket in ledger.buckets(now))


# -- plans without a cap -------------------------------------------------------------------------

STEPPED = PlanTerms(
    MonthlyPlan(1),
    None,
    counted=True,
    steps=UsageSteps(PlanKind.PRICE_STEPS, (3 * GIB, 20 * GIB)),
)


def test_a_stepped_month_counts_use_toward_the_next_step_and_starts_again() -> None:
    """Across a price step and the month's end: use resets, the next step is the first again."""
    ledger = _started(STEPPED)
    assert (ledger.state.used, ledger.next_step(), ledger.left_until_next_step()) == (
        0,
        3 * GIB,
        3 * GIB,
    )
    ledger.count("sensor.phone_rx", 0, NOW)
    ledger.count("sensor.phone_rx", 3 * GIB - 100 * MIB, NOW + timedelta(days=1))
    assert ledger.left_until_next_step() == 100 * MIB
    # No cap: nothing is "left", and a monthly plan has no bucket that could expire.
    assert ledger.total_left() is None
    assert ledger.buckets(NOW) == ()

    ledger.count("sensor.phone_rx", 4 * GIB, NOW + timedelta(days=2))
    assert (ledger.next_step(), ledger.left_until_next_step()) == (20 * GIB, 16 * GIB)
    ledger = _restarted(ledger)
    assert (ledger.state.used, ledger.next_step()) == (4 * GIB, 20 * GIB)

    ledger.count("sensor.phone_rx", 21 * GIB, _at("2025-11-30T23:59:00"))
    assert (ledger.next_step(), ledger.left_until_next_step()) == (None, None)
    # December: use starts again from nothing, the next step is the first one.
    ledger.count("sensor.phone_rx", 21 * GIB + 10 * MIB, _at("2025-12-01T00:00:00"))
    assert ledger.state.used == 10 * MIB
    assert (ledger.next_step(), ledger.left_until_next_step()) == (3 * GIB, 3 * GIB - 10 * MIB)


def test_a_stepped_plan_without_a_counter_learns_use_from_notices_only() -> None:
    terms = PlanTerms(
        MonthlyPlan(1), None, counted=False, steps=UsageSteps(PlanKind.THROTTLE_TIER, (30 * GIB,))
    )
    ledger = _started(terms)
    assert (ledger.state.used, ledger.next_step(), ledger.left_until_next_step()) == (
        None,
        None,
        None,
    )
    assert _notice(ledger, "a", Evidence(NoticeKind.USED, 25 * GIB))
    assert (ledger.next_step(), ledger.left_until_next_step()) == (30 * GIB, 5 * GIB)
    # A travel plan without a cap still ends: its bucket carries the plan's end, no figure.
    travel = _started(
        PlanTerms(
            ValidityPlan(date(2025, 11, 20), date(2025, 11, 30)),
            None,
            counted=True,
            steps=UsageSteps(PlanKind.THROTTLE_TIER, (3 * GIB,)),
        )
    )
    (plan,) = travel.buckets(NOW)
    assert (plan.remaining, plan.total, plan.expires) == (
        None,
        None,
        end_of_day(date(2025, 11, 30)),
    )
    # An allowance plan has no steps.
    assert (_started().next_step(), _started().left_until_next_step()) == (None, None)
