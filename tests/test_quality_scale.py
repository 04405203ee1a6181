"""quality_scale.yaml says, for every rule, what was checked; some claims are checked here."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from homeassistant.util.yaml import load_yaml

from custom_components.japan_sim_data.config_flow import JapanSimDataConfigFlow

PACKAGE = Path(__file__).parents[1] / "custom_components" / "japan_sim_data"
STATUSES = {"done", "todo", "exempt"}


def _rules() -> dict[str, dict[str, Any]]:
    loaded: Any = load_yaml(PACKAGE / "quality_scale.yaml")
    rules: dict[str, dict[str, Any]] = loaded["rules"]
    return rules


def test_every_rule_says_what_was_checked() -> None:
    rules = _rules()
    assert len(rules) >= 50
    for name, rule in rules.items():
        assert isinstance(rule, dict), f"{name}: a bare status says nothing about what was checked"
        assert rule["status"] in STATUSES, name
        assert rule["comment"].startswith("Checked: "), name


def test_claims_that_the_code_can_show() -> None:
    rules = _rules()
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    if rules["integration-owner"]["status"] == "done":
        assert manifest["codeowners"]
    if rules["reconfiguration-flow"]["status"] == "done":
        assert hasattr(JapanSimDataConfigFlow, "async_step_reconfigure")
        assert hasattr(JapanSimDataConfigFlow, "async_step_reconfigure_plan")
    if rules["parallel-updates"]["status"] == "done":
        for platform in ("sensor", "binary_sensor", "calendar", "button"):
            module = importlib.import_module(f"custom_components.japan_sim_data.{platform}")
            assert module.PARALLEL_UPDATES == 0, platform
    if rules["dependency-transparency"]["comment"]:
        # "required as a compatible range": never pinned over Home Assistant's own copy.
        assert all("==" not in requirement for requirement in manifest["requirements"])
