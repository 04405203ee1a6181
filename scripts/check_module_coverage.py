"""Fail when any module of the integration is below 95 % coverage (the quality scale's rule).

The total can hide a module that is barely tested; reads the data `pytest --cov` just wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

FLOOR = 95.0


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "coverage.json"
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-o", str(report)], check=True
        )
        files = json.loads(report.read_text(encoding="utf-8"))["files"]
    low = {
        name: data["summary"]["percent_covered"]
        for name, data in files.items()
        if data["summary"]["percent_covered"] < FLOOR
    }
    for name, percent in sorted(low.items()):
        print(f"{name}: {percent:.1f} % (the floor per module is {FLOOR:.0f} %)")
    lowest = min(data["summary"]["percent_covered"] for data in files.values())
    print(f"{len(files)} modules, the least covered at {lowest:.1f} %")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
