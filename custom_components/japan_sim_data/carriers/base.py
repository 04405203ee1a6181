"""The interface every carrier adapter implements."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import ClassVar, Final

import aiohttp

from .models import AccountUsage, Carrier

MAX_LINES_PER_ACCOUNT: Final = 20
"""The most lines one account's answer is read for: an account holds a household's lines, and
each line is a device (and may cost a request). More is a broken or hostile answer."""


class CarrierAdapter(ABC):
    """Reads the remaining data of every SIM on one carrier account.

    An adapter owns nothing but the session it is given: the caller creates one session per
    account (so cookies never mix between accounts) and closes it.
    """

    carrier: ClassVar[Carrier]

    def __init__(self, session: aiohttp.ClientSession) -> None:
        """Keep the account's HTTP session."""
        self._session = session

    @property
    @abstractmethod
    def account_id(self) -> str:
        """A stable identifier of the account, the carrier's own where it gives one.

        It may be personal (a mioID): the integration only uses it keyed with the
        installation's secret, and it never reaches a log line.
        """

    @abstractmethod
    async def async_login(self) -> None:
        """Log in (or check the stored token), raising CarrierAuthError on a real rejection."""

    @abstractmethod
    async def async_fetch(self) -> AccountUsage:
        """Return the usage of every SIM on the account, logging in again once if needed."""

    @property
    def active_route(self) -> str | None:
        """Which of the carrier's routes the last update used, for carriers with several."""
        return None

    @property
    def route_details(self) -> dict[str, str | None] | None:
        """Why a fallback route is read and what it cannot report, for diagnostics.

        None while the carrier's main route is read (or the carrier has one route). Values are
        error class names, moments and fixed words: never carrier text or a secret.
        """
        return None

    def set_rotation_listener(self, listener: Callable[[], Awaitable[None] | None]) -> None:
        """Have ``listener`` persist new credentials the moment they are issued.

        For adapters whose refresh tokens work once (mineo): the spent token is worthless and
        the new one exists only in memory until the listener saves it; an awaitable it returns
        is awaited before the next request. Others ignore it.
        """
        return  # Nothing of theirs rotates.

    async def async_settle(self) -> None:
        """Wait for work that must not be cut short (a token renewal) before the entry unloads."""
        return  # Nothing of theirs is in flight.

    def refreshed_secrets(self) -> dict[str, str]:
        """Secrets the adapter renewed since it was built, for the caller to persist.

        Adapters whose tokens rotate (povo, mineo) return the new values here; the default
        is that nothing needs saving.
        """
        return {}


def anonymous_id(*parts: str) -> str:
    """Derive a stable, non-reversible identifier from login identifiers."""
    digest = hashlib.sha256("\x1f".join(part.strip().lower() for part in parts).encode())
    return digest.hexdigest()[:16]
