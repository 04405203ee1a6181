"""Which carriers can be added, what each asks for, and how its adapter is built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .carriers.base import CarrierAdapter
from .carriers.iijmio import IijmioAdapter
from .carriers.models import Carrier


@dataclass(frozen=True, slots=True)
class CarrierProfile:
    """How the integration sets up one carrier."""

    name: str
    """The carrier's own name, shown in titles and device names."""
    build: Callable[[aiohttp.ClientSession, Mapping[str, Any]], CarrierAdapter]
    """Make an adapter from a config entry's data."""
    secret_keys: frozenset[str]
    """Entry data that must never reach logs or diagnostics."""


def _build_iijmio(session: aiohttp.ClientSession, data: Mapping[str, Any]) -> CarrierAdapter:
    return IijmioAdapter(session, mio_id=data[CONF_USERNAME], password=data[CONF_PASSWORD])


CARRIER_PROFILES: Final[Mapping[Carrier, CarrierProfile]] = {
    Carrier.IIJMIO: CarrierProfile(
        name="IIJmio",
        build=_build_iijmio,
        secret_keys=frozenset({CONF_USERNAME, CONF_PASSWORD}),
    ),
}
