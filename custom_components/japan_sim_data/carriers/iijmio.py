"""IIJmio: every line's data, read through the My IIJmio app API, else the member site.

The app API (iijmio_app.py) is what the official app and IIJWidget use today; the member site's
JSON API (iijmio_member.py) is the older route. Both take the mioID (or e-mail) and password and
name a line by the same service code, so the user never chooses: when the app API cannot be
reached, answers in a shape we cannot read, refuses a session or refuses this library's app
version, the member site is read instead (IIJWidget @ 8a3b6e6, docs/iij_endpoints.md: "GAPI
first, member site as the fallback"). The member site's rejection of the password ends the
update, and neither route logs in more than once per update, so polling never locks the account.

The member site reports neither the line's state (throttled) nor this period's use: while it is
read, the app API's last figures are kept with the moment they were read (carried_from) for a
while, and the plan name stays the app API's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Protocol

import aiohttp

from .base import MAX_LINES_PER_ACCOUNT, CarrierAdapter, anonymous_id
from .dates import TOKYO, tokyo_now
from .errors import (
    CarrierAppVersionError,
    CarrierAuthError,
    CarrierError,
    CarrierRateLimitError,
    CarrierSessionExpiredError,
)
from .iijmio_app import AppRoute
from .iijmio_member import MemberSiteRoute, parse_member_top
from .models import AccountUsage, Carrier, SimUsage

__all__ = ["APP_BASE_URL", "BASE_URL", "IijmioAdapter", "parse_member_top"]

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS about choosing a route (each route's own facts are in its module).
# - IIJWidget @ 8a3b6e6 (docs/iij_endpoints.md) falls back from the app API to the member site
#   on 505 (app too old), network errors and answers it cannot decode, and logs in again on
#   401/403; so does this adapter, and also on a session the app API ends twice in one update.
# - /token answering 401 or 403 is an invalid session, not a wrong password (IIJWidget
#   Shared/MyIIJmioAPIClient.swift `request` and Shared/WidgetRefreshService.swift
#   `refreshUsingGAPI` @ 8a3b6e6efd4c214d44e79f6c44a194a294224595; details in iijmio_app.py):
#   the member site is asked, and its ERROR_CODE_008 is the verdict on the password.
# - A password rejection ends the update (CarrierAuthError), and no route logs in more than
#   once per update.
# - A 429 ends the update too: the carrier asked us to slow down, not to go round it.
# - 505 is remembered while the adapter lives: the app version is fixed in this library.
# - After any other failure of the app API, the member site alone is read for APP_RETRY_AFTER
#   (our choice, not a reference's): a poll should cost the carrier one request, not a failing
#   one first.
# - The token lives in memory only; after a restart the app API is logged in to again.
# - The switch to the member site is logged once at WARNING (the cause's class name only), the
#   return to the app API once at INFO; never at every poll.
# - While the member site is read, each line keeps the app API's last throttled / used figures
#   with the moment they were read (SimUsage.carried_from), for CARRIED_FIGURES_LAST and within
#   the same Tokyo month (a period's use and its throttling end with it); after that they are
#   unknown and route_details says why. The app API's plan name ("ギガプラン 20GB") is kept
#   over the member site's ("ギガプラン") while the adapter lives. All our choices.
# - An answer listing more than MAX_LINES_PER_ACCOUNT lines is read for the first ones only;
#   that the rest were left out is logged once.
# ==========================================================================================

BASE_URL: Final = "https://www.iijmio.jp"
"""The member site (the fallback route)."""
APP_BASE_URL: Final = "https://gapi.iijmio.jp"
"""The My IIJmio app API (the primary route)."""
APP_RETRY_AFTER: Final = timedelta(hours=6)
CARRIED_FIGURES_LAST: Final = timedelta(hours=24)
"""How long the app API's throttled / used figures are shown while the member site is read."""


class _Route(Protocol):
    """What the adapter needs from a route."""

    @property
    def name(self) -> str: ...
    @property
    def logged_in(self) -> bool: ...
    @property
    def account_id(self) -> str | None: ...
    @property
    def lines_left_out(self) -> bool: ...
    async def login(self) -> None: ...
    async def fetch(self, now: datetime) -> AccountUsage: ...


