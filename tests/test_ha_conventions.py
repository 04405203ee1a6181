"""Home Assistant's conventions on screen: devices without English literals, a link to the
carrier's member page, and binary sensors whose states say what they mean in every language.
"""

from __future__ import annotations

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.binary_sensor import BINARY_SENSORS
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_CARRIER,
    CONF_EXPIRY_LEAD_DAYS,
    CONF_INQUIRY_ACTION,
    CONF_INQUIRY_MESSAGE,
    CONF_INQUIRY_RECIPIENT,
    CONF_LOW_DATA_THRESHOLD,
    CONF_LOW_DATA_UNIT,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_START_DATE,
    CONF_TRACKED_CARRIER,
    CONF_VALIDITY_DAYS,
    DOMAIN,
)
from custom_components.japan_sim_data.entity import MEMBER_PAGES, member_page
from custom_components.japan_sim_data.tracker_flow import (
    clean_inquiry,
    plan_errors,
    sms_actions,
    validity_plan,
)

LANGUAGES = ("en", "ja", "zh-Hans", "zh-Hant")
# What Home Assistant shows for a "problem" binary sensor, in the words these states replace.
PROBLEM_STATES = {"OK", "Problem", "問題発生", "問題点", "正常", "异常", "異常"}


async def test_devices_link_the_member_page_and_carry_no_english_model(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registry = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(registry, init_integration.entry_id)
    (account,) = (d for d in devices if (DOMAIN, init_integration.entry_id) in d.identifiers)
    sims = [device for device in devices if device.id != account.id]
    assert sims
    assert (account.name, account.manufacturer, account.model) == ("IIJmio mi***", "IIJmio", None)
    assert account.configuration_url == "https://www.iijmio.jp/auth/login/"
    for sim in sims:
        assert sim.manufacturer == "IIJmio"
        assert sim.model  # the plan's name, as IIJmio gives it
        assert sim.model != "Account"
        assert sim.configuration_url == account.configuration_url
        assert sim.via_device_id == account.id


def test_member_pages_are_the_carriers_own_https_pages() -> None:
    hosts = {
        Carrier.IIJMIO: "www.iijmio.jp",
        Carrier.SOFTBANK: "my.softbank.jp",
        Carrier.YMOBILE: "my.ymobile.jp",
        Carrier.MINEO: "my.mineo.jp",
    }
    for carrier, url in MEMBER_PAGES.items():
        assert url.startswith(f"https://{hosts[carrier]}/"), carrier
    # povo lives in its app; LINEMO's own site is not the SoftBank pages the adapter reads.
    assert member_page(Carrier.POVO) is None
    assert member_page(Carrier.LINEMO) is None
    assert member_page(Carrier.TRACKER) is None


# A tracked SIM's maker (none for a travel SIM): tests/test_tracker_device.py, through set-up.


async def test_binary_sensor_states_are_their_own_words(hass: HomeAssistant) -> None:
    """ "Throttled: OK / Problem" read as 「OK / 問題点」: each state says what it means."""
    for language in LANGUAGES:
        served = await async_get_translations(hass, language, "entity", {DOMAIN})
        for description in BINARY_SENSORS:
            if description.device_class is not BinarySensorDeviceClass.PROBLEM:
                continue  # Home Assistant's own on / off reads right for the others
            prefix = f"component.{DOMAIN}.entity.binary_sensor.{description.translation_key}"
            on, off = served[f"{prefix}.state.on"], served[f"{prefix}.state.off"]
            assert on != off, (language, description.key)
            assert not {on, off} & PROBLEM_STATES, (language, description.key, on, off)


async def test_only_actions_that_send_are_offered(hass: HomeAssistant) -> None:
    """script.reload and script.turn_on manage scripts; a script itself may send the SMS."""
    for domain, service in (
        ("notify", "router"),
        ("notify", "send_message"),
        ("notify", "persistent_notification"),
        ("script", "send_sms"),
        ("script", "reload"),
        ("script", "turn_on"),
        ("script", "turn_off"),
        ("script", "toggle"),
        ("esphome", "modem_send_sms"),
        ("light", "turn_on"),
        (DOMAIN, "refresh"),
    ):
        hass.services.async_register(domain, service, lambda _call: None)
    assert sms_actions(hass) == ["esphome.modem_send_sms", "notify.router", "script.send_sms"]
    form = {CONF_INQUIRY_RECIPIENT: "0120000000", CONF_INQUIRY_MESSAGE: "残量"}
    for typed in ("script.reload", "script.turn_on", "notify.send_message"):
        _, errors = clean_inquiry(hass, {**form, CONF_INQUIRY_ACTION: typed})
        assert errors == {CONF_INQUIRY_ACTION: "inquiry_action_cannot_send"}, typed
    _, errors = clean_inquiry(hass, {**form, CONF_INQUIRY_ACTION: "script.send_sms"})
    assert errors == {}


async def test_out_of_range_numbers_are_refused_under_their_field(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """In the user's language, not Home Assistant's English "value must be at most 90"."""
    options = hass.config_entries.options
    result = await options.async_init(init_integration.entry_id)
    result = await options.async_configure(result["flow_id"], {"next_step_id": "alerts"})
    good = {CONF_LOW_DATA_THRESHOLD: 1.0, CONF_LOW_DATA_UNIT: "gb", CONF_EXPIRY_LEAD_DAYS: 3}
    for wrong, errors in (
        ({CONF_LOW_DATA_THRESHOLD: 2000.0}, {CONF_LOW_DATA_THRESHOLD: "threshold_out_of_range"}),
        (
            {CONF_LOW_DATA_THRESHOLD: 150.0, CONF_LOW_DATA_UNIT: "percent"},
            {CONF_LOW_DATA_THRESHOLD: "threshold_out_of_range"},
        ),
        (
            {CONF_LOW_DATA_THRESHOLD: float("nan")},
            {CONF_LOW_DATA_THRESHOLD: "threshold_out_of_range"},
        ),
        ({CONF_EXPIRY_LEAD_DAYS: 91}, {CONF_EXPIRY_LEAD_DAYS: "lead_days_out_of_range"}),
        ({CONF_EXPIRY_LEAD_DAYS: 2.5}, {CONF_EXPIRY_LEAD_DAYS: "lead_days_out_of_range"}),
    ):
        result = await options.async_configure(result["flow_id"], {**good, **wrong})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors, wrong
    result = await options.async_configure(result["flow_id"], good)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_EXPIRY_LEAD_DAYS] == 3


def test_plan_numbers_out_of_range() -> None:
    assert plan_errors({CONF_ALLOWANCE: 10001}) == {CONF_ALLOWANCE: "allowance_out_of_range"}
    assert plan_errors({CONF_ALLOWANCE: -1}) == {CONF_ALLOWANCE: "allowance_out_of_range"}
    assert plan_errors({CONF_ALLOWANCE: float("inf")}) == {CONF_ALLOWANCE: "allowance_out_of_range"}
    assert plan_errors({CONF_ALLOWANCE: 10000, CONF_RESET_DAY: 31}) == {}
    for day in (0, 32, 1.5):
        assert plan_errors({CONF_RESET_DAY: day}) == {CONF_RESET_DAY: "reset_day_out_of_range"}
    for days in (0, 3651, 2.5):
        _, errors = validity_plan({CONF_START_DATE: "2025-12-01", CONF_VALIDITY_DAYS: days})
        assert errors == {CONF_VALIDITY_DAYS: "validity_days_out_of_range"}, days


async def test_every_range_error_is_translated(hass: HomeAssistant) -> None:
    keys = {
        "config": (
            "allowance_out_of_range",
            "reset_day_out_of_range",
            "validity_days_out_of_range",
        ),
        "options": (
            "allowance_out_of_range",
            "reset_day_out_of_range",
            "validity_days_out_of_range",
            "threshold_out_of_range",
            "lead_days_out_of_range",
            "inquiry_action_cannot_send",
        ),
    }
    for language in LANGUAGES:
        for category, errors in keys.items():
            served = await async_get_translations(hass, language, category, {DOMAIN})
            for error in errors:
                assert served.get(f"component.{DOMAIN}.{category}.error.{error}"), (
                    language,
                    category,
                    error,
                )


async def test_reconfigure_a_monthly_plan_refuses_a_day_past_31(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
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
    )
    entry.add_to_hass(hass)
    flow = hass.config_entries.flow
    result = await flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    plan = {CONF_TRACKED_CARRIER: "au", CONF_PLAN_SHAPE: "monthly"}
    result = await flow.async_configure(result["flow_id"], {**plan, CONF_ALLOWANCE: 20000})
    assert result["errors"] == {CONF_ALLOWANCE: "allowance_out_of_range"}
    result = await flow.async_configure(result["flow_id"], {**plan, CONF_ALLOWANCE: 20})
    assert result["step_id"] == "reconfigure_monthly"
    result = await flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 32})
    assert result["errors"] == {CONF_RESET_DAY: "reset_day_out_of_range"}
    result = await flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 15})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plan_updated"
    expected = {
        CONF_CARRIER: "tracker",
        CONF_TRACKED_CARRIER: "au",
        CONF_ALLOWANCE: 20.0,
        CONF_PLAN_SHAPE: "monthly",
        CONF_RESET_DAY: 15,
    }
    assert {key: entry.data.get(key) for key in expected} == expected
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(entry.entry_id)  # the reload set it up
    await hass.async_block_till_done()
