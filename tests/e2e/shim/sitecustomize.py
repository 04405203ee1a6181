"""Test-only start-up hooks of the ``hass`` processes that the e2e tests and scripts/develop run.

They put this directory on PYTHONPATH; Python imports ``sitecustomize`` at start-up. Never
shipped with the integration, never configured by a user.

- With JSD_E2E_IIJMIO_URL set, the IIJmio adapter talks to a local replay: this waits for Home
  Assistant to import the adapter module and then sets its module-level ``BASE_URL`` and
  ``APP_BASE_URL``, which the adapter reads when it is built. Nothing is added to the
  integration or its config flow, so no user can point it elsewhere by mistake.
- The mineo adapter likewise: its ``TOKEN_URL`` and ``API_BASE_URL`` point at
  JSD_E2E_MINEO_URL, else at the IIJmio replay's URL (the suite's one replay process serves
  both carriers, at their own paths).
- ``stubs/`` goes at the end of sys.path: stand-ins for two voice packages that cannot be built
  here, so that Home Assistant can import its base components (see stubs/pymicro_vad.py).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

IIJMIO_URL = os.environ.get("JSD_E2E_IIJMIO_URL")
MINEO_URL = os.environ.get("JSD_E2E_MINEO_URL") or IIJMIO_URL


class _AfterImport(importlib.abc.MetaPathFinder):
    """Find a module as usual, then let ``patch`` change it right after it runs."""

    def __init__(self, target: str, patch: Callable[[ModuleType], None]) -> None:
        self._target = target
        self._patch = patch

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._target:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: ModuleType) -> None:
            exec_module(module)
            self._patch(module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def _point_iijmio(module: ModuleType) -> None:
    module.BASE_URL = IIJMIO_URL  # type: ignore[attr-defined]
    # The app API too, so nothing leaves the machine; the replay answers it with 404.
    module.APP_BASE_URL = IIJMIO_URL  # type: ignore[attr-defined]
    print(f"e2e shim: IIJmio BASE_URL and APP_BASE_URL -> {IIJMIO_URL}", file=sys.stderr)  # noqa: T201


def _point_mineo(module: ModuleType) -> None:
    base = str(MINEO_URL).rstrip("/")
    module.TOKEN_URL = f"{base}/oidc/v1/token"  # type: ignore[attr-defined]
    module.API_BASE_URL = f"{base}/mineo/v1"  # type: ignore[attr-defined]
    print(f"e2e shim: mineo TOKEN_URL and API_BASE_URL -> {base}", file=sys.stderr)  # noqa: T201


if IIJMIO_URL is not None:
    sys.meta_path.insert(
        0, _AfterImport("custom_components.japan_sim_data.carriers.iijmio", _point_iijmio)
    )
if MINEO_URL is not None:
    sys.meta_path.insert(
        0, _AfterImport("custom_components.japan_sim_data.carriers.mineo", _point_mineo)
    )
sys.path.append(str(Path(__file__).with_name("stubs")))
