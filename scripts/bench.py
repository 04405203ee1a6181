"""Polling cost of Japan SIM Data, with the recorder on, against two hand-written peers.

Run it as ``scripts/bench``; it rewrites docs/benchmarks.md (scripts/bench_report.py). All of
it stays on this machine:

- one IIJmio replay per size (scripts/bench_replay.py, over tests/carriers/iijmio_replay.py)
  on localhost: accounts of up to 20 lines (the most the integration reads on one), counting
  the requests of each client;
- side by side, real ``hass -c <tmpdir>`` processes (tests/e2e/harness.py starts, onboards and
  configures them over REST), every one with the default recorder (SQLite in its config
  directory): one idle, and per size one with core ``rest`` + 3 template sensors per line, one
  with core ``rest`` showing the same figures as this integration (scripts/bench_configs.py),
  one with this integration (added through its config flow);
- polls forced with ``homeassistant.update_entity`` (the idle process gets the same call on
  ``zone.home``), in rounds whose order rotates; CPU from the threads' schedstat minus the idle
  process over the same window; state writes counted inside each process (scripts/bench_probe);
  rows and bytes read from each recorder database once the recorder has committed;
- at the end every measured instance is restarted and Home Assistant's own setup timings
  (websocket ``integration/setup_info``) are read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_configs import (  # noqa: E402
    CONFIGURATION,
    LOGIN,
    PASSWORD,
    accounts,
    peer_yaml,
    rest_yaml,
)
from bench_db import DbMark, db_mark, rows_by_figure, short_term_rows  # noqa: E402
from bench_proc import cpu_split, cpu_ticks, rss_mib  # noqa: E402
from bench_replay import replay_counts, set_mode, start_replay  # noqa: E402

from tests.e2e.harness import (  # noqa: E402
    INTEGRATION,
    HomeAssistantProcess,
    ReplayProcess,
    RestClient,
    free_port,
    log_in,
    onboard,
    start_home_assistant,
    stop_process_group,
    wait_for,
    write_http_settings,
)

SIZES: tuple[int, ...] = (10, 100)
"""Lines (SIMs) on the one IIJmio account of each size."""
KINDS: Final = ("rest", "peer", "ours")
"""rest + 3 templates, the same-figures peer, this integration."""
REPETITIONS = 3
CHANGING_POLLS = 7
SAME_POLLS = 3
ROUND_SECONDS: Final = 10.5
"""A coordinator refreshes at most once per 10 s on request (its debouncer's cooldown)."""
CLK_TCK: Final = os.sysconf("SC_CLK_TCK")
OWNER: Final = {"name": "Bench", "username": "bench", "password": "bench-password-1"}
PROBE: Final = Path(__file__).resolve().parent / "bench_probe"
DATABASE: Final = "home-assistant_v2.db"
"""The recorder's default database, in the config directory."""


# --- Home Assistant instances -----------------------------------------------------------------


@dataclass
class Instance:
    """One benchmarked ``hass`` process."""

    name: str
    kind: str
    """idle, rest, peer or ours."""
    lines: int
    config_dir: Path
    process: HomeAssistantProcess | None = None
    client: RestClient | None = None
    targets: tuple[str, ...] = ("zone.home",)
    """The entities each poll's update_entity names: one of each account."""
    replay: ReplayProcess | None = None
    entities: int = 0
    port: int = 0
    integration: Path = INTEGRATION
    """The integration's copy this instance runs (a snapshot taken when the run began)."""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.process.pid

    @property
    def database(self) -> Path:
        return self.config_dir / DATABASE

    def start(self) -> None:
        self.port = free_port()
        self.config_dir.mkdir(parents=True)
        config = CONFIGURATION
        if self.kind in {"rest", "peer"}:
            assert self.replay is not None
            write = rest_yaml if self.kind == "rest" else peer_yaml
            config += write(self.replay.url, self.lines)
        (self.config_dir / "configuration.yaml").write_text(config, encoding="utf-8")
        write_http_settings(self.config_dir, self.port)
        custom = self.config_dir / "custom_components"
        custom.mkdir()
        (custom / "bench_probe").symlink_to(PROBE, target_is_directory=True)
        (custom / "japan_sim_data").symlink_to(self.integration, target_is_directory=True)
        self._launch()

    def _launch(self) -> None:
        url = self.replay.url if self.replay is not None else None
        self.process = start_home_assistant(self.config_dir, self.port, iijmio_url=url)

    def set_up(self) -> None:
        """Onboard, drop what onboarding added, add the account (ours); wait for figures."""
        assert self.process is not None
        self.process.wait_until_up(timeout=600)
        tokens = onboard(self.process.base_url, **OWNER)
        self.client = RestClient(self.process.base_url, tokens.access_token)
        # Onboarding adds integrations (weather...) that would poll the internet: all go.
        for entry in self.client.get("/api/config/config_entries/entry"):
            self.client.request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
        for account in range(len(accounts(self.lines)) if self.kind == "ours" else 0):
            menu = self.client.start_flow()
            form = self.client.flow_step(menu["flow_id"], {"next_step_id": "iijmio"})
            login = {"username": LOGIN.format(account=account), "password": PASSWORD}
            done = self.client.flow_step(form["flow_id"], login)
            if done.get("type") != "create_entry":
                raise RuntimeError(f"{self.name}: the config flow did not finish: {done}")
        if self.kind != "idle":
            wait_for(self._ready, timeout=600, what=f"{self.name}'s figures")

    def restart(self) -> None:
        """Stop and start again on the same configuration (its entry and database kept)."""
        self.stop()
        self._launch()

    def after_restart(self) -> dict[str, float]:
        """Wait for the figures again; Home Assistant's own setup time of each integration."""
        assert self.process is not None
        self.process.wait_until_up(timeout=600)
        tokens = log_in(
            self.process.base_url, username=OWNER["username"], password=OWNER["password"]
        )
        self.client = RestClient(self.process.base_url, tokens.access_token)
        if self.kind != "idle":
            wait_for(self._ready, timeout=600, what=f"{self.name}'s figures after a restart")
        answer = self.client.websocket_command({"type": "integration/setup_info"})
        return {item["domain"]: float(item["seconds"]) for item in answer}

    def _ready(self) -> bool | None:
        assert self.process is not None
        assert self.client is not None
        if self.kind == "ours" and "ImportError" in self.process.log_tail(200):
            raise RuntimeError(
                f"{self.name}: the integration failed to load:\n{self.process.log_tail()}"
            )
        states = self.client.states()
        firsts = [numbers.start for numbers in accounts(self.lines)]
        if self.kind == "rest":
            ids = [e for e in states if e.startswith("sensor.line_")]
            targets = [f"sensor.line_{first}_remaining" for first in firsts]
        elif self.kind == "peer":
            ids = [e for e in states if e.split(".", 1)[1].startswith("line_")]
            targets = [f"sensor.line_{first}_remaining_data" for first in firsts]
        else:
            ids = self.client.integration_entities()
            # The phone number's last four digits are the line's number (bench_replay.py).
            targets = [
                next((e for e in ids if e.endswith(f"_{first:04d}_remaining_data")), "")
                for first in firsts
            ]
        if not all(t in states and _is_number(states[t]["state"]) for t in targets):
            return None
        # Every line's remaining figure is there (the rest sensors' names end in "remaining").
        if len([e for e in ids if e.startswith("sensor.") and "remaining" in e]) < self.lines:
            return None
        self.targets, self.entities = tuple(targets), len(ids)
        return True

    def poll(self) -> None:
        assert self.client is not None
        self.client.post(
            "/api/services/homeassistant/update_entity", {"entity_id": list(self.targets)}
        )

    def probe(self, *, sync: bool = False) -> dict[str, Any]:
        """The probe's counts; with ``sync``, once the recorder has committed all so far."""
        assert self.client is not None
        answer: dict[str, Any] = self.client.get(
            "/api/bench_probe" + ("?recorder=sync" if sync else "")
        )
        return answer

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- Measurement ----------------------------------------------------------------------------


@dataclass
class Window:
    """What one instance did over one phase of one repetition, per poll (idle subtracted)."""

    cpu_ms: float
    """Every thread, from their schedstat (ns)."""
    loop_ms: float
    """The event loop's thread."""
    recorder_ms: float
    """The recorder's thread."""
    stat_ms: float
    """From /proc/<pid>/stat (clock ticks): a coarse cross-check."""
    requests: float
    changed: float
    reported: float
    states: float
    attributes: float
    short_term: float
    kib: float
    """Growth of the database's pages in use."""
    payload_kib: float
    """Growth of its rows' and index entries' own bytes."""
    figures: dict[str, float] = field(default_factory=dict)
    """States rows per poll by figure (entity id without the line's number)."""

    @property
    def rows(self) -> float:
        """States and attribute rows together."""
        return self.states + self.attributes


@dataclass
class Results:
    windows: dict[tuple[str, int, str], list[Window]] = field(default_factory=dict)
    """(kind, lines, phase) -> one window per repetition."""
    rss: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    entities: dict[tuple[str, int], int] = field(default_factory=dict)
    short_term: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    """(kind, lines) -> rows of one 5-minute compile, compiles seen."""
    setup: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    """(kind, lines) -> Home Assistant's setup seconds by domain, after a restart."""
    database_mib: dict[tuple[str, int], float] = field(default_factory=dict)
    shown: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    """lines -> (figure, this integration's state, the peer's) for the first line."""


@dataclass
class Mark:
    """Everything read from one instance at one end of a window."""

    cpu: dict[str, int]
    ticks: int
    probe: dict[str, Any]
    db: DbMark


def mark(instance: Instance) -> Mark:
    """Commit what the recorder holds, then read the CPU, the counts and the database.

    The commit comes first so that a window's own commits are in it, the last poll's too.
    """
    probe = instance.probe(sync=True)
    return Mark(cpu_split(instance.pid), cpu_ticks(instance.pid), probe, db_mark(instance.database))


COMPILE_EVERY: Final = 300
COMPILE_AT: Final = 10
"""The recorder compiles short-term statistics every 5 minutes, 10 s past (UTC)."""
COMPILE_TAKES: Final = 30
"""Seconds left to a compile to finish before a window starts."""


def clear_of_compiles(seconds: float) -> None:
    """Wait, if need be, so that the next ``seconds`` hold no statistics compile.

    A compile costs the same whatever the polls do (its rows are reported per 5 minutes);
    inside a window it would be counted as polls' CPU.
    """
    now = time.time()
    since = (now - COMPILE_AT) % COMPILE_EVERY
    if since < COMPILE_TAKES:
        time.sleep(COMPILE_TAKES - since)
    elif COMPILE_EVERY - since < seconds:
        time.sleep(COMPILE_EVERY - since + COMPILE_TAKES)


def run_phase(  # noqa: PLR0917 - a script helper, called from one place
    instances: Sequence[Instance],
    idle: Instance,
    replays: dict[int, ReplayProcess],
    phase: str,
    polls: int,
    round_offset: int,
) -> dict[str, Window]:
    """Warm up one round, then time ``polls`` rounds; return each instance's window."""
    everyone = [idle, *instances]
    # The rounds, the marks at both ends and some slack.
    clear_of_compiles((polls + 1) * ROUND_SECONDS + 10 + 2 * len(everyone))
    for replay in replays.values():
        set_mode(replay, phase)
    run_rounds(everyone, 1, round_offset)  # the first poll after a change of mode is not counted
    before = {i.name: mark(i) for i in everyone}
    requests = {size: replay_counts(r) for size, r in replays.items()}
    run_rounds(everyone, polls, round_offset + 1)
    time.sleep(1.0)  # let the last poll's follow-up work (storage writes are later) land
    after = {i.name: mark(i) for i in everyone}
    requests_end = {size: replay_counts(r) for size, r in replays.items()}

    def per_poll(instance: Instance) -> Window:
        start, end = before[instance.name], after[instance.name]
        cpu = {k: (end.cpu[k] - start.cpu[k]) / 1e6 / polls for k in start.cpu}
        return Window(
            cpu_ms=cpu["all"],
            loop_ms=cpu["loop"],
            recorder_ms=cpu["recorder"],
            stat_ms=(end.ticks - start.ticks) * 1000 / CLK_TCK / polls,
            requests=0,
            changed=(end.probe["changed"] - start.probe["changed"]) / polls,
            reported=(end.probe["reported"] - start.probe["reported"]) / polls,
            states=(end.db.states - start.db.states) / polls,
            attributes=(end.db.attributes - start.db.attributes) / polls,
            short_term=(end.db.short_term - start.db.short_term) / polls,
            kib=(end.db.bytes - start.db.bytes) / 1024 / polls,
            payload_kib=(end.db.payload - start.db.payload) / 1024 / polls,
            figures={
                figure: rows / polls
                for figure, rows in rows_by_figure(instance.database, start.db).items()
            },
        )

    base = per_poll(idle)
    windows = {"idle": base}
    for instance in instances:
        own = per_poll(instance)
        sent = requests_end[instance.lines][instance.kind] - requests[instance.lines][instance.kind]
        windows[instance.name] = Window(
            cpu_ms=own.cpu_ms - base.cpu_ms,
            loop_ms=own.loop_ms - base.loop_ms,
            recorder_ms=own.recorder_ms - base.recorder_ms,
            stat_ms=own.stat_ms - base.stat_ms,
            requests=sent / polls / len(accounts(instance.lines)),
            changed=own.changed - base.changed,
            # update_entity writes each entity it names once more: the idle one names one.
            reported=own.reported - base.reported - (len(instance.targets) - 1),
            states=own.states - base.states,
            attributes=own.attributes - base.attributes,
            short_term=own.short_term - base.short_term,
            kib=own.kib - base.kib,
            payload_kib=own.payload_kib - base.payload_kib,
            figures=own.figures,
        )
    return windows


def run_rounds(everyone: Sequence[Instance], rounds: int, offset: int) -> None:
    """Poll every instance once per round, in an order that rotates from round to round."""
    for number in range(offset, offset + rounds):
        started = time.monotonic()
        shift = number % len(everyone)
        for instance in [*everyone[shift:], *everyone[:shift]]:
            instance.poll()
        time.sleep(max(0.0, ROUND_SECONDS - (time.monotonic() - started)))


# --- Orchestration --------------------------------------------------------------------------


@contextlib.contextmanager
def instances_running(
    workdir: Path, integration: Path
) -> Iterator[tuple[Instance, list[Instance], dict[int, ReplayProcess]]]:
    replays: dict[int, ReplayProcess] = {}
    started: list[Instance] = []
    try:
        for size in SIZES:
            replays[size] = start_replay(size, workdir / f"replay-{size}.log")
        idle = Instance("idle", "idle", 0, workdir / "idle")
        measured = [
            Instance(
                f"{kind}-{size}",
                kind,
                size,
                workdir / f"{kind}-{size}",
                replay=replays[size],
                integration=integration,
            )
            for size in SIZES
            for kind in KINDS
        ]
        for instance in [idle, *measured]:
            instance.start()
            started.append(instance)
        for instance in [idle, *measured]:
            instance.set_up()
            print(f"{instance.name}: ready, {instance.entities} entities", flush=True)
        yield idle, measured, replays
    finally:
        for instance in started:
            instance.stop()
        for replay in replays.values():
            stop_process_group(replay.process, grace=5)


def setup_times(measured: Sequence[Instance]) -> dict[tuple[str, int], dict[str, float]]:
    """Restart each measured instance in turn; Home Assistant's setup timings of each.

    One at a time, so that no other benchmarked start competes for the CPU; the timings are
    wall clock and include waiting (for the carrier's first answer, among others).
    """
    timings = {}
    for instance in measured:
        instance.restart()
        timings[instance.kind, instance.lines] = instance.after_restart()
        print(f"{instance.name}: restarted", flush=True)
    return timings


def snapshot(workdir: Path, revision: str | None) -> tuple[Path, str]:
    """A copy of the integration that no edit touches while the run lasts, and what it is.

    ``revision``: as committed there (git archive); None: the working tree as it is now.
    """
    target = workdir / "integration"
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", revision or "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = INTEGRATION.relative_to(ROOT)
    if revision is not None:
        archive = subprocess.run(
            [*git, "archive", "--format=tar", head, str(path)], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive, check=True)
        (workdir / path).rename(target)
        return target, f"commit {head}"
    shutil.copytree(INTEGRATION, target, ignore=shutil.ignore_patterns("__pycache__"))
    dirty = subprocess.run(
        [*git, "status", "--porcelain", str(path)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return target, f"the working tree at {head}" + (" with uncommitted changes" if dirty else "")


def first_line(instance: Instance) -> dict[str, str]:
    """The first line's states by figure ("sensor.remaining_data"), as the instance shows them."""
    assert instance.client is not None
    marker = "_0000_" if instance.kind == "ours" else "line_0_"
    return {
        f"{entity_id.split('.')[0]}.{entity_id.split(marker, 1)[1]}": state["state"]
        for entity_id, state in instance.client.states().items()
        if marker in entity_id
    }


def same_figures(ours: Instance, peer: Instance) -> list[tuple[str, str, str]]:
    """Each figure of the first line, side by side, as both show it with the same answer."""
    mine, theirs = first_line(ours), first_line(peer)
    return [(name, mine.get(name, "-"), theirs.get(name, "-")) for name in sorted({*mine, *theirs})]


def measure(workdir: Path, integration: Path) -> Results:
    results = Results()
    with instances_running(workdir, integration) as (idle, measured, replays):
        by_name = {i.name: i for i in measured}
        for instance in measured:
            results.entities[instance.kind, instance.lines] = instance.entities
        for size in SIZES:
            results.shown[size] = same_figures(by_name[f"ours-{size}"], by_name[f"peer-{size}"])
        round_offset = 0
        for repetition in range(REPETITIONS):
            for phase, polls in (("changing", CHANGING_POLLS), ("same", SAME_POLLS)):
                windows = run_phase(measured, idle, replays, phase, polls, round_offset)
                round_offset += polls + 1
                for instance in measured:
                    key = (instance.kind, instance.lines, phase)
                    results.windows.setdefault(key, []).append(windows[instance.name])
                print(
                    f"repetition {repetition + 1} {phase}: "
                    + ", ".join(
                        f"{n} {w.cpu_ms:.1f} ms {w.rows:g} rows {w.short_term:g} statistics"
                        for n, w in windows.items()
                    ),
                    flush=True,
                )
            idle_rss = rss_mib(idle.pid)
            for instance in measured:
                results.rss.setdefault((instance.kind, instance.lines), []).append(
                    rss_mib(instance.pid) - idle_rss
                )
        for instance in measured:
            instance.probe(sync=True)
            results.short_term[instance.kind, instance.lines] = short_term_rows(instance.database)
            results.database_mib[instance.kind, instance.lines] = (
                db_mark(instance.database).bytes / 2**20
            )
        results.setup = setup_times(measured)
        print(json.dumps({f"{k}-{n}": v for (k, n), v in results.setup.items()})[:2000])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="LINES",
        help="print where a poll's time goes at LINES lines, per thread and profiled",
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", metavar="LINES", help="accounts of these many lines"
    )
    parser.add_argument(
        "--revision",
        help="measure the integration as committed at this revision (default: the working tree)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 1 repetition of few polls, 10 lines only; the report says so",
    )
    args = parser.parse_args()
    if args.profile:
        from bench_profile import profile  # noqa: PLC0415

        with tempfile.TemporaryDirectory(prefix="jsd-bench-") as workdir:
            integration, measured = snapshot(Path(workdir), args.revision)
            print(f"Profiling {measured}", flush=True)
            profile(Path(workdir), integration, args.profile, polls=6)
        return
    global REPETITIONS, CHANGING_POLLS, SAME_POLLS, SIZES  # noqa: PLW0603 - a script's settings
    if args.quick:
        REPETITIONS, CHANGING_POLLS, SAME_POLLS, SIZES = 1, 2, 1, (10,)
    if args.sizes:
        SIZES = tuple(args.sizes)
    from bench_report import Plan, report  # noqa: PLC0415

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jsd-bench-") as workdir:
        integration, measured = snapshot(Path(workdir), args.revision)
        print(f"Measuring {measured}", flush=True)
        results = measure(Path(workdir), integration)
    plan = Plan(
        sizes=SIZES,
        repetitions=REPETITIONS,
        changing_polls=CHANGING_POLLS,
        same_polls=SAME_POLLS,
        round_seconds=ROUND_SECONDS,
        tick_ms=1000 / CLK_TCK,
        smoke=args.quick,
        integration=measured,
        minutes=(time.monotonic() - started) / 60,
    )
    args.output.write_text(report(results, plan), encoding="utf-8")
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
