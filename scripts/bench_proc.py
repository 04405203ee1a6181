"""What a process costs, read from /proc: CPU per thread and resident memory (Linux only)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all its threads), in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_cpu_ns(pid: int) -> dict[str, int]:
    """Time on a CPU of each live thread, in ns, by "<thread id> <name>".

    /proc/<pid>/stat counts in clock ticks, too coarse for one 10-line poll.
    """
    threads = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            name = (task / "comm").read_text(encoding="utf-8").strip()
            ns = int((task / "schedstat").read_text(encoding="ascii").split()[0])
            threads[f"{task.name} {name}"] = ns
    return threads


def cpu_split(pid: int) -> dict[str, int]:
    """CPU ns of the process: all threads, the event loop's (the main thread), the recorder's."""
    threads = thread_cpu_ns(pid)
    return {
        "all": sum(threads.values()),
        "loop": sum(ns for t, ns in threads.items() if t.split()[0] == str(pid)),
        "recorder": sum(ns for t, ns in threads.items() if t.split(maxsplit=1)[1] == "Recorder"),
    }


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match is not None
    return int(match[1]) / 1024
