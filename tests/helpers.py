"""Helpers shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def load_json_fixture(name: str) -> Any:
    """Load ``tests/fixtures/<name>`` as JSON."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def load_text_fixture(name: str) -> str:
    """Load ``tests/fixtures/<name>`` as text."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def flat_strings(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A translation file's strings by their dotted keys (``config.step.user.title``)."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat |= flat_strings(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat
