"""Counts state writes inside a benchmarked Home Assistant (scripts/bench.py; never shipped).

GET /api/bench_probe answers how many state changes (state_changed) and writes that changed
nothing (state_reported) the instance has seen; with ?modules=1 also the modules it has
imported. ?recorder=sync answers once the recorder has committed every state written so far
(what the recorder's own tests wait for), so the database can be read from outside.
?profile=start samples the event loop's thread from then on, ?profile=stop ends it and answers
where its busy samples were (``scripts/bench --profile``). Set up in every benchmarked
instance alike, the idle one included.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any

from aiohttp import web
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"
SAMPLE_EVERY = 0.0005
"""Seconds between samples of the event loop's stack."""


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Listen to state writes and serve the counts."""
    counts = {"changed": 0, "reported": 0}

    @callback
    def changed(event: Event[Any]) -> None:
        counts["changed"] += 1

    @callback
    def reported(event: Event[Any]) -> None:
        counts["reported"] += 1

    @callback
    def every(event_data: Any) -> bool:
        return True

    hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    # Home Assistant asks listeners of state_reported for a filter; this one lets all through.
    hass.bus.async_listen(EVENT_STATE_REPORTED, reported, event_filter=every)
    hass.http.register_view(_CountsView(counts))
    return True


async def _recorder_committed(hass: HomeAssistant) -> None:
    recorder = get_instance(hass)
    # Twice, as the recorder's tests do: the first commit may queue follow-up work.
    await recorder.async_block_till_done()
    await recorder.async_block_till_done()


def _where(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    for marker in ("site-packages/", "custom_components/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{code.co_name}"


class _Sampler:
    """Samples one thread's stack: a profile that threads and sys.monitoring do not upset.

    cProfile (sys.monitoring since Python 3.12) times every thread's calls against one clock;
    with the recorder's thread busy beside the loop its figures mean little. Samples of the
    loop's own stack, skipping those where it waits in select(), say where its CPU goes.
    """

    def __init__(self, ident: int) -> None:
        self._ident = ident
        self._stop = threading.Event()
        self.busy = 0
        self.idle = 0
        self.inclusive: Counter[str] = Counter()
        self.own: Counter[str] = Counter()
        # The loop holds the GIL between switches: a sample can only be taken at one. Switching
        # every 0.1 ms instead of 5 lets the samples land inside its work.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0001)
        self._thread = threading.Thread(target=self._run, name="bench_probe sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = sys._current_frames().get(self._ident)  # noqa: SLF001 - the only way to sample
            if frame is not None:
                self._sample(frame)
            time.sleep(SAMPLE_EVERY)

    def _sample(self, frame: FrameType) -> None:
        if frame.f_code.co_name in {"select", "poll"} and "selectors" in frame.f_code.co_filename:
            self.idle += 1
            return
        self.busy += 1
        self.own[_where(frame)] += 1
        seen = set()
        current: FrameType | None = frame
        while current is not None:
            seen.add(_where(current))
            current = current.f_back
        self.inclusive.update(seen)

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._interval)
        lines = [f"{self.busy} busy samples of the event loop, {self.idle} waiting", ""]
        for title, counter in (("inclusive", self.inclusive), ("own", self.own)):
            lines.append(f"--- {title} (share of busy samples) ---")
            lines += [
                f"{count / max(self.busy, 1):6.1%}  {name}"
                for name, count in counter.most_common(45)
            ]
            lines.append("")
        return "\n".join(lines)


class _CountsView(HomeAssistantView):
    url = "/api/bench_probe"
    name = "api:bench_probe"
    requires_auth = False  # listens on 127.0.0.1 only, in a throw-away instance

    def __init__(self, counts: dict[str, int]) -> None:
        self._counts = counts
        self._sampler: _Sampler | None = None

    async def get(self, request: web.Request) -> web.Response:
        # The view runs on the event loop's thread, where polls and state writes happen.
        if request.query.get("profile") == "start":
            self._sampler = _Sampler(threading.get_ident())
        elif request.query.get("profile") == "stop" and self._sampler is not None:
            text = self._sampler.stop()
            self._sampler = None
            return web.Response(text=text)
        if request.query.get("recorder") == "sync":
            await _recorder_committed(request.app[KEY_HASS])
        answer: dict[str, Any] = dict(self._counts)
        if request.query.get("modules"):
            answer["modules"] = sorted(sys.modules)
        return self.json(answer)
