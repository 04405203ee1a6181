"""Counts state writes inside a benchmarked Home Assistant (scripts/bench.py; never shipped).

GET /api/bench_probe answers how many state changes (state_changed) and writes that changed
nothing (state_reported) the instance has seen; with ?modules=1 also the modules it has
imported. ?profile=start profiles the event loop's thread from then on, ?profile=stop ends it
and answers the busiest functions (``scripts/bench --profile``). Set up in every benchmarked
instance alike, the idle one included.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from typing import Any

from aiohttp import web
from homeassistant.components.http import HomeAssistantView
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"


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


class _CountsView(HomeAssistantView):
    url = "/api/bench_probe"
    name = "api:bench_probe"
    requires_auth = False  # listens on 127.0.0.1 only, in a throw-away instance

    def __init__(self, counts: dict[str, int]) -> None:
        self._counts = counts
        self._profile: cProfile.Profile | None = None

    async def get(self, request: web.Request) -> web.Response:
        # The view runs on the event loop's thread, where polls and state writes happen.
        if request.query.get("profile") == "start":
            self._profile = cProfile.Profile()
            self._profile.enable()
        elif request.query.get("profile") == "stop" and self._profile is not None:
            self._profile.disable()
            text = io.StringIO()
            stats = pstats.Stats(self._profile, stream=text)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            self._profile = None
            return web.Response(text=text.getvalue())
        answer: dict[str, Any] = dict(self._counts)
        if request.query.get("modules"):
            answer["modules"] = sorted(sys.modules)
        return self.json(answer)