@dataclass(frozen=True, slots=True)
class _AppFigures:
    """What the app API said of a line that the member site does not say."""

    plan_name: str | None
    throttled: bool | None
    used: int | None
    read_at: datetime


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
        self._clock = clock or tokyo_now
        self._app_too_old: CarrierAppVersionError | None = None
        self._app_failed_at: datetime | None = None
        self._app_failure: str | None = None
        """The class name of the app API's last failure, for diagnostics."""
        self._fallback_logged = False
        self._cap_logged = False
        self._active: _Route | None = None
        self._app_figures: dict[str, _AppFigures] = {}
        self._carried: str | None = None
        """What became of the app API's figures on the last member-site read."""

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

    @property
    def route_details(self) -> dict[str, str | None] | None:
        """Why the member site is read and what became of the app API's figures.

        None while the app API is read. Only class names, moments and fixed words.
        """
        if self._active is not self._member:
            return None
        reason: str | None
        retry_at: str | None
        if self._app_too_old is not None:
            reason = "app_version_refused"
            retry_at = None
        else:
            reason = self._app_failure
            retry_at = (
                (self._app_failed_at + APP_RETRY_AFTER).isoformat()
                if self._app_failed_at is not None
                else None
            )
        return {
            "reason": reason,
            "app_failed_at": self._app_failed_at.isoformat() if self._app_failed_at else None,
            "app_retry_at": retry_at,
            "throttled_and_used": self._carried,
        }

    async def async_login(self) -> None:
        """Log in on the first route that answers, raising CarrierAuthError on a rejection."""
        await self._on_first_working_route(self._login)

    async def async_fetch(self) -> AccountUsage:
        """Read every line on the first route that works, logging in at most once on each."""
        now = self._clock()
        usage = await self._on_first_working_route(lambda route: self._fetch(route, now))
        if self._active is not None and self._active.lines_left_out and not self._cap_logged:
            self._cap_logged = True
            _LOGGER.warning(
                "IIJmio listed more than %d lines for one account; only the first %d are read",
                MAX_LINES_PER_ACCOUNT,
                MAX_LINES_PER_ACCOUNT,
            )
        if self._active is self._app:
            self._remember_app_figures(usage, now)
            return usage
        return self._with_app_figures(usage, now)

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
                self._fallback_logged = True
                _LOGGER.warning(
                    "IIJmio's app API refuses this integration's app version; reading the "
                    "member site instead until the integration is updated"
                )
            except CarrierError as err:
                if route is not self._member:
                    self._fall_back(err)
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
            self._app_failure = None
            if self._fallback_logged:
                _LOGGER.info("IIJmio's app API answers again; reading it, not the member site")
            self._fallback_logged = False
        if route is not self._active:
            _LOGGER.debug("Reading IIJmio through its %s route", route.name)
        self._active = route

    def _fall_back(self, err: CarrierError) -> None:
        """The app API failed: rest it, and say so once (not at every poll)."""
        self._app_failed_at = self._clock()
        self._app_failure = type(err).__name__
        if not self._fallback_logged:
            self._fallback_logged = True
            _LOGGER.warning(
                "IIJmio's app API failed (%s); reading the member site for the next %s, which "
                "reports neither Throttled nor Used this period",
                self._app_failure,
                APP_RETRY_AFTER,
            )

    def _remember_app_figures(self, usage: AccountUsage, now: datetime) -> None:
        self._app_figures = {
            sim_id: _AppFigures(sim.plan_name, sim.throttled, sim.used, now)
            for sim_id, sim in usage.sims.items()
        }

    def _with_app_figures(self, usage: AccountUsage, now: datetime) -> AccountUsage:
        """The member site's lines with what the app API said of them (see carry)."""
        if not self._app_figures:
            self._carried = "never_read_on_app"
            return usage
        fresh = any(_still_holds(kept.read_at, now) for kept in self._app_figures.values())
        self._carried = "carried" if fresh else "unknown_too_old"
        sims: dict[str, SimUsage] = {}
        for sim_id, sim in usage.sims.items():
            sims[sim_id] = sim
            if (kept := self._app_figures.get(sim_id)) is None:
                continue
            sims[sim_id] = carry(sim, kept, now)
        return AccountUsage(sims=sims)


def carry(sim: SimUsage, kept: _AppFigures, now: datetime) -> SimUsage:
    """A member-site line with the app API's plan name and, while they hold, its figures.

    The figures are throttled and used, with the moment they were read (carried_from).
    """
    sim = replace(sim, plan_name=kept.plan_name or sim.plan_name)
    known = kept.throttled is not None or kept.used is not None
    if not known or not _still_holds(kept.read_at, now):
        return sim
    return replace(sim, throttled=kept.throttled, used=kept.used, carried_from=kept.read_at)


def _still_holds(read_at: datetime, now: datetime) -> bool:
    """Figures read at ``read_at`` may still be shown: recent, and of this Tokyo month."""
    then, today = read_at.astimezone(TOKYO), now.astimezone(TOKYO)
    same_month = (then.year, then.month) == (today.year, today.month)
    return same_month and now - read_at <= CARRIED_FIGURES_LAST
