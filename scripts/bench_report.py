"""docs/benchmarks.md from what scripts/bench.py measured: tables, ratios, targets, method."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from bench_configs import ACCOUNT_LINES, PEER_BINARY_SENSORS, PEER_SENSORS, accounts

if TYPE_CHECKING:
    from bench import Results, Window

LABELS: Final = {
    "rest": "`rest` + 3 templates",
    "peer": "same-figures `rest`",
    "ours": "Japan SIM Data",
}
ISSUE: Final = "issue #26"


@dataclass(frozen=True)
class Plan:
    """How the run was made."""

    sizes: Sequence[int]
    repetitions: int
    changing_polls: int
    same_polls: int
    round_seconds: float
    tick_ms: float
    smoke: bool
    minutes: float
    integration: str
    """Which of the integration's code was measured."""


def machine() -> list[str]:
    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    return [
        f"- CPU: {model}, {os.cpu_count()} logical CPUs (shared with other work while it ran)",
        f"- Python {platform.python_version()}, Home Assistant {ha_version}, {platform.platform()}",
    ]


def spread(values: Sequence[float], spec: str = ".1f") -> str:
    """min / median of the repetitions."""
    return f"{min(values):{spec}} / {statistics.median(values):{spec}}"


def count(value: float) -> str:
    """A count per poll: whole when it is, else to one decimal (22.9, not 22.8571)."""
    return f"{value:.1f}".removesuffix(".0")


def spread_counts(values: Sequence[float]) -> str:
    """min / median of counts per poll."""
    return f"{count(min(values))} / {count(statistics.median(values))}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


class Figures:
    """Read access to the results by configuration, size and phase."""

    def __init__(self, results: Results) -> None:
        self.results = results

    def windows(self, kind: str, size: int, phase: str = "changing") -> list[Window]:
        return self.results.windows[kind, size, phase]

    def values(
        self, kind: str, size: int, phase: str, read: Callable[[Window], float]
    ) -> list[float]:
        return [read(w) for w in self.windows(kind, size, phase)]

    def med(self, kind: str, size: int, phase: str, read: Callable[[Window], float]) -> float:
        return median(self.values(kind, size, phase, read))

    def ratios(self, size: int, phase: str, peer: str) -> list[float]:
        """Japan SIM Data's CPU ÷ a peer's, each repetition with its own (same rounds)."""
        return [
            o.cpu_ms / p.cpu_ms if p.cpu_ms > 0 else math.nan
            for o, p in zip(
                self.windows("ours", size, phase), self.windows(peer, size, phase), strict=True
            )
        ]

    def cpu(self, kind: str, size: int, phase: str = "changing") -> float:
        return self.med(kind, size, phase, lambda w: w.cpu_ms)

    def loop(self, kind: str, size: int) -> float:
        return self.med(kind, size, "changing", lambda w: w.loop_ms)

    def recorder(self, kind: str, size: int) -> float:
        return self.med(kind, size, "changing", lambda w: w.recorder_ms)

    def rows(self, kind: str, size: int, phase: str = "changing") -> float:
        return self.med(kind, size, phase, lambda w: w.rows)

    def by_figure(self, kind: str, size: int, phase: str = "changing") -> dict[str, float]:
        """States rows per poll by figure, median over the repetitions."""
        windows = self.windows(kind, size, phase)
        names = {name for w in windows for name in w.figures}
        return {n: median([w.figures.get(n, 0.0) for w in windows]) for n in names}


def _figure_name(figure: str) -> str:
    # "sensor.iijmio_kikahuran_N_remaining_data" / "sensor.line_N_remaining_data" -> the figure.
    domain, _, rest = figure.partition(".")
    return f"{domain}.{rest.split('N_', 1)[-1]}"


def _figure_list(figures: dict[str, float], size: int) -> str:
    parts = sorted(((rows, name) for name, rows in figures.items() if rows), reverse=True)
    return ", ".join(f"{_figure_name(name)} {rows / size:.2g}" for rows, name in parts) or "none"


