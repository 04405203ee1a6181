"""Start the development Home Assistant (scripts/develop): onboarded, with a demo SIM.

On the first start it creates the local development user through the onboarding API and adds
a demo plan-tracker SIM through the config-flow API, exactly as the UI would. Home Assistant
runs in the foreground process group, so Ctrl-C stops it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.harness import (  # noqa: E402 - the repository root is put on sys.path above
    HomeAssistantError,
    RestClient,
    log_in,
    onboard,
    remove_failed_entries,
    start_home_assistant,
    write_http_settings,
)

CONFIG = REPO / "config"
PORT = 8123
USER = {"name": "Developer", "username": "dev", "password": "japan-sim-data"}
DEMO_NAME = "Demo docomo SIM"
DEMO_NOTICE = "ご利用可能なデータ量の残りが12.5GBになりました。"


def _add_demo_sim(client: RestClient) -> None:
    """A plan tracker: docomo, 20 GB a month, 12.5 GB left (as a carrier SMS would say)."""
    flow = client.start_flow()
    step = client.flow_step(flow["flow_id"], {"next_step_id": "tracker"})
    step = client.flow_step(
        step["flow_id"],
        {"name": DEMO_NAME, "tracked_carrier": "docomo", "allowance": 20, "plan_shape": "monthly"},
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
            "text": "ご利用可能なデータ量の残りが12.5GBになりました。",
        },
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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
    CONFIG.mkdir(exist_ok=True)
    custom = CONFIG / "custom_components"
    if not custom.exists():
        custom.symlink_to(REPO / "custom_components", target_is_directory=True)
    if not (CONFIG / ".storage" / "http").exists():
        write_http_settings(CONFIG, PORT)
    process = start_home_assistant(CONFIG, PORT, extra_args=("--skip-pip",), new_session=False)
    try:
        process.wait_until_up(timeout=180)
        # /api/onboarding answers 404 once onboarding is done.
        steps = RestClient(process.base_url).request("GET", "/api/onboarding", expect=(200, 404))
        if isinstance(steps, list) and not all(step["done"] for step in steps):
            tokens = onboard(process.base_url, **USER)
        else:
            tokens = log_in(process.base_url, username=USER["username"], password=USER["password"])
        client = RestClient(process.base_url, tokens.access_token)
        remove_failed_entries(client)
        if not client.config_entries():
            _add_demo_sim(client)
        print(
            f"\nHome Assistant is running at {process.base_url}\n"
            f"  log in as {USER['username']!r} with password {USER['password']!r}\n"
            f"  the demo SIM: Settings → Devices & services → Japan SIM Data\n"
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
