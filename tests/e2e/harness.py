"""Run a real Home Assistant process and talk to it the way its frontend does.

Used by the end-to-end tests and by ``scripts/develop``. Only the standard library is used for
HTTP, so the helpers work the same inside pytest (where Home Assistant's test plugin patches
sockets) and in a plain script.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import websocket

REPO = Path(__file__).resolve().parents[2]
INTEGRATION = REPO / "custom_components" / "japan_sim_data"
SHIM = Path(__file__).resolve().parent / "shim"
"""A ``sitecustomize`` that points the IIJmio adapter at a replay (see shim/sitecustomize.py)."""
IIJMIO_URL_ENV = "JSD_E2E_IIJMIO_URL"
HASS_ENV = "JSD_E2E_HASS"
"""Set to another venv's ``hass`` to run the suite against that release (scripts/test does)."""
HASS = Path(os.environ.get(HASS_ENV) or Path(sys.executable).with_name("hass"))
START_TIMEOUT = 90.0
"""Seconds Home Assistant gets to answer HTTP before the start counts as failed."""

DOMAIN = "japan_sim_data"

MINIMAL_CONFIGURATION = """\
# Written by tests/e2e/harness.py: only what the frontend and the REST API need.
homeassistant:
  name: Japan SIM Data e2e
  time_zone: Asia/Tokyo
  country: JP
  currency: JPY
  unit_system: metric
  language: en
frontend:
config:
api:
# Long-term statistics (Used today, carriers' past days), as any default configuration has.
recorder:
# Stands in for an SMS modem in the plan tracker's inquiry test: when asked to send exactly
# the inquiry that test sets up, the "carrier" answers as the former core SMS integration
# fired received messages. Anything else sent gets no answer.
script:
  e2e_modem_send_sms:
    alias: E2E modem
    sequence:
      - condition: template
        value_template: "{{ message == 'ZANRYO' and target == '0120000000' }}"
      - event: sms.incoming_sms
        event_data:
          phone: "+81 120-000-000"
          date: "2026-11-25 12:00:00"
          text: "残りデータ量は2.5GBです"
logger:
  default: warning
  logs:
    custom_components.japan_sim_data: debug
"""


