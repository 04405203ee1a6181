"""``scripts/bench --profile LINES``: where a poll's time goes, per thread and profiled.

A diagnostic, not a measurement: the profiler slows everything it watches. The recorder runs
as in the measurement; the profile is of the event loop's thread (scripts/bench_probe).
"""

from __future__ import annotations

from pathlib import Path

from bench import KINDS, Instance, run_rounds
from bench_proc import thread_cpu_ns
from bench_replay import set_mode, start_replay

from tests.e2e.harness import stop_process_group


def profile(workdir: Path, integration: Path, lines: int, polls: int) -> None:
    """Print each configuration's CPU per poll by thread, then a profile of its event loop."""
    replay = start_replay(lines, workdir / "replay.log")
    instances = [
        Instance(
            f"{kind}-{lines}", kind, lines, workdir / kind, replay=replay, integration=integration
        )
        for kind in KINDS
    ]
    try:
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.set_up()
        set_mode(replay, "changing")
        run_rounds(instances, 2, 0)
        threads = {instance.name: thread_cpu_ns(instance.pid) for instance in instances}
        run_rounds(instances, polls, 2)
        for instance in instances:
            instance.probe(sync=True)
        for instance in instances:
            before, after = threads[instance.name], thread_cpu_ns(instance.pid)
            busy = sorted(((after[t] - before.get(t, 0), t) for t in after), reverse=True)
            print(
                f"{instance.name}, CPU ms per poll by thread, without a profiler: "
                + ", ".join(f"{t} {ns / 1e6 / polls:.2f}" for ns, t in busy if ns)
            )
        for instance in instances:
            assert instance.client is not None
            instance.client.get("/api/bench_probe?profile=start")
        run_rounds(instances, polls, 2 + polls)
        for instance in instances:
            instance.probe(sync=True)
        for instance in instances:
            assert instance.client is not None
            text = str(instance.client.get("/api/bench_probe?profile=stop"))
            print(f"===== {instance.name}, {polls} polls with changing figures =====\n{text}")
    finally:
        for instance in instances:
            instance.stop()
        stop_process_group(replay.process, grace=5)
