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
