"""The counters Home Assistant already has, offered by the tracker's forms in two clicks.

Registry entries and states are shaped as each integration makes them (Home Assistant
2026.10.4 and the companion app, see ``counter_discovery``'s docstring):
- companion app: unique id ``<webhook id>_mobile_rx_gb``, unit "GB", ``total_increasing``,
  no device class (TrafficStatsManager.kt sets none), diagnostic;
- huawei_lte: unique id ``<entry unique id>-monitoring_traffic_statistics.TotalDownload`` and
  ``…-monitoring_month_statistics.CurrentMonthDownload``, unit "B", device class data_size;
- upnp: ``<udn>_bytes_received`` (unit "B", ``total_increasing``, disabled by default);
- netgear_lte: ``usage_<serial>`` (bytes shown in "MiB", no state class, disabled by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.japan_sim_data.const import (
    CONF_ALLOWANCE,
    CONF_PLAN_SHAPE,
    CONF_RESET_DAY,
    CONF_TRACKED_CARRIER,
    CONF_USAGE_SENSORS,
    DOMAIN,
)
from custom_components.japan_sim_data.counter_discovery import (
    CounterKind,
    discover_counters,
    names_of,
)
from custom_components.japan_sim_data.tracker_sources_flow import (
    CONF_COUNTER_PRESETS,
    CounterChoices,
    merge_usage,
)

from .conftest import FROZEN_NOW
from .test_tracker import _entity_state

PHONE_RX = "sensor.pixel_8_mobile_rx_gb"
PHONE_TX = "sensor.pixel_8_mobile_tx_gb"
ROUTER_DOWN = "sensor.b535_total_download"
ROUTER_UP = "sensor.b535_total_upload"
MONTH_DOWN = "sensor.b535_current_month_download"
MONTH_UP = "sensor.b535_current_month_upload"
UPNP_IN = "sensor.fritz_box_data_received"
UPNP_OUT = "sensor.fritz_box_data_sent"
NETGEAR = "sensor.netgear_lm1200_usage"
TEMPLATE = "sensor.modem_total"
HUAWEI_ENTRY = "ab:cd:ef:01"
PHONE = {"unit_of_measurement": "GB", "state_class": "total_increasing"}
BYTES = {"unit_of_measurement": "B", "device_class": "data_size"}


def _config_entry(hass: HomeAssistant, domain: str) -> MockConfigEntry:
    entry = MockConfigEntry(domain=domain, title=domain, unique_id=HUAWEI_ENTRY)
    entry.add_to_hass(hass)
    return entry


def _device(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str:
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(entry.domain, name)}, name=name
    )
    return device.id


def _sensor(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_id: str,
    unique_id: str,
    *,
    device_id: str | None = None,
    disabled: bool = False,
) -> None:
    registry = er.async_get(hass)
    registered = registry.async_get_or_create(
        "sensor",
        entry.domain,
        unique_id,
        suggested_object_id=entity_id.removeprefix("sensor."),
        config_entry=entry,
        device_id=device_id,
        disabled_by=er.RegistryEntryDisabler.INTEGRATION if disabled else None,
    )
    assert registered.entity_id == entity_id


def _add_every_kind(hass: HomeAssistant) -> None:
    """A phone, a Huawei router, a UPnP router, a NETGEAR modem and a template counter."""
    phone = _config_entry(hass, "mobile_app")
    pixel = _device(hass, phone, "Pixel 8")
    _sensor(hass, phone, PHONE_RX, "5f1e0c_mobile_rx_gb", device_id=pixel)
    _sensor(hass, phone, PHONE_TX, "5f1e0c_mobile_tx_gb", device_id=pixel)
    # Other platforms of the app (its binary sensors) are no counters.
    er.async_get(hass).async_get_or_create(
        "binary_sensor", "mobile_app", "5f1e0c_mobile_rx_gb", config_entry=phone
    )
    # The same phone's Wi-Fi counter is not a SIM's and is not offered.
    _sensor(hass, phone, "sensor.pixel_8_total_rx_gb", "5f1e0c_total_rx_gb", device_id=pixel)
    hass.states.async_set(PHONE_RX, "1.234", {**PHONE, "friendly_name": "Pixel 8 Mobile Rx GB"})
    hass.states.async_set(PHONE_TX, "0.321", {**PHONE, "friendly_name": "Pixel 8 Mobile Tx GB"})
    hass.states.async_set("sensor.pixel_8_total_rx_gb", "9.000", PHONE)

    huawei = _config_entry(hass, "huawei_lte")
    b535 = _device(hass, huawei, "B535")
    stem = f"{HUAWEI_ENTRY}-monitoring_traffic_statistics."
    month = f"{HUAWEI_ENTRY}-monitoring_month_statistics."
    _sensor(hass, huawei, ROUTER_DOWN, f"{stem}TotalDownload", device_id=b535)
    _sensor(hass, huawei, ROUTER_UP, f"{stem}TotalUpload", device_id=b535)
    _sensor(hass, huawei, MONTH_DOWN, f"{month}CurrentMonthDownload", device_id=b535)
    _sensor(hass, huawei, MONTH_UP, f"{month}CurrentMonthUpload", device_id=b535)
    rate = "sensor.b535_current_download_rate"
    _sensor(hass, huawei, rate, f"{stem}CurrentDownloadRate", device_id=b535)
    total = {**BYTES, "state_class": "total_increasing"}
    hass.states.async_set(ROUTER_DOWN, "123456789", {**total, "friendly_name": "Total download"})
    hass.states.async_set(ROUTER_UP, "23456789", {**total, "friendly_name": "Total upload"})
    hass.states.async_set(MONTH_DOWN, "4567", {**BYTES, "state_class": "total"})
    hass.states.async_set(MONTH_UP, "890", {**BYTES, "state_class": "total"})
    hass.states.async_set(rate, "1000", {"unit_of_measurement": "B/s", "device_class": "data_rate"})

    upnp = _config_entry(hass, "upnp")
    fritz = _device(hass, upnp, "FRITZ!Box")
    udn = "uuid:75802409-bccb-40e7-8e6c-fa095ecce13e"
    _sensor(hass, upnp, UPNP_IN, f"{udn}_bytes_received", device_id=fritz)
    _sensor(hass, upnp, UPNP_OUT, f"{udn}_bytes_sent", device_id=fritz)
    # Its speed sensors share the key, not the unique id (KiB/sec_received): not counters.
    _sensor(hass, upnp, "sensor.fritz_box_download_speed", f"{udn}_KiB/sec_received")
    hass.states.async_set(UPNP_IN, "3000000000", {**total, "friendly_name": "Data received"})
    hass.states.async_set(UPNP_OUT, "100000000", {**total, "friendly_name": "Data sent"})

    netgear = _config_entry(hass, "netgear_lte")
    _sensor(hass, netgear, NETGEAR, "usage_LM1200-SERIAL", disabled=True)

    hass.states.async_set(
        TEMPLATE, "12.5", {**total, "unit_of_measurement": "MiB", "friendly_name": "Modem total"}
    )
    # This integration's own daily meter (Used today) is a result, not a source.
    own = MockConfigEntry(domain=DOMAIN, title="IIJmio", unique_id="own")
    own.add_to_hass(hass)
    _sensor(hass, own, "sensor.iijmio_used_today", "abc_used_today")
    hass.states.async_set("sensor.iijmio_used_today", "12", {**total, "unit_of_measurement": "MiB"})
    # A data size that is not a running total (a remaining figure) is no counter.
    hass.states.async_set(
        "sensor.router_sim_remaining_data", "2.5", {**BYTES, "state_class": "measurement"}
    )


async def test_every_kind_is_found_grouped_and_labelled(hass: HomeAssistant) -> None:
    _add_every_kind(hass)
    found = discover_counters(hass)
    assert [(preset.kind, preset.entity_ids, preset.disabled) for preset in found] == [
        (CounterKind.PHONE, (PHONE_RX, PHONE_TX), False),
        (CounterKind.ROUTER_TOTAL, (ROUTER_DOWN, ROUTER_UP), False),
        (CounterKind.ROUTER_MONTH, (MONTH_DOWN, MONTH_UP), False),
        (CounterKind.UPNP, (UPNP_IN, UPNP_OUT), False),
        (CounterKind.OTHER, (TEMPLATE,), False),
        (CounterKind.NETGEAR, (NETGEAR,), True),
    ]
    labels = [preset.label for preset in found]
    assert labels[0] == "Mobile App · Pixel 8: Pixel 8 Mobile Rx GB + Pixel 8 Mobile Tx GB"
    assert labels[1] == "Huawei LTE · B535: Total download + Total upload"
    # Without a friendly name (no state yet), the sensor's own id names it.
    assert labels[2] == f"Huawei LTE · B535: {MONTH_DOWN} + {MONTH_UP}"
    assert labels[4] == "Modem total"
    assert labels[5] == f"NETGEAR LTE: {NETGEAR}"


async def test_a_counter_without_its_pair_or_a_device(hass: HomeAssistant) -> None:
    """A phone that sends only Mobile Rx GB, named by its registry name, still counts."""
    phone = _config_entry(hass, "mobile_app")
    _sensor(hass, phone, PHONE_RX, "abc_mobile_rx_gb")
    er.async_get(hass).async_update_entity(PHONE_RX, name="My phone's data")
    (preset,) = discover_counters(hass)
    assert preset.entity_ids == (PHONE_RX,)
    assert preset.label == "Mobile App: My phone's data"
    assert names_of([preset], lambda _: False) == "-"
    assert names_of([preset], lambda _: True) == "- Mobile App: My phone's data"


async def test_no_counters_offer_only_the_sensor_field(hass: HomeAssistant) -> None:
    choices = CounterChoices.discover(hass)
    assert [str(key) for key in choices.fields()] == [CONF_USAGE_SENSORS]
    assert set(choices.placeholders.values()) == {"-"}
    assert choices.suggested([], new=True) == {}


async def test_a_saved_counter_alone_comes_back_as_its_choice(hass: HomeAssistant) -> None:
    _add_every_kind(hass)
    choices = CounterChoices.discover(hass)
    assert choices.suggested([PHONE_TX, PHONE_RX], new=False) == {
        CONF_COUNTER_PRESETS: [f"{PHONE_RX},{PHONE_TX}"]
    }
    # An entry that has sensors keeps them: nothing is chosen in their place.
    assert choices.suggested([TEMPLATE], new=True) == {CONF_COUNTER_PRESETS: [TEMPLATE]}


def test_merging_counts_each_sensor_once_and_drops_an_empty_list() -> None:
    merged = merge_usage(
        {
            CONF_COUNTER_PRESETS: [f"{PHONE_RX},{PHONE_TX}", f"{ROUTER_DOWN},"],
            CONF_USAGE_SENSORS: [PHONE_TX, TEMPLATE],
            "other": 1,
        }
    )
    assert merged == {CONF_USAGE_SENSORS: [PHONE_RX, PHONE_TX, ROUTER_DOWN, TEMPLATE], "other": 1}
    assert merge_usage({CONF_COUNTER_PRESETS: [], CONF_USAGE_SENSORS: []}) == {}


def _options(result: ConfigFlowResult) -> dict[str, str]:
    schema = result["data_schema"]
    assert schema is not None
    selector = next(
        value for key, value in schema.schema.items() if str(key) == CONF_COUNTER_PRESETS
    )
    return {option["value"]: option["label"] for option in selector.config["options"]}


def _suggested(result: ConfigFlowResult) -> dict[str, Any]:
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description.get("suggested_value") for key in schema.schema if key.description
    }


async def _to_sources(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tracker"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NAME: "Phone SIM", CONF_TRACKED_CARRIER: "ahamo"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ALLOWANCE: 30, CONF_PLAN_SHAPE: "monthly"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_RESET_DAY: 1})
    assert result["step_id"] == "tracker_sources"
    return result


async def test_the_sources_form_offers_the_counters_in_two_clicks(hass: HomeAssistant) -> None:
    """Phones and routers first, grouped in the description; a choice adds its pair."""
    _add_every_kind(hass)
    result = await _to_sources(hass)
    assert list(_options(result)) == [
        f"{PHONE_RX},{PHONE_TX}",
        f"{ROUTER_DOWN},{ROUTER_UP}",
        f"{MONTH_DOWN},{MONTH_UP}",
        f"{UPNP_IN},{UPNP_OUT}",
        TEMPLATE,
    ]
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders["phone_counters"] == (
        "- Mobile App · Pixel 8: Pixel 8 Mobile Rx GB + Pixel 8 Mobile Tx GB"
    )
    assert placeholders["router_counters"].count("\n") == 2
    assert placeholders["other_counters"] == "- Modem total"
    assert placeholders["disabled_counters"] == f"- NETGEAR LTE: {NETGEAR}"
    assert placeholders["pattern_example"]
    # Several dedicated counters: none is chosen for the user.
    assert _suggested(result).get(CONF_COUNTER_PRESETS) is None

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_COUNTER_PRESETS: [f"{PHONE_RX},{PHONE_TX}"], CONF_USAGE_SENSORS: [TEMPLATE]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_USAGE_SENSORS] == [PHONE_RX, PHONE_TX, TEMPLATE]
    assert CONF_COUNTER_PRESETS not in result["options"]


async def test_the_only_phone_is_chosen_for_a_new_sim(hass: HomeAssistant) -> None:
    phone = _config_entry(hass, "mobile_app")
    _sensor(hass, phone, PHONE_RX, "w_mobile_rx_gb")
    _sensor(hass, phone, PHONE_TX, "w_mobile_tx_gb")
    hass.states.async_set(TEMPLATE, "1", {**BYTES, "state_class": "total_increasing"})
    result = await _to_sources(hass)
    assert _suggested(result)[CONF_COUNTER_PRESETS] == [f"{PHONE_RX},{PHONE_TX}"]


@pytest.fixture
def stub_setup() -> Iterator[None]:
    """The entry is not set up: saving options reloads it, into this stub."""
    with patch("custom_components.japan_sim_data.async_setup_entry", return_value=True):
        yield


@pytest.mark.usefixtures("stub_setup")
async def test_the_usage_options_show_the_chosen_counters(hass: HomeAssistant) -> None:
    """Sensors saved earlier come back as the counter they make up, the rest as sensors."""
    _add_every_kind(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Router SIM",
        unique_id="tracker-id",
        data={
            "carrier": "tracker",
            CONF_TRACKED_CARRIER: "travel",
            CONF_PLAN_SHAPE: "monthly",
            CONF_RESET_DAY: 1,
        },
        options={CONF_USAGE_SENSORS: [UPNP_IN, UPNP_OUT, MONTH_DOWN]},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "usage"}
    )

    assert result["step_id"] == "usage"
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["disabled_counters"] == f"- NETGEAR LTE: {NETGEAR}"
    suggested = _suggested(result)
    assert suggested[CONF_COUNTER_PRESETS] == [f"{UPNP_IN},{UPNP_OUT}"]
    assert suggested[CONF_USAGE_SENSORS] == [MONTH_DOWN]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_COUNTER_PRESETS: [f"{ROUTER_DOWN},{ROUTER_UP}"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_USAGE_SENSORS] == [ROUTER_DOWN, ROUTER_UP]


@pytest.mark.usefixtures("hass_tmp_config_dir")
async def test_a_phone_preset_feeds_the_tracked_sim(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Added through the flow with the phone's counter: its decimal GB, summed, reach the SIM.

    The companion app writes 3 decimals of GB (1 MB); a reboot restarts both counters from 0.
    """
    freezer.move_to(FROZEN_NOW)
    phone = _config_entry(hass, "mobile_app")
    _sensor(hass, phone, PHONE_RX, "w_mobile_rx_gb")
    _sensor(hass, phone, PHONE_TX, "w_mobile_tx_gb")
    hass.states.async_set(PHONE_RX, "1.000", PHONE)
    hass.states.async_set(PHONE_TX, "0.200", PHONE)
    result = await _to_sources(hass)
    value = _suggested(result)[CONF_COUNTER_PRESETS]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_COUNTER_PRESETS: value}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    hass.states.async_set(PHONE_RX, "1.500", PHONE)
    hass.states.async_set(PHONE_TX, "0.250", PHONE)
    await hass.async_block_till_done()
    used = 550 * 10**6
    assert float(_entity_state(hass, "data_used")) == pytest.approx(used / 2**30, abs=0.01)
    # The phone reboots: both counters restart near 0 and count on from there.
    hass.states.async_set(PHONE_RX, "0.010", PHONE)
    hass.states.async_set(PHONE_TX, "0.002", PHONE)
    await hass.async_block_till_done()
    used += 12 * 10**6
    assert float(_entity_state(hass, "data_used")) == pytest.approx(used / 2**30, abs=0.01)
