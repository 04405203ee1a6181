"""The demo SIM of scripts/develop and of the Japanese end-to-end screenshots.

A docomo plan tracker added through the config-flow API as the UI adds it, told by a
carrier-style SMS event how much is left, and a dashboard with the README's card on it that
opens first, for a user who reads Japanese.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.harness import HomeAssistantError, RestClient, wait_for

DEMO_NAME = "Demo docomo SIM"
DEMO_NOTICE = "ご利用可能なデータ量の残りが12.5GBになりました。"
DEMO_ALLOWANCE_GB = 20
LANGUAGE = "ja"
DASHBOARD = "sim-data"
"""The demo dashboard's path (a dashboard's path needs a hyphen)."""
TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "japan_sim_data" / "translations"
HOME = {"ja": "自宅", "zh-Hans": "家", "zh-Hant": "家", "en": "Home"}


def entity_name(platform: str, key: str, language: str) -> str:
    """An entity's name as the integration's translation for ``language`` gives it."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    name: str = strings["entity"][platform][key]["name"]
    return name


def add_demo_sim(client: RestClient) -> None:
    """A plan tracker: docomo, 20 GB a month, 12.5 GB left (as a carrier SMS would say)."""
    flow = client.start_flow()
    step = client.flow_step(flow["flow_id"], {"next_step_id": "tracker"})
    step = client.flow_step(step["flow_id"], {"name": DEMO_NAME, "tracked_carrier": "docomo"})
    # The plan's form follows the brand's (it starts from the brand's preset).
    step = client.flow_step(
        step["flow_id"], {"allowance": DEMO_ALLOWANCE_GB, "plan_shape": "monthly"}
    )
    step = client.flow_step(step["flow_id"], {"reset_day": 1})
    # The demo's SMS comes from this number: a sender filter means a forged SMS changes nothing.
    step = client.flow_step(
        step["flow_id"],
        {"notice_events": ["sms.incoming_sms"], "notice_senders": ["+81 120-800-000"]},
    )
    if step.get("type") != "create_entry":
        raise HomeAssistantError(f"The demo SIM was not added: {step}")
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
    """The README's card for the demo SIM: a gauge, then its days left, dates and alerts."""
    below = [
        {"entity": entities[key]}
        for key in ("days_left", "data_expires", "low_data", "data_expiring_soon")
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