class HomeAssistantError(AssertionError):
    """Home Assistant did not start, or answered a request in an unexpected way."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for[T](
    probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.25
) -> T:
    """Call ``probe`` until it returns something other than None; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise HomeAssistantError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def stop_process_group(process: subprocess.Popen[bytes], *, grace: float = 20.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started.

    The group id is the process's own PID, so nothing else on the machine is touched.
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


@dataclass
class RestClient:
    """JSON over HTTP against one Home Assistant, with an optional bearer token."""

    base_url: str
    token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        form: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
        timeout: float = 30.0,
    ) -> Any:
        """Send a request; return the decoded JSON answer (or the text when it is not JSON)."""
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the URL is always our own http://127.0.0.1
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        text = raw.decode("utf-8", "replace")
        if status not in expect:
            raise HomeAssistantError(f"{method} {path} answered HTTP {status}: {text[:500]}")
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def get(self, path: str) -> Any:
        """GET ``path``."""
        return self.request("GET", path)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST ``body`` as JSON to ``path``."""
        return self.request("POST", path, body if body is not None else {})

    # -- what the frontend does ------------------------------------------------------------------

    def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state, by entity id."""
        return {state["entity_id"]: state for state in self.get("/api/states")}

    def template(self, template: str) -> Any:
        """Render a template on the server (how the tests read registries over REST).

        The answer is text; when that text is JSON (a list, a number), it comes back decoded.
        """
        return self.post("/api/template", {"template": template})

    def integration_entities(self) -> list[str]:
        """Entity ids that belong to this integration."""
        answer = self.template(f"{{{{ integration_entities('{DOMAIN}') | list | tojson }}}}")
        return cast("list[str]", json.loads(answer) if isinstance(answer, str) else answer)

    def start_flow(self) -> dict[str, Any]:
        """Start this integration's config flow, as Add integration does."""
        return cast(
            "dict[str, Any]",
            self.post(
                "/api/config/config_entries/flow",
                {"handler": DOMAIN, "show_advanced_options": False},
            ),
        )

    def flow_step(self, flow_id: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a form (or pick a menu option with ``{"next_step_id": ...}``)."""
        return cast(
            "dict[str, Any]", self.post(f"/api/config/config_entries/flow/{flow_id}", user_input)
        )

    def websocket_command(self, command: Mapping[str, Any], timeout: float = 30.0) -> Any:
        """Send one websocket command, as the frontend does; return its result."""
        ws_url = "ws" + self.base_url.removeprefix("http") + "/api/websocket"
        connection = websocket.create_connection(ws_url, timeout=timeout)
        try:
            json.loads(connection.recv())  # auth_required
            connection.send(json.dumps({"type": "auth", "access_token": self.token}))
            if (auth := json.loads(connection.recv()))["type"] != "auth_ok":
                raise HomeAssistantError(f"Websocket authentication failed: {auth}")
            connection.send(json.dumps({"id": 1, **command}))
            answer = json.loads(connection.recv())
        finally:
            connection.close()
        if not answer.get("success"):
            raise HomeAssistantError(f"Websocket command {command} failed: {answer}")
        return answer["result"]

    def flows_in_progress(self) -> list[dict[str, Any]]:
        """Config flows in progress that the frontend lists (reauth among them)."""
        return cast(
            "list[dict[str, Any]]", self.websocket_command({"type": "config_entries/flow/progress"})
        )

    def config_entries(self) -> list[dict[str, Any]]:
        """This integration's config entries."""
        return cast(
            "list[dict[str, Any]]", self.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
        )


@dataclass
class Tokens:
    """What /auth/token gives a client."""

    client_id: str
    access_token: str
    refresh_token: str
    expires_in: int


def _exchange_code(client: RestClient, client_id: str, code: str) -> Tokens:
    answer = client.request(
        "POST",
        "/auth/token",
        form={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    )
    return Tokens(
        client_id=client_id,
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_in=int(answer["expires_in"]),
    )


def onboard(
    base_url: str, *, name: str, username: str, password: str, language: str = "en"
) -> Tokens:
    """Complete onboarding as the frontend does; return the owner's tokens.

    A step already marked done in ``.storage/onboarding`` is skipped (see
    ``skip_default_integrations``).
    """
    client = RestClient(base_url)
    client_id = f"{base_url}/"
    created = client.post(
        "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": name,
            "username": username,
            "password": password,
            "language": language,
        },
    )
    tokens = _exchange_code(client, client_id, created["auth_code"])
    client.token = tokens.access_token
    done = {step["step"] for step in client.get("/api/onboarding") if step["done"]}
    if "core_config" not in done:
        client.post("/api/onboarding/core_config")
    client.post("/api/onboarding/analytics")
    client.post(
        "/api/onboarding/integration",
        {"client_id": client_id, "redirect_uri": f"{base_url}/?auth_callback=1"},
    )
    steps = client.get("/api/onboarding")
    if not all(step["done"] for step in steps):
        raise HomeAssistantError(f"Onboarding is not complete: {steps}")
    return tokens


def skip_default_integrations(config_dir: Path) -> None:
    """Mark onboarding's location step done before the first start.

    That step would add Home Assistant's default integrations (weather, text-to-speech, radio,
    shopping list), which a minimal configuration does not load and whose failures fill the
    log; the configuration's ``homeassistant:`` block sets the location instead.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    store = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": ["core_config"]},
    }
    (storage / "onboarding").write_text(json.dumps(store, indent=2), encoding="utf-8")


def log_in(base_url: str, *, username: str, password: str) -> Tokens:
    """Log in through the login flow, as the login page does."""
    client = RestClient(base_url)
    client_id = f"{base_url}/"
    flow = client.post(
        "/auth/login_flow",
        {
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": f"{base_url}/?auth_callback=1",
        },
    )
    result = client.post(
        f"/auth/login_flow/{flow['flow_id']}",
        {"client_id": client_id, "username": username, "password": password},
    )
    if result.get("type") != "create_entry":
        raise HomeAssistantError(f"Login refused: {result}")
    return _exchange_code(client, client_id, result["result"])


@dataclass
class HomeAssistantProcess:
    """A ``hass`` process in its own process group, with its log in the config directory."""

    config_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        """Derive the URL."""
        self.base_url = f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        """The end of Home Assistant's output, for failure messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop Home Assistant (and anything it started) by its own process group."""
        stop_process_group(self.process)

    def _answers(self) -> bool | None:
        if self.process.poll() is not None:
            raise HomeAssistantError(
                f"Home Assistant exited with code {self.process.returncode} while starting:\n"
                + self.log_tail()
            )
        try:
            # The frontend's manifest: served once the frontend is set up, before and after
            # onboarding (/api/onboarding is gone once onboarding is done).
            RestClient(self.base_url).request("GET", "/manifest.json", timeout=2)
        except OSError, HomeAssistantError:
            return None
        return True

    def wait_until_up(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the HTTP API answers; stop the process and fail clearly otherwise."""
        try:
            wait_for(self._answers, timeout=timeout, what="Home Assistant to answer HTTP")
        except HomeAssistantError as err:
            self.stop()
            raise HomeAssistantError(f"{err}\nLast lines of its log:\n{self.log_tail()}") from None


def write_http_settings(config_dir: Path, port: int) -> None:
    """Listen on 127.0.0.1:``port`` only, as settings confirmed in the UI would.

    Since 2026.10 Home Assistant keeps its HTTP settings in ``.storage/http``: YAML settings are
    migrated as an unconfirmed trial that reverts after five minutes. Writing them as the
    confirmed ("stable") settings before the first start avoids that.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    settings = {
        "server_port": port,
        "server_host": ["127.0.0.1"],
        "cors_allowed_origins": [],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    store = {
        "version": 2,
        "minor_version": 2,
        "key": "http",
        "data": {"stable": settings, "pending": None, "yaml_migration_done": True},
    }
    (storage / "http").write_text(json.dumps(store, indent=2), encoding="utf-8")


def remove_failed_entries(client: RestClient) -> None:
    """Delete the entries onboarding adds that cannot load here (no network, no packages)."""
    for entry in client.get("/api/config/config_entries/entry"):
        if entry["domain"] != DOMAIN and entry["state"] in {"setup_error", "not_loaded"}:
            client.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")


def prepare_config_dir(config_dir: Path, port: int) -> None:
    """Write a minimal configuration and link this repository's integration into it."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(MINIMAL_CONFIGURATION, encoding="utf-8")
    write_http_settings(config_dir, port)
    skip_default_integrations(config_dir)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / DOMAIN
    if not link.exists():
        link.symlink_to(INTEGRATION, target_is_directory=True)


def start_home_assistant(
    config_dir: Path,
    port: int,
    *,
    iijmio_url: str | None = None,
    extra_args: tuple[str, ...] = ("--skip-pip",),
    new_session: bool = True,
) -> HomeAssistantProcess:
    """Start ``hass`` on ``config_dir``; return at once (call ``wait_until_up``).

    The test-only ``sitecustomize`` shim is put on PYTHONPATH; with ``iijmio_url`` it points the
    IIJmio adapter's BASE_URL there. Nothing in the integration or its config changes.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SHIM)
    env.pop(IIJMIO_URL_ENV, None)
    if iijmio_url is not None:
        env[IIJMIO_URL_ENV] = iijmio_url
    log_path = config_dir / "hass-output.log"
    log = log_path.open("wb")
    try:
        process = subprocess.Popen(  # noqa: S603 - our own venv's hass, fixed arguments
            [str(HASS), "--config", str(config_dir), *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=config_dir,
            start_new_session=new_session,
        )
    finally:
        log.close()
    return HomeAssistantProcess(
        config_dir=config_dir, port=port, process=process, log_path=log_path
    )


@dataclass
class ReplayProcess:
    """The IIJmio replay server (tests/e2e/replay_server.py) in its own process group."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        """The base URL the adapter is pointed at.

        ``localhost``, not 127.0.0.1: Home Assistant's sessions use a plain aiohttp CookieJar,
        which drops cookies set by a bare IP host, and the replay's login is cookie-based.
        """
        return f"http://localhost:{self.port}"

    def control(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Change what the replay answers (see replay_server.py's /_e2e/ routes)."""
        return RestClient(f"http://127.0.0.1:{self.port}").post(f"/_e2e/{path}", body)

    def stop(self) -> None:
        """Stop the replay by its own process group."""
        stop_process_group(self.process, grace=5)


def start_replay(log_path: Path, *, timeout: float = 20.0) -> ReplayProcess:
    """Start the replay server on a free port and wait until it answers."""
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.e2e.replay_server", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
    replay = ReplayProcess(process=process, port=port)

    def answers() -> bool | None:
        if process.poll() is not None:
            raise HomeAssistantError(
                f"The replay server exited with {process.returncode}: "
                + log_path.read_text(errors="replace")
            )
        try:
            replay.control("state")
        except OSError, HomeAssistantError:
            return None
        return True

    try:
        wait_for(answers, timeout=timeout, what="the IIJmio replay server")
    except BaseException:
        replay.stop()
        raise
    return replay
