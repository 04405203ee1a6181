"""Start the development Home Assistant (scripts/develop): onboarded, with a demo SIM.

On the first start it creates the local development user through the onboarding API (in
Japanese, in a home in Tokyo: config/configuration.yaml), adds a demo plan-tracker SIM through
the config-flow API exactly as the UI would, and makes the Overview dashboard open on that SIM:
the README's gauge of remaining data with days left under it. The SIM's usage comes from a
simulated phone counter (tests/e2e/demo.py) that grows every minute while this runs. Home
Assistant runs in the foreground process group, so Ctrl-C stops it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.demo import (  # noqa: E402 - see above
    LANGUAGE,
    add_demo_sim,
    keep_phone_counting,
    prepare_frontend,
)
from tests.e2e.harness import (  # noqa: E402 - the repository root is put on sys.path above
    HomeAssistantError,
    RestClient,
    log_in,
    onboard,
    remove_failed_entries,
    skip_default_integrations,
    start_home_assistant,
    write_http_settings,
)

CONFIG = REPO / "config"
PORT = 8123
USER = {"name": "Developer", "username": "dev", "password": "japan-sim-data"}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _prepare_config_dir() -> None:
    """Link the integration in; before the first start, settle HTTP and onboarding."""
    CONFIG.mkdir(exist_ok=True)
    custom = CONFIG / "custom_components"
    if not custom.exists():
        custom.symlink_to(REPO / "custom_components", target_is_directory=True)
    if not (CONFIG / ".storage" / "http").exists():
        write_http_settings(CONFIG, PORT)
    if not (CONFIG / ".storage" / "onboarding").exists():
        skip_default_integrations(CONFIG)


def main() -> int:
    """Start, prepare, then wait for Home Assistant to stop."""
    try:
        RestClient(f"http://127.0.0.1:{PORT}").request("GET", "/", expect=(200, 302), timeout=2)
    except OSError:
        pass
    else:
        print(f"scripts/develop: something already answers on port {PORT}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    _prepare_config_dir()
    process = start_home_assistant(CONFIG, PORT, extra_args=("--skip-pip",), new_session=False)
    try:
        process.wait_until_up(timeout=180)
        # /api/onboarding answers 404 once onboarding is done.
        steps = RestClient(process.base_url).request("GET", "/api/onboarding", expect=(200, 404))
        if isinstance(steps, list) and not all(step["done"] for step in steps):
            tokens = onboard(process.base_url, **USER, language=LANGUAGE)
        else:
            tokens = log_in(process.base_url, username=USER["username"], password=USER["password"])
        client = RestClient(process.base_url, tokens.access_token)
        remove_failed_entries(client)
        if not client.config_entries():
            add_demo_sim(client)
            prepare_frontend(client)
        # The demo SIM's phone keeps using data, so its figures move while you look.
        stop_counting = threading.Event()
        threading.Thread(
            target=keep_phone_counting, args=(client, stop_counting), daemon=True
        ).start()
        print(
            f"\nHome Assistant is running at {process.base_url}\n"
            f"  log in as {USER['username']!r} with password {USER['password']!r}\n"
            f"  it opens on the demo SIM's dashboard (SIM); its device: Settings → Devices\n"
            f"  its log: {process.log_path}   (Ctrl-C stops it)\n",
            flush=True,
        )
        return process.process.wait()
    except KeyboardInterrupt:
        process.process.terminate()
        try:
            return process.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.process.kill()
            return 1
    except (HomeAssistantError, OSError, json.JSONDecodeError) as err:
        print(f"scripts/develop: {err}", file=sys.stderr)
        process.stop()
        return 1


if __name__ == "__main__":
    sys.exit(main())