def tables(fig: Figures, plan: Plan) -> list[str]:
    results = fig.results
    out = [
        "## CPU, requests, writes",
        "",
        "Per poll of every line (one request of each account), min / median of",
        f"{plan.repetitions} repetition(s); CPU is the process's own (all threads) minus the",
        "idle process's over the same window; *recorder* is the part on the recorder's thread.",
        "*Changing*: every line's figures move at every poll; *same*: the replay answers the",
        "same figures.",
        "",
        (
            "| Lines | Configuration | Entities | CPU ms, changing | of which recorder "
            "| CPU ms, same "
            "| Requests per account | State changes, changing | Unchanged writes, changing "
            "| Unchanged writes, same "
            "| RSS above idle, MiB |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in plan.sizes:
        for kind, label in LABELS.items():
            changing, same = fig.windows(kind, size), fig.windows(kind, size, "same")
            out.append(
                f"| {size} | {label} | {results.entities[kind, size]} "
                f"| {spread([w.cpu_ms for w in changing])} "
                f"| {spread([w.recorder_ms for w in changing])} "
                f"| {spread([w.cpu_ms for w in same])} "
                f"| {spread_counts([w.requests for w in changing + same])} "
                f"| {spread_counts([w.changed for w in changing])} "
                f"| {spread_counts([w.reported for w in changing])} "
                f"| {spread_counts([w.reported for w in same])} "
                f"| {spread(results.rss[kind, size])} |"
            )
    out += [
        "",
        "## What the recorder stores",
        "",
        "Rows and bytes added to each instance's recorder database per poll (min / median), read",
        "after its recorder committed: rows of `states` and of `state_attributes` (a new",
        "attribute set; an unchanged one is shared); *stored* is the bytes of those rows and",
        "their index entries (SQLite's `dbstat` payload), *file* the growth of the pages in use",
        "(`page_count` less `freelist_count`, WAL included: the file once checkpointed), which",
        "grows a 4 kB page at a time. Short-term statistics are compiled every 5 minutes",
        "whatever the polls do (no window holds one): their rows per compile are shown apart.",
        "",
        (
            "| Lines | Configuration | Rows, changing | of which attributes | kB stored, changing "
            "| kB file, changing | Rows, same | kB stored, same | Statistics rows per 5 min "
            "| Database at the end, MiB |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in plan.sizes:
        for kind, label in LABELS.items():
            changing, same = fig.windows(kind, size), fig.windows(kind, size, "same")
            per_compile, compiles = results.short_term[kind, size]
            out.append(
                f"| {size} | {label} | {spread_counts([w.rows for w in changing])} "
                f"| {spread_counts([w.attributes for w in changing])} "
                f"| {spread([w.payload_kib * 1.024 for w in changing])} "
                f"| {spread([w.kib * 1.024 for w in changing])} "
                f"| {spread_counts([w.rows for w in same])} "
                f"| {spread([w.payload_kib * 1.024 for w in same])} "
                f"| {per_compile} ({compiles} compile{'' if compiles == 1 else 's'}) "
                f"| {results.database_mib[kind, size]:.1f} |"
            )
    out += [
        "",
        "`states` rows per poll and line with changing figures, by figure (median):",
        "",
    ]
    for size in plan.sizes:
        for kind in ("peer", "ours"):
            out.append(
                f"- {size} lines, {LABELS[kind]}: {_figure_list(fig.by_figure(kind, size), size)}"
            )
    out += [
        "",
        "CPU per poll, Japan SIM Data ÷ each peer (each repetition's ratio; min / median):",
        "",
    ]
    for size in plan.sizes:
        for phase in ("changing", "same"):
            for peer in ("rest", "peer"):
                ratios = fig.ratios(size, phase, peer)
                out.append(
                    f"- {size} lines, {phase} figures, ÷ {LABELS[peer]}: "
                    f"**{spread(ratios, '.2f')}** (each: {', '.join(f'{r:.2f}' for r in ratios)})"
                )
    out += [
        "",
        "Cross-check from /proc/<pid>/stat (utime + stime in "
        f"{count(plan.tick_ms)} ms ticks, so coarse for one poll), median ms per poll with "
        "changing "
        "figures: "
        + "; ".join(
            f"{kind} {size} lines {fig.med(kind, size, 'changing', lambda w: w.stat_ms):.1f}"
            for size in plan.sizes
            for kind in LABELS
        )
        + ".",
    ]
    return out


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _cpu_targets(fig: Figures, plan: Plan) -> list[str]:
    cpu, loop, rec, rows = fig.cpu, fig.loop, fig.recorder, fig.rows
    out = []
    for size in plan.sizes:
        ratio = median(fig.ratios(size, "changing", "peer"))
        line = (
            f"- CPU per poll at most a third of the same-figures peer's, {size} lines: "
            f"{cpu('ours', size):.1f} ms against {cpu('peer', size):.1f} ms, ratio {ratio:.2f}: "
            f"{_verdict(ratio <= 1 / 3)}."
        )
        if ratio > 1 / 3:
            third = cpu("peer", size) / 3
            line += (
                f" Measured: on the event loop {loop('ours', size):.1f} ms against "
                f"{loop('peer', size):.1f}, on the recorder's thread {rec('ours', size):.1f} ms "
                f"against {rec('peer', size):.1f} ({count(rows('ours', size))} rows against "
                f"{count(rows('peer', size))}); a poll that changes nothing costs it "
                f"{cpu('ours', size, 'same'):.1f} ms. A third of the peer's is {third:.1f} ms: "
                f"writing the same rows as the peer, the recorder's thread takes "
                f"{rec('ours', size) / third:.0%} of it, which leaves "
                f"{max(0.0, third - rec('ours', size)):.1f} ms for the event loop, where the "
                f"request and the reading of its answer alone (a poll that changes nothing) "
                f"cost {cpu('ours', size, 'same'):.1f} ms."
            )
        out.append(line)
    small = plan.sizes[0]
    ratio = median(fig.ratios(small, "changing", "rest"))
    line = (
        f"- CPU per poll no more than `rest` + 3 templates, {small} lines: "
        f"{cpu('ours', small):.1f} ms against {cpu('rest', small):.1f} ms, ratio {ratio:.2f}: "
        f"{_verdict(ratio <= 1)}."
    )
    if ratio > 1:
        line += (
            f" Measured: `rest` + 3 templates shows 3 figures a line and writes "
            f"{count(rows('rest', small))} rows a poll, this integration "
            f"{fig.results.entities['ours', small] // small} entities a line and "
            f"{count(rows('ours', small))} rows; on the recorder's thread "
            f"{rec('ours', small):.1f} ms "
            f"against {rec('rest', small):.1f}, on the event loop {loop('ours', small):.1f} ms "
            f"against {loop('rest', small):.1f}; a poll that changes nothing costs it "
            f"{cpu('ours', small, 'same'):.1f} ms, `rest` {cpu('rest', small, 'same'):.1f} ms."
        )
    out.append(line)
    return out


def _row_targets(fig: Figures, plan: Plan) -> list[str]:
    out = []
    for size in plan.sizes:
        ours, peer = fig.rows("ours", size), fig.rows("peer", size)
        line = (
            f"- Rows per poll no more than the same-figures peer's, {size} lines: "
            f"{count(ours)} against "
            f"{count(peer)}: {_verdict(ours <= peer)}."
        )
        if ours > peer:
            line += (
                " Measured, `states` rows per poll and line by figure: this integration "
                f"{_figure_list(fig.by_figure('ours', size), size)}; the peer "
                f"{_figure_list(fig.by_figure('peer', size), size)}; attribute rows a poll "
                f"{count(fig.med('ours', size, 'changing', lambda w: w.attributes))} against "
                f"{count(fig.med('peer', size, 'changing', lambda w: w.attributes))}."
            )
        out.append(line)
    same_rows = max(fig.rows("ours", s, "same") for s in plan.sizes)
    same_writes = max(fig.med("ours", s, "same", lambda w: w.reported) for s in plan.sizes)
    line = (
        f"- Nothing changed: 0 rows and 0 unchanged writes: at most {count(same_rows)} rows and "
        f"{count(same_writes)} unchanged writes a poll: "
        f"{_verdict(same_rows == 0 and same_writes == 0)}."
    )
    if same_rows:
        line += " Measured, rows per poll and line by figure: " + "; ".join(
            f"{s} lines: {_figure_list(fig.by_figure('ours', s, 'same'), s)}" for s in plan.sizes
        )
    out.append(line)
    return out


def targets(fig: Figures, plan: Plan) -> list[str]:
    requests = [
        w.requests
        for s in plan.sizes
        for p in ("changing", "same")
        for w in fig.windows("ours", s, p)
    ]
    return [
        f"## Targets ({ISSUE})",
        "",
        "With the recorder on and figures changing at every poll (medians of the repetitions):",
        "",
        *_cpu_targets(fig, plan),
        *_row_targets(fig, plan),
        (
            f"- 1 request per account per poll: {count(min(requests))}–{count(max(requests))}: "
            f"{_verdict(set(requests) == {1.0})}."
        ),
    ]


def startup(fig: Figures, plan: Plan) -> list[str]:
    setup = fig.results.setup
    out = [
        "## Start-up",
        "",
        "The import-time target (at most 2× core `rest`'s imports, issue #15) is retired: what a",
        "start-up spends on an integration is Home Assistant's own measure of setting it up. Each",
        "measured instance was restarted after the polls, one at a time, with its entries,",
        "entities and database, and asked over the websocket (`integration/setup_info`, what",
        "Settings → System → Repairs → Integration startup time lists): seconds of wall clock,",
        "waiting for the carrier's first answer included, on the shared machine; for an",
        "integration with several entries (the accounts), the slowest entry's, as Home",
        "Assistant sets them up side by side. One start each.",
        "",
        "| Lines | Configuration | Its integration | Its setup, s | Every integration's, s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for size in plan.sizes:
        for kind, label in LABELS.items():
            timings = setup[kind, size]
            own = "japan_sim_data" if kind == "ours" else "rest"
            out.append(
                f"| {size} | {label} | `{own}` | {timings.get(own, math.nan):.3f} "
                f"| {sum(timings.values()):.2f} |"
            )
    out += [
        "",
        "*Every integration's* adds up the setup of all integrations of the instance (they are",
        "set up side by side, so it is more than the start-up took): what the rest of a minimal",
        "installation costs on the same machine at the same moment.",
    ]
    return out


def _equal(mine: str, theirs: str) -> bool:
    try:
        return float(mine) == float(theirs)
    except ValueError:
        return mine == theirs


def _compare(mine: str, theirs: str) -> str:
    if theirs == "-":
        return "not in the peer"
    return "same" if _equal(mine, theirs) else "differs"


def shown(fig: Figures, plan: Plan) -> list[str]:
    """The first line's figures in both, before the polls (the same answer behind both)."""
    size = plan.sizes[0]
    rows = fig.results.shown[size]
    out = [
        "## The same figures",
        "",
        f"What the first line shows in Japan SIM Data and in the same-figures `rest` ({size}",
        "lines, the replay's answer before the polls):",
        "",
        "| Figure | Japan SIM Data | Same-figures `rest` | |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| {name} | {mine} | {theirs} | {_compare(mine, theirs)} |" for name, mine, theirs in rows
    ]
    return out


def method(plan: Plan) -> list[str]:
    processes = 1 + len(LABELS) * len(plan.sizes)
    return [
        "## How it is measured",
        "",
        f"- Processes: {processes} `hass -c <tmpdir>` started side by side: one idle, and per",
        "  size one of each configuration. Each is onboarded over REST as the frontend does; the",
        "  integrations onboarding adds are deleted. The configuration is the same for all:",
        "  frontend, config, api, logger at warning, and the recorder as a default installation",
        "  has it (SQLite `home-assistant_v2.db` in the config directory, commit interval 5 s).",
        "  The integration is added through its config flow over REST.",
        "- Replay: scripts/bench_replay.py serves IIJmio's member site for 10 lines on one",
        f"  account, and for 100 on {len(accounts(100))} accounts of {ACCOUNT_LINES}: Japan SIM",
        f"  Data reads at most {ACCOUNT_LINES} lines on an account (carriers/base.py), so a",
        "  household of 100 lines has several accounts, each added on its own (its login, its",
        "  entry). Each line",
        "  is shaped as the first line of tests/fixtures/iijmio/member_top.json; each account",
        "  is tests/carriers/iijmio_replay.py's, whose app API answers HTTP 505 (IIJmio's",
        '  "update the app"), which the adapter remembers, so the integration reads the member',
        "  site's one JSON answer for all of an account's lines, as the `rest` configurations",
        "  do. `rest` cannot log in: each resource is given a session cookie made beforehand",
        "  (on the real site that cookie expires within hours). The e2e shim (tests/e2e/shim)",
        "  points the adapter's hosts at the replay. With changing figures every answer moves",
        "  each line's carried-over coupon by 0.01 GB. Requests are counted per client.",
        "- `rest` + 3 templates, as a user writes it for what they look at: a `rest` resource",
        "  per account (POST /api/member/top, scan_interval 1800), per line remaining (sum of",
        "  couponValue), carried over (the first coupon), allowance (totalCapacity).",
        "- Same-figures `rest` (scripts/bench_configs.py): the same resources, per line",
        f"  {PEER_SENSORS} sensors and {PEER_BINARY_SENSORS} binary sensors written to show what",
        "  Japan SIM Data shows: remaining, monthly allowance, this period's data, carried",
        "  over, used this period (allowance less this period's data; the integration leaves",
        "  it unknown on the member site), days left, daily budget (whole MiB, rounded down),",
        "  data expires, data resets on, plan; low data (1 GB) and data expiring soon (3 days),",
        "  with the integration's units and state classes. Each template stands alone, reading",
        "  the answer (`value_json`). Used today and Runs out on need a history and the",
        "  account's calendar has no hand-written equivalent: the peer has none of them.",
        "- Polls: not waited for (the integration polls every 30 min) but forced with the",
        "  `homeassistant.update_entity` action over REST on one entity of each account, which",
        "  refreshes its coordinator (and, as that action does, writes that entity once more);",
        "  the idle process gets the same call on `zone.home`. A coordinator refreshes at most",
        f"  once per 10 s on request, so polls come in rounds of {count(plan.round_seconds)} s,",
        "  one poll of every process per round, in an order that rotates from round to round.",
        (
            f"- Per repetition: {plan.changing_polls} rounds with changing figures, then "
            f"{plan.same_polls} with"
        ),
        "  the same, each phase after one uncounted round. At both ends of a phase each",
        "  process is first asked (scripts/bench_probe, `?recorder=sync`) to wait until its",
        "  recorder has committed everything written so far, so the phase holds its own",
        "  commits, the last poll's included. Then: CPU, the time on a CPU of every thread",
        "  (/proc/<pid>/task/*/schedstat, in ns; the recorder's thread by its name), minus the",
        "  idle process's over the same window, divided by the polls; and the database, read",
        "  from outside with a read-only SQLite connection (scripts/bench_db.py): the last",
        "  row id of `states`, `state_attributes` and `statistics_short_term`, the pages in",
        "  use and `dbstat`'s payload. What is left after the idle process is the poll: the",
        "  request, parsing, entity updates, state writes and the recorder storing them.",
        "- State changes and unchanged writes: counted inside each process by a listener on",
        "  `state_changed` and `state_reported`, minus the idle process's (its one write of",
        "  `zone.home` per poll) and the one more write of each other entity a poll names. The",
        "  recorder stores a row for a state change, none for an unchanged write.",
        "- RSS: VmRSS from /proc/<pid>/status after each repetition, minus the idle process's.",
        "- Requests: counted by the replay per client over the counted rounds, divided by the",
        "  accounts.",
        "",
    ]


def report(results: Results, plan: Plan) -> str:
    fig = Figures(results)
    out = [
        "# Benchmarks",
        "",
        "What polling costs with Japan SIM Data, with Home Assistant's recorder on, against two",
        "hand-written core `rest` configurations reading the same local IIJmio replay, in real",
        "Home Assistant processes: `rest` + 3 template sensors per line, and a same-figures",
        f"`rest` that shows what this integration shows ({PEER_SENSORS} template sensors and",
        f"{PEER_BINARY_SENSORS} template binary sensors per line). Written by `scripts/bench`;",
        "do not edit by hand.",
        "",
        "Reproduce: `.venv/bin/pip install -r requirements_bench.txt`, then `scripts/bench`",
        f"from the repository root. This run took {plan.minutes:.1f} minutes and measured",
        f"{plan.integration}.",
        "",
    ]
    if plan.smoke or tuple(plan.sizes) != (10, 100):
        out += [
            (
                f"> **Smoke run**: {plan.repetitions} repetition(s) of "
                f"{plan.changing_polls} + {plan.same_polls} polls at "
                f"{', '.join(map(str, plan.sizes))}"
                " lines only. These figures show that the script works, not what a poll costs:"
            ),
            "> run `scripts/bench` for the full table.",
            "",
        ]
    out += [*machine(), "", *tables(fig, plan), "", *targets(fig, plan), ""]
    out += [*startup(fig, plan), "", *shown(fig, plan), "", *method(plan)]
    return "\n".join(out)
