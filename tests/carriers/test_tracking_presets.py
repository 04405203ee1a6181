"""Carrier presets: every value has a public source, and suggestions are usable by the forms."""

from __future__ import annotations

from datetime import date

import pytest

from custom_components.japan_sim_data.carriers.notices import parse_notice
from custom_components.japan_sim_data.carriers.tracking_presets import (
    PRESETS,
    NoticeStatement,
    PlanSize,
    ResetRule,
    official_senders,
    preset_for,
)
from custom_components.japan_sim_data.carriers.tracking_senders import SenderFilter
from custom_components.japan_sim_data.carriers.units import GIB, MIB
from custom_components.japan_sim_data.const import TRACKED_CARRIERS

# The brands issue 24 names, by their key in the tracker's carrier list.
BRANDS = (
    "docomo",
    "ahamo",
    "irumo",
    "eximo",
    "au",
    "uq_mobile",
    "rakuten_mobile",
    "softbank",
    "linemo",
    "ymobile",
    "travel",
)


def test_every_named_brand_has_a_preset_and_every_preset_a_brand() -> None:
    assert set(BRANDS) <= set(PRESETS)
    assert set(PRESETS) <= set(TRACKED_CARRIERS)
    assert preset_for(None) is None
    assert preset_for("other") is None


@pytest.mark.parametrize("brand", sorted(PRESETS))
def test_every_value_names_its_source(brand: str) -> None:
    preset = PRESETS[brand]
    sources = [preset.reset_source, *(notice.source for notice in preset.notices)]
    if preset.plans:
        assert preset.plans_source is not None
        sources.append(preset.plans_source)
    for source in sources:
        assert source.url.startswith(("https://", "http://"))
        assert date(2026, 1, 1) <= source.read <= date(2026, 12, 31)


@pytest.mark.parametrize("brand", sorted(PRESETS))
def test_suggestions_fit_the_forms(brand: str) -> None:
    """A reset day the monthly form takes; sizes and steps that make sense; a real suggestion."""
    preset = PRESETS[brand]
    if preset.reset is ResetRule.VALIDITY:
        assert preset.reset_day is None
    elif preset.reset_day is not None:
        assert 1 <= preset.reset_day <= 31
    for plan in preset.plans:
        assert list(plan.price_steps) == sorted(set(plan.price_steps))
        if plan.allowance is not None:
            assert 0 < plan.allowance <= 1024 * GIB
            assert all(step < plan.allowance for step in plan.price_steps)
        assert plan.days is None or preset.reset is ResetRule.VALIDITY
    if preset.suggested is not None:
        assert preset.suggested_plan is not None
    for notice in preset.notices:
        assert notice.channel in ("email", "sms")
        assert all(0 < threshold < GIB for threshold in notice.thresholds)


def test_sizes_as_the_plans_state_them() -> None:
    """GB as carriers count them: irumo's 0.5 GB is 512 MiB."""
    irumo = PRESETS["irumo"]
    assert [plan.gigabytes for plan in irumo.plans] == [0.5, 3, 6, 9]
    assert irumo.plans[0].allowance == 512 * MIB
    assert irumo.suggested_plan is None
    rakuten = PRESETS["rakuten_mobile"].suggested_plan
    assert rakuten == PlanSize("Rakuten最強プラン", None, (3 * GIB, 20 * GIB))
    assert rakuten.gigabytes is None
    travel = PRESETS["travel"].suggested_plan
    assert travel is not None
    assert (travel.gigabytes, travel.days) == (5, 21)


def test_docomos_notice_shape_is_read_as_data_left() -> None:
    """docomo's subject shape, with an amount, is a remaining figure for the notice reader."""
    (notice,) = PRESETS["docomo"].notices
    assert notice.kind is NoticeStatement.REMAINING
    reading = parse_notice(notice.shape.replace("〇〇", "500"))
    assert reading is not None
    assert reading.remaining == 500 * MIB


def test_povos_thresholds() -> None:
    (notice,) = PRESETS["povo"].notices
    assert notice.thresholds == (500 * MIB, 100 * MIB)
    assert notice.channel == "email"


def test_official_senders_are_a_working_filter() -> None:
    """docomo's plans mail from docomo-bill.ne.jp; a brand with none known filters nothing."""
    for brand in ("docomo", "irumo", "eximo"):
        assert official_senders(brand) == ["docomo-bill.ne.jp"]
    # ahamo is a brand of its own: no public page names its notices' sender.
    assert official_senders("ahamo") == []
    senders = SenderFilter.of(official_senders("docomo"))
    assert senders.accepts("DoCoMo@docomo-bill.ne.jp")
    assert not senders.accepts("x@docomo.ne.jp")
    assert official_senders("au") == []
    assert official_senders("mineo") == []
    assert official_senders(None) == []
