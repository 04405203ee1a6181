"""The automation blueprints load, validate and run in Home Assistant's blueprint integration."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs

import pytest
from homeassistant import components
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint import models
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
    mock_platform,
)

from custom_components.japan_sim_data.const import DOMAIN

BLUEPRINT_DIR = Path(__file__).parent.parent / "blueprints" / "automation" / DOMAIN
MOBILE_APP = Path(components.__file__).parent / "mobile_app"
BLUEPRINTS = (
    "low_data_notify.yaml",
    "expiry_notify.yaml",
    "throttled_turn_off.yaml",
    "step_notify.yaml",
)
SOURCE_URL = "https://github.com/japan-sim-data/japan-sim-data/blob/main/blueprints/automation/japan_sim_data/"
RAW_URL = "https://raw.githubusercontent.com/japan-sim-data/japan-sim-data/main/blueprints/automation/japan_sim_data/"
SIM_NAME = "povo2.0 (1234)"
LOW_DATA = "binary_sensor.povo2_0_1234_low_data"
EXPIRING_SOON = "binary_sensor.povo2_0_1234_data_expiring_soon"
THROTTLED = "binary_sensor.povo2_0_1234_throttled"
REMAINING = "sensor.povo2_0_1234_remaining_data"
DAYS_LEFT = "sensor.povo2_0_1234_days_left"
DATA_EXPIRES = "sensor.povo2_0_1234_data_expires"
OTHER_THROTTLED = "binary_sensor.iijmio_5678_throttled"
NEAR_STEP = "binary_sensor.povo2_0_1234_near_next_step"
NEXT_STEP = "sensor.povo2_0_1234_next_step"
TO_NEXT_STEP = "sensor.povo2_0_1234_data_to_next_step"
GIB = {"unit_of_measurement": "GiB", "device_class": "data_size"}


def _load_mobile_app_device_action() -> ModuleType:
    """Load core's mobile_app device action, which the notify blueprints use as core's do.

    The mobile_app package imports cloud, alexa, camera and conversation, whose requirements
    this test environment does not install, so the module is loaded on its own: its schema,
    message rendering and notify call are the real ones; only the lookups of the phone's
    webhook and notify service (kept by the running app integration) are stand-ins.
    """
    package = ModuleType(f"{components.__name__}.mobile_app")
    package.__path__ = [str(MOBILE_APP)]
    util = ModuleType(f"{package.__name__}.util")
    util.webhook_id_from_device_id = lambda *_: "phone-webhook"  # type: ignore[attr-defined]
    util.get_notify_service = lambda *_: "mobile_app_phone"  # type: ignore[attr-defined]
    util.supports_push = lambda *_: True  # type: ignore[attr-defined]
    name = f"{package.__name__}.device_action"
    spec = importlib.util.spec_from_file_location(name, MOBILE_APP / "device_action.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with patch.dict(sys.modules, {package.__name__: package, util.__name__: util}):
        spec.loader.exec_module(module)
    return module


def test_readme_import_links_point_at_every_blueprint() -> None:
    """The README's one-click import links name the raw files on the main branch."""
    readme = (BLUEPRINT_DIR.parents[2] / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\(https://my\.home-assistant\.io/create-link/\?([^)\s]+)\)", readme)
    queries = [parse_qs(link) for link in links]
    assert all(query["redirect"] == ["blueprint_import"] for query in queries)
    assert sorted(url for query in queries for url in query["blueprint_url"]) == sorted(
        RAW_URL + name for name in BLUEPRINTS
    )


@dataclass
class Setup:
    """The registry entries the blueprints are driven with."""

    phone_id: str
    notify_calls: list[ServiceCall]


def test_blueprint_files_are_all_tested() -> None:
    assert sorted(p.name for p in BLUEPRINT_DIR.glob("*.yaml")) == sorted(BLUEPRINTS)


@pytest.mark.parametrize("filename", BLUEPRINTS)
def test_blueprint_validates(filename: str) -> None:
    """Each file passes the automation blueprint schema and this Home Assistant's min_version."""
    path = BLUEPRINT_DIR / filename
    blueprint = models.Blueprint(
        yaml_util.load_yaml_dict(path),
        path=str(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    assert blueprint.metadata["source_url"] == SOURCE_URL + filename
    assert blueprint.metadata["homeassistant"]["min_version"] == "2026.10.4"
    assert blueprint.name.startswith("Japan SIM Data - ")


@pytest.fixture
def blueprint_folder(hass: HomeAssistant) -> None:
    """Install the blueprints where Home Assistant looks for them, as an import does."""
    shutil.copytree(BLUEPRINT_DIR, hass.config.path("blueprints", "automation", DOMAIN))


@pytest.fixture
def setup(hass: HomeAssistant, blueprint_folder: None) -> Setup:
    """A phone with the companion app and a SIM device with its entities, as the integration makes.

    The phone's notify service is mocked: the real device action calls it.
    """
    devices = dr.async_get(hass)
    entities = er.async_get(hass)

    phone_entry = MockConfigEntry(domain="mobile_app", title="Phone")
    phone_entry.add_to_hass(hass)
    phone = devices.async_get_or_create(
        config_entry_id=phone_entry.entry_id, identifiers={("mobile_app", "phone")}, name="Phone"
    )

    sim_entry = MockConfigEntry(domain=DOMAIN, unique_id="account")
    sim_entry.add_to_hass(hass)
    sim = devices.async_get_or_create(
        config_entry_id=sim_entry.entry_id, identifiers={(DOMAIN, "account_1234")}, name=SIM_NAME
    )
    for entity_id in (
        LOW_DATA,
        EXPIRING_SOON,
        THROTTLED,
        REMAINING,
        DAYS_LEFT,
        DATA_EXPIRES,
        NEAR_STEP,
        NEXT_STEP,
        TO_NEXT_STEP,
    ):
        domain, object_id = entity_id.split(".")
        entry = entities.async_get_or_create(
            domain,
            DOMAIN,
            object_id,
            suggested_object_id=object_id,
            config_entry=sim_entry,
            device_id=sim.id,
        )
        assert entry.entity_id == entity_id

    mock_platform(hass, "mobile_app.device_action", _load_mobile_app_device_action())
    return Setup(phone.id, async_mock_service(hass, "notify", "mobile_app_phone"))


async def _use_blueprint(hass: HomeAssistant, filename: str, inputs: dict[str, Any]) -> str:
    """Set up an automation from the blueprint and return its entity id, checking it is on."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "from_blueprint",
                "alias": "From blueprint",
                "use_blueprint": {"path": f"{DOMAIN}/{filename}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.from_blueprint")
    assert state is not None
    assert state.state == "on"
    return "automation.from_blueprint"


async def _set(hass: HomeAssistant, entity_id: str, state: str, **attributes: Any) -> None:
    hass.states.async_set(entity_id, state, attributes)
    await hass.async_block_till_done()


async def test_home_assistant_loads_every_blueprint(
    hass: HomeAssistant, blueprint_folder: None
) -> None:
    """The automation integration's own loader finds every blueprint without errors."""
    loaded = await async_get_blueprints(hass).async_get_blueprints()
    assert sorted(loaded) == sorted(f"{DOMAIN}/{name}" for name in BLUEPRINTS)
    assert all(isinstance(bp, models.Blueprint) for bp in loaded.values())


async def test_low_data_notifies_with_the_remaining_amount(
    hass: HomeAssistant, setup: Setup
) -> None:
    await _set(hass, LOW_DATA, "off")
    await _set(hass, REMAINING, "1.2", **GIB)
    test_calls = async_mock_service(hass, "test", "extra")
    await _use_blueprint(
        hass,
        "low_data_notify.yaml",
        {
            "low_data_sensor": [LOW_DATA],
            "notify_device": setup.phone_id,
            "extra_actions": [{"action": "test.extra"}],
        },
    )

    await _set(hass, REMAINING, "0.9765625", **GIB)
    await _set(hass, LOW_DATA, "on")

    assert len(setup.notify_calls) == 1
    assert setup.notify_calls[0].data == {
        "target": "phone-webhook",
        "title": "Data running low",
        "message": "povo2.0 (1234): 0.98 GiB of data left.",
    }
    assert len(test_calls) == 1

    # Coming back after a restart or an outage, still low: no second notification.
    await _set(hass, LOW_DATA, STATE_UNAVAILABLE)
    await _set(hass, LOW_DATA, "on")
    assert len(setup.notify_calls) == 1

    # Topped up, then low again: notified again.
    await _set(hass, LOW_DATA, "off")
    await _set(hass, LOW_DATA, "on")
    assert len(setup.notify_calls) == 2


async def test_low_data_uses_the_chosen_sensor_and_a_custom_message(
    hass: HomeAssistant, setup: Setup
) -> None:
    """Sensors without a device (renamed, or template sensors) work when chosen explicitly."""
    low, remaining = "binary_sensor.my_low_data", "sensor.my_remaining_data"
    await _set(hass, low, "off", friendly_name="My SIM low data")
    await _set(hass, remaining, "512", unit_of_measurement="MiB")
    await _use_blueprint(
        hass,
        "low_data_notify.yaml",
        {
            "low_data_sensor": low,
            "remaining_sensor": [remaining],
            "notify_device": setup.phone_id,
            "title": "{{ sim }}",
            "message": "残りわずか: {{ remaining }}",
        },
    )
    await _set(hass, low, "on", friendly_name="My SIM low data")

    assert [call.data for call in setup.notify_calls] == [
        {
            "target": "phone-webhook",
            "title": "My SIM low data",
            "message": "残りわずか: 512.00 MiB",
        }
    ]


async def test_low_data_without_a_known_amount(hass: HomeAssistant, setup: Setup) -> None:
    await _set(hass, LOW_DATA, "off")
    await _set(hass, REMAINING, "unknown", **GIB)
    await _use_blueprint(
        hass,
        "low_data_notify.yaml",
        {"low_data_sensor": [LOW_DATA], "notify_device": setup.phone_id},
    )
    await _set(hass, LOW_DATA, "on")

    assert setup.notify_calls[0].data["message"] == "povo2.0 (1234): ? of data left."


async def test_expiry_notifies_when_days_left_falls_to_the_chosen_number(
    hass: HomeAssistant, setup: Setup
) -> None:
    await _set(hass, DAYS_LEFT, "5", unit_of_measurement="d")
    await _set(hass, DATA_EXPIRES, "2026-05-31")
    await _set(hass, REMAINING, "1.5", **GIB)
    await _use_blueprint(
        hass,
        "expiry_notify.yaml",
        {"expiry_sensor": [DAYS_LEFT], "days_before": 3, "notify_device": setup.phone_id},
    )

    await _set(hass, DAYS_LEFT, "4", unit_of_measurement="d")
    assert setup.notify_calls == []
    await _set(hass, DAYS_LEFT, "3", unit_of_measurement="d")
    assert [call.data for call in setup.notify_calls] == [
        {
            "target": "phone-webhook",
            "title": "Data expiring soon",
            "message": "povo2.0 (1234): 1.50 GiB of data expires on 2026-05-31.",
        }
    ]

    # Already below: counting down further, an outage or a restart does not repeat it.
    await _set(hass, DAYS_LEFT, "2", unit_of_measurement="d")
    await _set(hass, DAYS_LEFT, STATE_UNAVAILABLE)
    await _set(hass, DAYS_LEFT, "2", unit_of_measurement="d")
    assert len(setup.notify_calls) == 1

    # New data with a later expiry, and the next one is about to expire tonight.
    await _set(hass, DAYS_LEFT, "30", unit_of_measurement="d")
    await _set(hass, DATA_EXPIRES, "unknown")
    await _set(hass, DAYS_LEFT, "1", unit_of_measurement="d")
    assert setup.notify_calls[-1].data["message"] == (
        "povo2.0 (1234): 1.50 GiB of data expires today."
    )
    assert len(setup.notify_calls) == 2


async def test_expiry_follows_the_data_expiring_soon_binary_sensor(
    hass: HomeAssistant, setup: Setup
) -> None:
    await _set(hass, EXPIRING_SOON, "off")
    await _set(hass, DAYS_LEFT, "2", unit_of_measurement="d")
    await _set(hass, REMAINING, "unavailable")
    await _use_blueprint(
        hass,
        "expiry_notify.yaml",
        {"expiry_sensor": [EXPIRING_SOON], "notify_device": setup.phone_id},
    )

    await _set(hass, EXPIRING_SOON, "on")
    await _set(hass, EXPIRING_SOON, STATE_UNAVAILABLE)
    await _set(hass, EXPIRING_SOON, "on")

    assert [call.data["message"] for call in setup.notify_calls] == [
        "povo2.0 (1234): Your data expires tomorrow."
    ]


@pytest.mark.parametrize(
    ("days_left", "expires", "when"),
    [("6", "unknown", "in 5 days"), ("unknown", "unknown", "soon")],
)
async def test_expiry_wording_without_a_date(
    hass: HomeAssistant, setup: Setup, days_left: str, expires: str, when: str
) -> None:
    await _set(hass, EXPIRING_SOON, "off")
    await _set(hass, DAYS_LEFT, days_left, unit_of_measurement="d")
    await _set(hass, DATA_EXPIRES, expires)
    await _use_blueprint(
        hass,
        "expiry_notify.yaml",
        {"expiry_sensor": [EXPIRING_SOON], "notify_device": setup.phone_id},
    )
    await _set(hass, EXPIRING_SOON, "on")

    assert setup.notify_calls[0].data["message"].endswith(f"expires {when}.")


async def test_throttled_turns_off_and_leaves_off_by_default(
    hass: HomeAssistant, setup: Setup
) -> None:
    turn_off = async_mock_service(hass, "homeassistant", "turn_off")
    turn_on = async_mock_service(hass, "homeassistant", "turn_on")
    await _set(hass, THROTTLED, "off")
    await _use_blueprint(
        hass,
        "throttled_turn_off.yaml",
        {"throttled_sensor": [THROTTLED], "target_entities": {"entity_id": "switch.camera_upload"}},
    )

    await _set(hass, THROTTLED, "on")
    assert [call.data["entity_id"] for call in turn_off] == [["switch.camera_upload"]]

    await _set(hass, THROTTLED, "off")
    assert turn_on == []


async def test_throttled_turns_back_on_when_no_sim_is_throttled(
    hass: HomeAssistant, setup: Setup
) -> None:
    turn_off = async_mock_service(hass, "homeassistant", "turn_off")
    turn_on = async_mock_service(hass, "homeassistant", "turn_on")
    await _set(hass, THROTTLED, "off")
    await _set(hass, OTHER_THROTTLED, "off")
    await _use_blueprint(
        hass,
        "throttled_turn_off.yaml",
        {
            "throttled_sensor": [THROTTLED, OTHER_THROTTLED],
            "target_entities": {"entity_id": ["switch.guest_wifi"], "area_id": "garage"},
            "turn_back_on": True,
        },
    )

    await _set(hass, THROTTLED, "on")
    await _set(hass, OTHER_THROTTLED, "on")
    assert len(turn_off) == 2
    assert turn_off[0].data["entity_id"] == ["switch.guest_wifi"]
    assert turn_off[0].data["area_id"] == ["garage"]

    await _set(hass, THROTTLED, "off")
    assert turn_on == []
    await _set(hass, OTHER_THROTTLED, "off")
    assert len(turn_on) == 1
    assert turn_on[0].data["entity_id"] == ["switch.guest_wifi"]


async def test_step_notifies_before_the_next_step_with_both_amounts(
    hass: HomeAssistant, setup: Setup
) -> None:
    """A plan without a cap: near the next step, the data left before it and the step."""
    await _set(hass, NEAR_STEP, "off")
    await _set(hass, NEXT_STEP, "3.0", **GIB)
    await _set(hass, TO_NEXT_STEP, "0.953674", **GIB)
    await _use_blueprint(
        hass,
        "step_notify.yaml",
        {"near_step_sensor": [NEAR_STEP], "notify_device": setup.phone_id},
    )
    await _set(hass, NEAR_STEP, "on")
    assert [call.data for call in setup.notify_calls] == [
        {
            "target": "phone-webhook",
            "title": "Next step near",
            "message": "povo2.0 (1234): 0.95 GiB of data before the next step (3.00 GiB).",
        }
    ]
    # Back after a restart, still near: no second notification; past the step and near the
    # next one: notified again, with what is unknown shown as "?".
    await _set(hass, NEAR_STEP, STATE_UNAVAILABLE)
    await _set(hass, NEAR_STEP, "on")
    assert len(setup.notify_calls) == 1
    await _set(hass, NEAR_STEP, "off")
    await _set(hass, TO_NEXT_STEP, "unknown")
    await _set(hass, NEAR_STEP, "on")
    assert setup.notify_calls[-1].data["message"] == (
        "povo2.0 (1234): ? of data before the next step (3.00 GiB)."
    )


async def test_step_reads_the_chosen_sensors_whatever_their_ids(
    hass: HomeAssistant, setup: Setup
) -> None:
    """Entity ids made from Japanese names end otherwise: the sensors chosen in the inputs."""
    near, left, step = (
        "binary_sensor.ci_noduan_jie_gajin_i",
        "sensor.ci_noduan_jie_madenodetaliang",
        "sensor.ci_noduan_jie",
    )
    await _set(hass, near, "off", friendly_name="楽天 次の段階が近い")
    await _set(hass, left, "0.5", **GIB)
    await _set(hass, step, "20", **GIB)
    await _use_blueprint(
        hass,
        "step_notify.yaml",
        {
            "near_step_sensor": [near],
            "left_sensor": [left],
            "step_sensor": [step],
            "notify_device": setup.phone_id,
            "message": "{{ sim }}：次の段階（{{ step }}）まで{{ left }}",
        },
    )
    await _set(hass, near, "on", friendly_name="楽天 次の段階が近い")
    assert [call.data["message"] for call in setup.notify_calls] == [
        "楽天 次の段階が近い：次の段階（20.00 GiB）まで0.50 GiB"
    ]
