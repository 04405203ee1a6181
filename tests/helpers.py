"""Helpers shared by the tests."""

from __future__ import annotations

import json
from datetime import datetime
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


class Clock:
    """A clock an adapter and its replay share; tests move it by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
