"""Adding a tracked SIM, and changing its plan, usage sensors and notices in the options."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_CARRIER,
    CONF_END_DATE,
    CONF_NOTICE_ATTRIBUTE,
    CONF_NOTICE_ENTITIES,
    CONF_NOTICE_EVENTS,
    CONF_NOTICE_PATTERNS,
    CONF_NOTICE_SENDERS,
    CONF_NOTICE_TEXT_FIELD,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    CONF_VALIDITY_DAYS,
    DOMAIN,
)
from custom_components.japan_sim_data.tracker_flow import plan_schema

from .conftest import FROZEN_NOW

GOOD_PATTERN = r"BAL:(?P<amount>[\d.]+)(?P<unit>MB)"


@pytest.fixture(autouse=True)
def no_setup() -> Any:
    """The flows are tested here; setting up the entries is tested in test_tracker.py."""
    with patch("custom_components.japan_sim_data.async_setup_entry", return_value=True):
        yield


async def _start(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert "tracker" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tracker"}
    )
    assert result["step_id"] == "tracker"
    return result


async def _answer_plan(
    hass: HomeAssistant, result: ConfigFlowResult, answers: dict[str, Any]
) -> ConfigFlowResult:
    """Answer the name-and-brand form, then the plan form, as a user does."""
    brand = {key: answers[key] for key in (CONF_NAME, CONF_TRACKED_CARRIER)}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], brand)
    assert result["step_id"] == "tracker_plan"
    plan = {key: value for key, value in answers.items() if key not in brand}
    return await hass.config_entries.flow.async_configure(result["flow_id"], plan)


async def test_monthly_tracker_with_a_router(hass: HomeAssistant) -> None:
    result = await _start(hass)
    result = await _answer_plan(
        hass,
        result,
        {
            CONF_NAME: " Router SIM ",
            CONF_TRACKED_CARRIER: "docomo",
            CONF_ALLOWANCE: 30,
            CONF_PLAN_SHAPE: "monthly",
        },
    )
    assert result["step_id"] == "tracker_monthly"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RESET_DAY: 1.0}
    )
    assert result["step_id"] == "tracker_sources"
    # A bad pattern is refused on its field, and what was entered is kept.
    sources = {
        CONF_USAGE_SENSORS: ["sensor.router_download", "sensor.router_upload"],
        CONF_NOTICE_EVENTS: ["imap_content"],
        CONF_NOTICE_SENDERS: [" docomo.ne.jp ", ""],
        CONF_NOTICE_PATTERNS: ["残り(?P<amount>[\\d.]+"],
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], sources)
    assert result["errors"] == {CONF_NOTICE_PATTERNS: "pattern_syntax"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**sources, CONF_NOTICE_PATTERNS: [GOOD_PATTERN]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Router SIM"
    # The plan's fields one by one: the entry may carry more (the plan's kind).
    expected = {
        CONF_CARRIER: "tracker",
        CONF_TRACKED_CARRIER: "docomo",
        CONF_ALLOWANCE: 30.0,
        CONF_PLAN_SHAPE: "monthly",
        CONF_RESET_DAY: 1,
    }
    assert {key: result["data"].get(key) for key in expected} == expected
    assert result["options"][CONF_NOTICE_SENDERS] == ["docomo.ne.jp"]
    assert result["options"][CONF_NOTICE_PATTERNS] == [GOOD_PATTERN]
    unique_id = result["result"].unique_id
    assert unique_id is not None
    assert len(unique_id) == 32


@pytest.mark.parametrize(
    ("plan", "errors"),
    [
        ({}, {"base": "days_or_end_date"}),
        ({CONF_VALIDITY_DAYS: 8, CONF_END_DATE: "2025-12-02"}, {"base": "days_or_end_date"}),
        ({CONF_END_DATE: "2025-11-01"}, {CONF_END_DATE: "end_before_start"}),
        # Days outside 2000..2100: the flow used to raise OverflowError at 9999.
        (
            {CONF_START_DATE: "9999-12-25", CONF_VALIDITY_DAYS: 30},
            {CONF_START_DATE: "date_out_of_range"},
        ),
        (
            {CONF_START_DATE: "1999-12-31", CONF_VALIDITY_DAYS: 1},
            {CONF_START_DATE: "date_out_of_range"},
        ),
        ({CONF_END_DATE: "9999-12-31"}, {CONF_END_DATE: "date_out_of_range"}),
        (
            {CONF_START_DATE: "2100-12-01", CONF_VALIDITY_DAYS: 3650},
            {CONF_END_DATE: "date_out_of_range"},
        ),
    ],
)
async def test_validity_errors(
    hass: HomeAssistant, plan: dict[str, Any], errors: dict[str, str]
) -> None:
    result = await _start(hass)
    result = await _answer_plan(
        hass,
        result,
        {CONF_NAME: "eSIM", CONF_TRACKED_CARRIER: "travel", CONF_PLAN_SHAPE: "validity"},
    )
    assert result["step_id"] == "tracker_validity"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_START_DATE: "2025-11-25", **plan}
    )
    assert result["errors"] == errors


@pytest.mark.parametrize(
    ("plan", "end"),
    [({CONF_VALIDITY_DAYS: 8.0}, "2025-12-02"), ({CONF_END_DATE: "2025-11-30"}, "2025-11-30")],
)
async def test_travel_esim_with_nothing_else(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, plan: dict[str, Any], end: str
) -> None:
    freezer.move_to(FROZEN_NOW)
    result = await _start(hass)
    result = await _answer_plan(
        hass,
        result,
        {
            CONF_NAME: "  ",
            CONF_TRACKED_CARRIER: "travel",
            CONF_ALLOWANCE: 3,
            CONF_PLAN_SHAPE: "validity",
        },
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_START_DATE: "2025-11-25", **plan}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Travel SIM"
    assert result["data"][CONF_START_DATE] == "2025-11-25"
    assert result["data"][CONF_END_DATE] == end
    assert result["options"] == {CONF_NOTICE_TEXT_FIELD: "text"}


async def test_several_sims_can_be_tracked(hass: HomeAssistant) -> None:
    for name in ("A", "B"):
        result = await _start(hass)
        result = await _answer_plan(
            hass,
            result,
            {CONF_NAME: name, CONF_TRACKED_CARRIER: "other", CONF_PLAN_SHAPE: "monthly"},
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_RESET_DAY: 1}
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert CONF_ALLOWANCE not in result["data"]
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


# -- options and reconfigure -------------------------------------------------------------------


def _tracker_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Router SIM",
        unique_id="tracker-id",
        data={
            CONF_CARRIER: "tracker",
            CONF_TRACKED_CARRIER: "docomo",
            CONF_ALLOWANCE: 3.0,
            CONF_PLAN_SHAPE: "monthly",
            CONF_RESET_DAY: 1,
        },
        options={CONF_USAGE_SENSORS: ["sensor.router_download"], "low_data_threshold": 1.0},
    )


async def _options(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> ConfigFlowResult:
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["menu_options"] == ["alerts", "plan", "usage", "notices", "inquiry"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def test_options_refuse_a_bad_pattern_and_lose_nothing(hass: HomeAssistant) -> None:
    entry = _tracker_entry()
    result = await _options(hass, entry, "notices")
    answers = {
        CONF_NOTICE_EVENTS: ["sms.incoming_sms", "esphome.sms"],
        CONF_NOTICE_TEXT_FIELD: " message ",
        CONF_NOTICE_ENTITIES: ["sensor.pixel_last_notification"],
        CONF_NOTICE_ATTRIBUTE: " android.text ",
        CONF_NOTICE_PATTERNS: [GOOD_PATTERN, r"残り(?P<value>\d+)GB"],
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], answers)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NOTICE_PATTERNS: "pattern_missing_groups"}
    # The form comes back with everything the user entered.
    schema = result["data_schema"]
    assert schema is not None
    schema_defaults = {
        str(key): key.description.get("suggested_value") for key in schema.schema if key.description
    }
    assert schema_defaults[CONF_NOTICE_PATTERNS] == answers[CONF_NOTICE_PATTERNS]
    assert schema_defaults[CONF_NOTICE_EVENTS] == answers[CONF_NOTICE_EVENTS]
    assert entry.options.get(CONF_NOTICE_PATTERNS) is None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**answers, CONF_NOTICE_PATTERNS: [GOOD_PATTERN]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_NOTICE_PATTERNS] == [GOOD_PATTERN]
    assert entry.options[CONF_NOTICE_TEXT_FIELD] == "message"
    assert entry.options[CONF_NOTICE_ATTRIBUTE] == "android.text"
    # The other groups' options are kept.
    assert entry.options[CONF_USAGE_SENSORS] == ["sensor.router_download"]
    assert entry.options["low_data_threshold"] == 1.0


async def test_options_usage_sensors_can_be_cleared(hass: HomeAssistant) -> None:
    entry = _tracker_entry()
    result = await _options(hass, entry, "usage")
    assert result["step_id"] == "usage"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_USAGE_SENSORS not in entry.options
    assert entry.options["low_data_threshold"] == 1.0


async def test_options_change_the_plan(hass: HomeAssistant) -> None:
    entry = _tracker_entry()
    result = await _options(hass, entry, "plan")
    assert result["step_id"] == "plan"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_TRACKED_CARRIER: "ahamo", CONF_ALLOWANCE: 20, CONF_PLAN_SHAPE: "monthly"},
    )
    assert result["step_id"] == "plan_monthly"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_RESET_DAY: 15}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.data[CONF_TRACKED_CARRIER] == "ahamo"
    assert entry.data[CONF_ALLOWANCE] == 20.0
    assert entry.data[CONF_RESET_DAY] == 15
    assert entry.options[CONF_USAGE_SENSORS] == ["sensor.router_download"]

    # To a fixed validity, with a mistake first; an allowance left empty is removed.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "plan"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TRACKED_CARRIER: "travel", CONF_PLAN_SHAPE: "validity"}
    )
    assert result["step_id"] == "plan_validity"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_START_DATE: "2025-12-01"}
    )
    assert result["errors"] == {"base": "days_or_end_date"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_START_DATE: "2025-12-01", CONF_VALIDITY_DAYS: 30}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_CARRIER: "tracker",
        CONF_TRACKED_CARRIER: "travel",
        CONF_PLAN_SHAPE: "validity",
        CONF_START_DATE: "2025-12-01",
        CONF_END_DATE: "2025-12-30",
    }
    assert {key: entry.data.get(key) for key in expected} == expected
    assert CONF_ALLOWANCE not in entry.data
    assert CONF_RESET_DAY not in entry.data


async def test_reconfigure_changes_the_plan(hass: HomeAssistant) -> None:
    """Reconfigure on a tracked SIM edits its plan (it has no login), keeping everything else."""
    entry = _tracker_entry()
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_plan"
    assert _suggested(result)[CONF_ALLOWANCE] == 3.0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_TRACKED_CARRIER: "travel", CONF_ALLOWANCE: 5, CONF_PLAN_SHAPE: "validity"},
    )
    assert result["step_id"] == "reconfigure_validity"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_START_DATE: "2025-12-10", CONF_END_DATE: "2025-12-01"}
    )
    assert result["errors"] == {CONF_END_DATE: "end_before_start"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_START_DATE: "2025-12-01", CONF_END_DATE: "2025-12-30"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plan_updated"
    expected = {
        CONF_CARRIER: "tracker",
        CONF_TRACKED_CARRIER: "travel",
        CONF_ALLOWANCE: 5.0,
        CONF_PLAN_SHAPE: "validity",
        CONF_START_DATE: "2025-12-01",
        CONF_END_DATE: "2025-12-30",
    }
    assert {key: entry.data.get(key) for key in expected} == expected
    assert CONF_RESET_DAY not in entry.data  # the monthly plan's day went with it
    assert entry.options[CONF_USAGE_SENSORS] == ["sensor.router_download"]
    assert entry.title == "Router SIM"


def _suggested(result: ConfigFlowResult) -> dict[str, Any]:
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description.get("suggested_value") for key in schema.schema if key.description
    }


@pytest.mark.parametrize(("carrier", "senders"), [("docomo", ["docomo-bill.ne.jp"]), ("au", [])])
async def test_the_sources_form_offers_the_carriers_own_senders(
    hass: HomeAssistant, carrier: str, senders: list[str]
) -> None:
    """docomo's billing sender is offered as the filter; a carrier with none known offers none."""
    result = await _start(hass)
    result = await _answer_plan(
        hass,
        result,
        {
            CONF_NAME: "SIM",
            CONF_TRACKED_CARRIER: carrier,
            CONF_ALLOWANCE: 3,
            CONF_PLAN_SHAPE: "monthly",
        },
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 1})
    assert result["step_id"] == "tracker_sources"
    assert _suggested(result)[CONF_NOTICE_SENDERS] == senders


async def test_the_notices_options_offer_the_senders_until_the_user_changes_them(
    hass: HomeAssistant,
) -> None:
    entry = _tracker_entry()
    result = await _options(hass, entry, "notices")
    assert _suggested(result)[CONF_NOTICE_SENDERS] == ["docomo-bill.ne.jp"]
    # A filter the user emptied stays empty.
    hass.config_entries.async_update_entry(entry, options={CONF_NOTICE_SENDERS: []})
    hass.config_entries.options.async_abort(result["flow_id"])
    result = await _options(hass, entry, "notices")
    assert _suggested(result)[CONF_NOTICE_SENDERS] == []


# -- the plan form starts from the brand's preset (carriers/tracking_presets.py) --------------


async def _plan_form(hass: HomeAssistant, brand: str) -> ConfigFlowResult:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "SIM", CONF_TRACKED_CARRIER: brand}
    )
    assert result["step_id"] == "tracker_plan"
    return result


@pytest.mark.parametrize(
    ("brand", "suggested", "sizes"),
    [
        ("ahamo", {CONF_ALLOWANCE: 30.0, CONF_PLAN_SHAPE: "monthly"}, "ahamo (30 GB)"),
        (
            "irumo",
            {CONF_PLAN_SHAPE: "monthly"},
            "irumo 0.5GB (0.5 GB), irumo 3GB (3 GB), irumo 6GB (6 GB), irumo 9GB (9 GB)",
        ),
        # A plan without a cap: nothing to fill in as an allowance.
        ("rakuten_mobile", {CONF_PLAN_SHAPE: "monthly"}, "Rakuten最強プラン"),
        (
            "travel",
            {CONF_ALLOWANCE: 5.0, CONF_PLAN_SHAPE: "validity"},
            "VISITOR SIM 5GB / 21Days (5 GB)",
        ),
        ("other", {}, "-"),
    ],
)
async def test_the_plan_form_starts_from_the_brands_preset(
    hass: HomeAssistant, brand: str, suggested: dict[str, Any], sizes: str
) -> None:
    result = await _plan_form(hass, brand)
    plan = (CONF_ALLOWANCE, CONF_PLAN_SHAPE)
    assert {key: value for key, value in _suggested(result).items() if key in plan} == suggested
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders["plan_sizes"] == sizes
    if sizes == "-":
        assert placeholders["plan_source"] == "-"
    else:
        assert placeholders["plan_source"].startswith("http")
        assert placeholders["plan_source"].endswith("(2026-12-06)")


