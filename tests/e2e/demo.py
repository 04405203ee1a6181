"""The demo SIM of scripts/develop and of the Japanese end-to-end screenshots.

A docomo plan tracker added through the config-flow API as the UI adds it, fed by a simulated
phone counter, told by a carrier-style SMS event how much is left, and a dashboard with the
README's card on it that opens first, for a user who reads Japanese.

The phone counter stands in for the Android companion app's traffic-stats sensors
(``sensor.<phone>_mobile_rx_gb`` / ``_mobile_tx_gb``: decimal GB rounded to 1 MB, a running
total that restarts at every reboot; counter_discovery.py names the app's source). The demo
writes its states through the REST API, as the app's webhook writes them, with the data-size
device class so the sources step's discovery offers it: the SIM's dashboard and device page
then show what it used, not "unknown".
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from tests.e2e.harness import HomeAssistantError, RestClient, wait_for

DEMO_NAME = "Demo docomo SIM"
DEMO_NOTICE = "ご利用可能なデータ量の残りが12.5GBになりました。"
DEMO_ALLOWANCE_GB = 20
LANGUAGE = "ja"
DASHBOARD = "sim-data"
"""The demo dashboard's path (a dashboard's path needs a hyphen)."""
PHONE_RX = "sensor.demo_phone_mobile_rx_gb"
PHONE_TX = "sensor.demo_phone_mobile_tx_gb"
PHONE_START_GB = (1.2, 0.3)
"""Received and sent when the SIM is added: the counter's baseline, counting nothing yet."""
PHONE_USED_GB = (0.6, 0.15)
"""Received and sent after the SIM was added, before the carrier's SMS: 0.70 GiB used."""
PHONE_TICK_GB = (0.004, 0.001)
"""What the phone receives and sends each minute while scripts/develop runs."""
TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "japan_sim_data" / "translations"
HOME = {"ja": "自宅", "zh-Hans": "家", "zh-Hant": "家", "en": "Home"}


def entity_name(platform: str, key: str, language: str) -> str:
    """An entity's name as the integration's translation for ``language`` gives it."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    name: str = strings["entity"][platform][key]["name"]
    return name


def set_phone_counter(client: RestClient, received_gb: float, sent_gb: float) -> None:
    """Write the phone's two counters as the companion app reports them (GB, 3 decimals)."""
    for entity_id, amount, name in (
        (PHONE_RX, received_gb, "Demo phone Mobile Rx GB"),
        (PHONE_TX, sent_gb, "Demo phone Mobile Tx GB"),
    ):
        client.post(
            f"/api/states/{entity_id}",
            {
                "state": f"{amount:.3f}",
                "attributes": {
                    "unit_of_measurement": "GB",
                    "state_class": "total_increasing",
                    "device_class": "data_size",
                    "icon": "mdi:radio-tower",
                    "friendly_name": name,
                },
            },
        )


def phone_counter(client: RestClient) -> tuple[float, float] | None:
    """The phone's counters now; None when they are gone (Home Assistant restarted)."""
    states = client.states()
    try:
        return float(states[PHONE_RX]["state"]), float(states[PHONE_TX]["state"])
    except KeyError, ValueError:
        return None


def keep_phone_counting(client: RestClient, stop: threading.Event, every: float = 60.0) -> None:
    """While scripts/develop runs, the phone uses data: its counters grow every minute.

    After a restart of Home Assistant the written states are gone: the counters start again
    from the baseline, as the app's do after the phone reboots (the tracker counts a drop of
    more than 10 % as a new cycle, so nothing is lost or counted twice).
    """
    while not stop.wait(every):
        try:
            now = phone_counter(client) or PHONE_START_GB
            set_phone_counter(client, now[0] + PHONE_TICK_GB[0], now[1] + PHONE_TICK_GB[1])
        except HomeAssistantError, OSError:
            continue  # Home Assistant is restarting: try again at the next minute


def _counter_presets(step: dict[str, Any]) -> list[str]:
    """The sources form's counter presets that are the demo phone's, as the form offers them."""
    for field in step.get("data_schema", []):
        if field.get("name") == "counter_presets":
            options = field.get("selector", {}).get("select", {}).get("options", [])
            values = [option["value"] if isinstance(option, dict) else option for option in options]
            return [value for value in values if PHONE_RX in value or PHONE_TX in value]
    return []


