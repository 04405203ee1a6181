"""IIJmio: every line's data, read through the My IIJmio app API, else the member site.

The app API (iijmio_app.py) is what the official app and IIJWidget use today; the member site's
JSON API (iijmio_member.py) is the older route. Both take the mioID (or e-mail) and password and
name a line by the same service code, so the user never chooses: when the app API cannot be
reached, answers in a shape we cannot read, or refuses this library's app version, the member
site is read instead (IIJWidget @ 8a3b6e6, docs/iij_endpoints.md: "GAPI first, member site as
the fallback"). A rejected password ends the update: the other route is not tried with it, and
neither route logs in more than once per update, so polling never locks the account.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final, Protocol

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO
from .errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from .iijmio_app import AppRoute
from .iijmio_member import MemberSiteRoute, parse_member_top
from .models import AccountUsage, Carrier

__all__ = ["APP_BASE_URL", "BASE_URL", "IijmioAdapter", "parse_member_top"]

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS about choosing a route (each route's own facts are in its module).
# - IIJWidget @ 8a3b6e6 (docs/iij_endpoints.md) falls back from the app API to the member site
#   on 505 (app too old), network errors and answers it cannot decode, and logs in again on
#   401/403; so does this adapter, and also on a session the app API ends twice in one update.
# - A password rejection on either route ends the update (CarrierAuthError): the other route is
#   not tried with the same password, and no route logs in more than once per update.
# - A 429 ends the update too: the carrier asked us to slow down, not to go round it.
# - 505 is remembered while the adapter lives: the app version is fixed in this library.
# - After any other failure of the app API, the member site alone is read for APP_RETRY_AFTER
#   (our choice, not a reference's): a poll should cost the carrier one request, not a failing
#   one first.
# - The token lives in memory only; after a restart the app API is logged in to again.
# ==========================================================================================

BASE_URL: Final = "https://www.iijmio.jp"
"""The member site (the fallback route)."""
APP_BASE_URL: Final = "https://gapi.iijmio.jp"
"""The My IIJmio app API (the primary route)."""
APP_RETRY_AFTER: Final = timedelta(hours=6)


class _Route(Protocol):
    """What the adapter needs from a route."""

    @property
    def name(self) -> str: ...
    @property
    def logged_in(self) -> bool: ...
    @property
    def account_id(self) -> str | None: ...
    async def login(self) -> None: ...
    async def fetch(self, now: datetime) -> AccountUsage: ...


class IijmioAdapter(CarrierAdapter):
    """Reads every line of one IIJmio account (mioID or e-mail address)."""

    carrier = Carrier.IIJMIO

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        mio_id: str,
        password: str,
        base_url: str | None = None,
        app_base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the credentials; nothing is sent until the first login.

        ``base_url`` and ``app_base_url`` point the member site and the app API elsewhere
        (tests); by default they are read from BASE_URL and APP_BASE_URL now, not at import.
        """
        super().__init__(session)
        self._login_id = mio_id
        self._app = AppRoute(
            session, login_id=mio_id, password=password, base_url=app_base_url or APP_BASE_URL
        )
        self._member = MemberSiteRoute(
            session, login_id=mio_id, password=password, base_url=base_url or BASE_URL
        )
        self._clock = clock or (lambda: datetime.now(TOKYO))
        self._app_too_old: CarrierAppVersionError | None = None
        self._app_failed_at: datetime | None = None
        self._active: _Route | None = None

    @property
    def account_id(self) -> str:
        """The account's mioID as IIJmio names it once a login succeeded.

        Before that (or when only the member site answered and did not name the account), a
        hash of the login typed in: stable, but different for the mioID and the e-mail.
        """
        return (
            self._app.account_id
            or self._member.account_id
            or anonymous_id(self.carrier, self._login_id)
        )

    @property
    def active_route(self) -> str | None:
        """Which route the last successful call used ("app" or "member"), for diagnostics."""
        return self._active.name if self._active is not None else None

    async def async_login(self) -> None:
        """Log in on the first route that answers, raising CarrierAuthError on a rejection."""
        await self._on_first_working_route(self._login)

    async def async_fetch(self) -> AccountUsage:
        """Read every line on the first route that works, logging in at most once on each."""
        now = self._clock()
        return await self._on_first_working_route(lambda route: self._fetch(route, now))

    async def _login(self, route: _Route) -> None:
        await route.login()

    @staticmethod
    async def _fetch(route: _Route, now: datetime) -> AccountUsage:
        """Read through one route; an expired session is renewed once, never in a loop."""
        logged_in_now = not route.logged_in
        if logged_in_now:
            await route.login()
        try:
            return await route.fetch(now)
        except CarrierSessionExpiredError:
            if logged_in_now:
                raise
            await route.login()
            return await route.fetch(now)

    async def _on_first_working_route[T](self, call: Callable[[_Route], Awaitable[T]]) -> T:
        for route in self._routes():
            try:
                result = await call(route)
            # A verdict on the password, or a request to slow down, holds for the account.
            except CarrierAuthError, CarrierRateLimitError:
                raise
            except CarrierAppVersionError as err:
                # The version is fixed in this library: no use asking again until it changes.
                self._app_too_old = err
                _LOGGER.warning(
                    "IIJmio's app API refuses this integration's app version; reading the "
                    "member site instead until the integration is updated"
                )
            except CarrierError as err:
                if route is not self._member:
                    self._fall_back(route, err)
                    continue
                # While the app API refuses our version, that is the one fault a user (or a
                # new release) can fix: it is reported over the member site's own trouble.
                if self._app_too_old is not None:
                    raise CarrierAppVersionError(str(self._app_too_old)) from err
                raise
            else:
                self._settle_on(route)
                return result
        raise AssertionError("unreachable: the member site is the last route")  # pragma: no cover

    def _routes(self) -> list[_Route]:
        """The routes to try, in order: the app API first, unless it is out for a while."""
        app_resting = (
            self._app_failed_at is not None
            and self._clock() - self._app_failed_at < APP_RETRY_AFTER
        )
        if self._app_too_old is not None or app_resting:
            return [self._member]
        return [self._app, self._member]

    def _settle_on(self, route: _Route) -> None:
        if route is self._app:
            self._app_failed_at = None
        if route is not self._active:
            _LOGGER.debug("Reading IIJmio through its %s route", route.name)
        self._active = route

    def _fall_back(self, route: _Route, err: CarrierError) -> None:
        if route is self._app:
            self._app_failed_at = self._clock()
        if self._active is not self._member:
            _LOGGER.info(
                "IIJmio's %s route failed (%s); reading the member site instead",
                route.name,
                type(err).__name__,
            )