async def test_a_travel_sims_validity_starts_today_for_its_days(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(FROZEN_NOW)
    result = await _plan_form(hass, "travel")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ALLOWANCE: 5, CONF_PLAN_SHAPE: "validity"}
    )
    assert result["step_id"] == "tracker_validity"
    assert _suggested(result) == {CONF_START_DATE: "2025-11-25", CONF_VALIDITY_DAYS: 21}


@pytest.mark.parametrize(("brand", "reset_day"), [("au", 1), ("softbank", None), ("other", None)])
async def test_the_monthly_form_suggests_a_reset_day_only_when_it_is_the_brands(
    hass: HomeAssistant, brand: str, reset_day: int | None
) -> None:
    """SoftBank's day follows each contract's billing cycle (11th, 21st or 1st): not guessed."""
    result = await _plan_form(hass, brand)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PLAN_SHAPE: "monthly"}
    )
    assert result["step_id"] == "tracker_monthly"
    assert _suggested(result).get(CONF_RESET_DAY) == reset_day


async def test_a_validity_plan_without_a_known_length_starts_today(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """ahamo's plan is monthly: as a validity plan, only the start is suggested."""
    freezer.move_to(FROZEN_NOW)
    result = await _plan_form(hass, "ahamo")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PLAN_SHAPE: "validity"}
    )
    assert _suggested(result) == {CONF_START_DATE: "2025-11-25"}


def test_the_one_form_plan_names_the_sim_when_asked() -> None:
    """The options' plan form has no name; the same form can ask for one."""
    assert [str(key) for key in plan_schema(with_name=True).schema][:2] == [
        CONF_NAME,
        CONF_TRACKED_CARRIER,
    ]
    assert CONF_NAME not in [str(key) for key in plan_schema(with_name=False).schema]