def add_demo_sim(client: RestClient) -> None:
    """A plan tracker: docomo, 20 GB a month, fed by a phone, 12.5 GB left (a carrier SMS)."""
    set_phone_counter(client, *PHONE_START_GB)
    flow = client.start_flow()
    step = client.flow_step(flow["flow_id"], {"next_step_id": "tracker"})
    step = client.flow_step(step["flow_id"], {"name": DEMO_NAME, "tracked_carrier": "docomo"})
    # The plan's form follows the brand's (it starts from the brand's preset).
    step = client.flow_step(
        step["flow_id"], {"allowance": DEMO_ALLOWANCE_GB, "plan_shape": "monthly"}
    )
    step = client.flow_step(step["flow_id"], {"reset_day": 1})
    # The phone's counters, as the sources form offers them (discovered, receive + send).
    presets = _counter_presets(step)
    if not presets:
        raise HomeAssistantError(f"The sources form offered no phone counter: {step}")
    # The demo's SMS comes from this number: a sender filter means a forged SMS changes nothing.
    step = client.flow_step(
        step["flow_id"],
        {
            "counter_presets": presets,
            "notice_events": ["sms.incoming_sms"],
            "notice_senders": ["+81 120-800-000"],
        },
    )
    if step.get("type") != "create_entry":
        raise HomeAssistantError(f"The demo SIM was not added: {step}")
    # Once the SIM is set up (its counters' baseline read), the phone uses some data; then
    # the carrier says what is left.
    wait_for(
        lambda: "data_used" in _demo_entities(client) or None,
        timeout=30,
        what="the demo SIM's figures",
    )
    start_rx, start_tx = PHONE_START_GB
    set_phone_counter(client, start_rx + PHONE_USED_GB[0], start_tx + PHONE_USED_GB[1])
    client.post(
        "/api/events/sms.incoming_sms",
        {
            "phone": "+81120800000",
            "date": "",
            "text": DEMO_NOTICE,
        },
    )


def _demo_entities(client: RestClient) -> dict[str, str]:
    """The demo SIM's entity ids by translation key (ids follow its Japanese names)."""
    entities = client.websocket_command({"type": "config/entity_registry/list"})
    return {
        entity["translation_key"]: entity["entity_id"]
        for entity in entities
        if entity["platform"] == "japan_sim_data" and entity["translation_key"]
    }


def dashboard(entities: dict[str, str], language: str = LANGUAGE) -> dict[str, Any]:
    """The README's card for the demo SIM: a gauge, then its use, days left, dates and alerts."""
    below = [
        {"entity": entities[key]}
        for key in (
            "data_used",
            "used_today",
            "days_left",
            "data_expires",
            "low_data",
            "data_expiring_soon",
        )
        if key in entities
    ]
    card = {
        "type": "vertical-stack",
        "cards": [
            {
                "type": "gauge",
                "entity": entities["remaining_data"],
                "name": entity_name("sensor", "remaining_data", language),
                "min": 0,
                "max": DEMO_ALLOWANCE_GB,
                "needle": True,
                "severity": {"green": 1, "yellow": 0.5, "red": 0},
            },
            {"type": "entities", "entities": below},
        ],
    }
    return {"title": HOME[language], "views": [{"title": "SIM", "path": "sim", "cards": [card]}]}


def prepare_frontend(client: RestClient, language: str = LANGUAGE) -> None:
    """The user's language (Japanese unless told), and a dashboard on the demo SIM first."""
    client.websocket_command(
        {
            "type": "frontend/set_user_data",
            "key": "language",
            "value": {"language": language, "number_format": "language"},
        }
    )

    def demo_entities() -> dict[str, str] | None:
        found = _demo_entities(client)
        return found if "remaining_data" in found else None

    entities = wait_for(demo_entities, timeout=30, what="the demo SIM's entities")
    # A dashboard of its own, made the default: a new install opens on the generated Home
    # dashboard, and the classic Overview counts as unset until a restart.
    client.websocket_command(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "SIM",
            "icon": "mdi:sim",
            "mode": "storage",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    client.websocket_command(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD,
            "config": dashboard(entities, language),
        }
    )
    client.websocket_command(
        {"type": "frontend/set_system_data", "key": "core", "value": {"default_panel": DASHBOARD}}
    )
