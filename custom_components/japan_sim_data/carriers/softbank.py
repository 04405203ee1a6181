"""SoftBank, Y!mobile and LINEMO, read by scraping the My SoftBank / My Y!mobile member pages.

Flow (the public scrapers named in the assumptions block walk the same path): a web-link page
hands out a one-time login `ticket`; the SoftBank ID login form takes the phone number, the
password and that ticket; the same web-link page, now logged in, hands out two hidden fields
(`mfiv` plus `mfsb` or `mfym`) that open the data-usage page on a second host. The session
lives in cookies, so the caller gives each account its own cookie jar. There is no API: every
figure comes out of HTML.

The concerns live in their own modules: softbank_login (forms, the login and the way to the
usage page, requests per poll), softbank_pages (My SoftBank's chart), ymobile_pages
(My Y!mobile's tables). This one holds the brands, the billing period and the references.

Pages are read off the event loop (asyncio.to_thread): a member page is a few hundred kB of
markup, and scanning it must not stall Home Assistant.
"""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import ClassVar, Final, override
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, add_months, end_of_day, plausible_day, tokyo_now
from .errors import CarrierConnectionError, CarrierParseError, CarrierSessionExpiredError
from .http import HostPolicy, HttpReply
from .models import AccountUsage, BucketKind, Carrier, SimUsage
from .skeleton import reading
from .softbank_login import (
    LINEMO_PORTAL,
    SOFTBANK_PORTAL,
    TICKET_FIELD,
    YMOBILE_PORTAL,
    Portal,
    SoftBankIdSession,
    page_problem,
    read_form,
)
from .softbank_pages import ParsedUsage, parse_softbank_usage, whole_page
from .units import normalize_text
from .ymobile_pages import parse_ymobile_usage

_LOGGER = logging.getLogger(__name__)

# --- What this adapter assumes about SoftBank, Y!mobile and LINEMO ---------------------------
# References (read at these commits; none was run against a live account from here):
#   [MYSB]  miya/mysb-reminder @ dae3224b0644ecb61d597a7c189c31ab7e1bd656, mysoftbank/mysoftbank.py
#           and README.md (sample output); @ 47e839076738fd0b68772400dd5bc06eecd8fd62 and
#           fcac6a3b2b18af01998d19fff6f0dcf0d58f4191, MySBdt/MySBdt.py (what each key means:
#           stepRemainData 繰越データ残量, currentGivenData 追加繰越データ量).
#   [NYB]   nairoki23/ymobile_bot @ e2b471788238e3b54a56499ad9298907c50afba9, ymobile.py, main.py.
#   [NDB]   nairoki23/discord-bot, func/ymobile/ymobile.py and cogs/data_usage.py @
#           5d630535b4e29b4d59a12554baa4eaf85a44a6da (4 tables by position),
#           d5762efc78895a7fd57616f2c2473c473d7102e6 (paid figure in the 2nd row, before a link),
#           e63d3b00418be8a5c563ebfe70b47cdcb205e74a (5 tables: an extra grant at position 2),
#           77b44dab75a8de5c4ae77118a6d78ad4465969a3 (tables found by their labels; くりこし分
#           reported on its own).
#   [KYM]   kouchan20100119-design/Y-mobile-monitor-App @ af13d42860f748907c1d9a40af4322ad1ed43cab,
#           ymobile_fetcher.py and ymobile_cache.json (the figures one live run produced).
#   [KYK]   kouchan20100119-design/Y-Mobile-MonitorApp-kotaro @
#           3b9fa6094c6a9675e09a4e800353723250c31525, app/src/main/java/com/hachi/ymobilemonitor/
#           data/YMobileRepository.kt (Jsoup selector, login judged by landing on login.php).
#   [KTS]   kouchan20100119-design/y-mobile-data-usage-app @
#           d916fdb6473e13ddb718bec93c938c0cf3c357ef, lib/ymobile-fetcher.ts (field names).
#   [MAW]   ma-chin-365ho/automation-web @ 39ce0d22f595bc6de340fba267677540b7823c64,
#           automation_ymobile.py (My Y!mobile may ask for a 本人確認 code after the password).
# Forms, the login and requests per poll: softbank_login.py. Figures: softbank_pages.py
# (SoftBank) and ymobile_pages.py (Y!mobile), each with its own block.
#
# carriers.md: the billing period closes on the 10th, the 20th or the month's end, so the
# allowance arrives on the 11th, the 21st or the 1st (a user setting: the page does not say).
# Expiry. No reference reads an expiry from either page. Assumed, after the carriers' published
# carry-over rule (data carried over is usable to the end of the period it was carried into;
# no reference shows it): the plan's slice, carried-over data (SoftBank's stepRemainData and
# currentGivenData, Y!mobile's くりこし分) and paid additions expire at the end of the current
# period, the day before the next reset. Other grants (Y!mobile's extra tables, NDB's mileage)
# have no expiry on the page: None (unknown). The adapter stamps these expiries from its clock;
# nothing on the page tells it which period the page shows, so a page that still shows the
# last period after the reset cannot be told apart (none of the references tells either).
RESET_DAYS: Final = (1, 11, 21)
EXPIRES_WITH_PERIOD: Final = frozenset(
    {BucketKind.MONTHLY, BucketKind.CARRIED_OVER, BucketKind.TOPPING}
)
# No daily usage history: no public client reads a per-day table for SoftBank, Y!mobile or
# LINEMO; every one stops at the resfe/top page above (searched 2026-11: [MYSB], [NYB], [NDB],
# [KYM], [KYK], [KTS], the other re11/re61 resfe scrapers in the code index, and the queries
# 日別, 利用履歴, データ通信量 日別, dataUsageHistory, traffic_history). So SimUsage.daily_usage
# stays empty here: a format would have to be invented.
# ----------------------------------------------------------------------------------------------


def next_reset(today: date, reset_day: int) -> date:
    """Return the first day after ``today`` on which the allowance arrives (1st, 11th, 21st)."""
    if reset_day not in RESET_DAYS:
        raise ValueError("reset_day must be 1, 11 or 21")
    if today.day < reset_day:
        return today.replace(day=reset_day)
    year, month = add_months(today.year, today.month, 1)
    return date(year, month, reset_day)


class _MySoftBankAdapter(CarrierAdapter):
    """Shared flow of the SoftBank ID brands: ticket, login, hidden-field hop, usage page."""

    portal: ClassVar[Portal]
    experimental: ClassVar[bool] = False
    """True when no public client confirms the route (see the assumptions block)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        phone_number: str,
        password: str,
        reset_day: int = 1,
        base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
        logged_in: bool | None = None,
    ) -> None:
        """Keep the credentials; nothing is sent until the first fetch or login.

        ``base_url`` replaces the scheme and host of every carrier URL (tests point all of
        them at one local server); ``clock`` returns an aware "now". ``logged_in`` says
        whether ``session`` holds a login this account just verified (a config flow's);
        None judges by whether its cookie jar holds the portal's cookies.
        """
        super().__init__(session)
        if reset_day not in RESET_DAYS:
            raise ValueError("reset_day must be 1, 11 or 21")
        # The form wants the bare digits; users type hyphens and full-width digits.
        telnum = "".join(ch for ch in normalize_text(phone_number) if ch.isdigit())
        if len(telnum) < 4:  # noqa: PLR2004
            raise ValueError("phone_number must contain the line's digits")
        self._telnum = telnum
        self._reset_day = reset_day
        self._base_url = base_url.rstrip("/") if base_url else None
        self._clock = clock or tokyo_now
        self._login = SoftBankIdSession(
            session,
            self.portal,
            telnum=telnum,
            password=password,
            url=self._url,
            logged_in=logged_in,
        )

    @property
    def _policy(self) -> HostPolicy:
        return self._login.policy

    @property
    def logged_in(self) -> bool:
        """True while the session is taken to be logged in: a fetch then sends no password.

        Set by a login and by every page read; a login page met anywhere clears it.
        """
        return self._login.logged_in

    @property
    @override
    def account_id(self) -> str:
        """A hash of the phone number: stable, and it reveals nothing."""
        return anonymous_id(self.carrier, self._telnum)

    @override
    async def async_login(self) -> None:
        """Log in with a fresh ticket; CarrierAuthError when the carrier rejects the password."""
        await self._login.login()

    @override
    async def async_fetch(self) -> AccountUsage:
        """Read the usage page, logging in first only when the session is not logged in."""
        parsed = await self._usage()
        today = self._clock().astimezone(TOKYO).date()
        resets_on = plausible_day(next_reset(today, self._reset_day), today=today)
        period_end = end_of_day(resets_on - timedelta(days=1))
        buckets = tuple(
            replace(bucket, expires=period_end if bucket.kind in EXPIRES_WITH_PERIOD else None)
            for bucket in parsed.buckets
        )
        sim = SimUsage(
            sim_id=self.account_id,
            number_suffix=self._telnum[-4:],
            buckets=buckets,
            # Neither page states the plan's size.
            allowance=None,
            used=parsed.used,
            resets_on=resets_on,
        )
        return AccountUsage(sims={sim.sim_id: sim})

    async def _usage(self) -> ParsedUsage:
        """Read the usage page in as few requests as the session allows (softbank_login.py)."""
        login = self._login
        reused = login.usage_fields if login.logged_in else None
        if reused is not None:
            reply = await login.send("POST", self.portal.usage_url, data=reused)
            if (usage := await asyncio.to_thread(self._figures_or_none, reply)) is not None:
                return usage
        ticket: str | None = None
        if login.logged_in:
            outcome = await self._try_usage()
            if isinstance(outcome, ParsedUsage):
                if reused is not None:
                    login.fields_refused()
                return outcome
            ticket = outcome
            _LOGGER.debug("The %s session has ended; logging in again", self.carrier)
        await login.login(ticket)
        outcome = await self._try_usage()
        if isinstance(outcome, ParsedUsage):
            return outcome
        raise CarrierSessionExpiredError(
            f"{self.carrier} still asked for a login right after a successful one"
        )

    async def _try_usage(self) -> ParsedUsage | str | None:
        """Hop to the usage page with the current cookies and read it.

        Returns the figures, or (when the carrier asked for a login on the way) the login
        ticket that page offered, or None when it offered none.
        """
        fields = await self._login.hop()
        if not isinstance(fields, dict):
            return fields
        reply = await self._login.open_usage(fields)
        outcome = await asyncio.to_thread(self._read_usage, reply)
        if not isinstance(outcome, ParsedUsage):
            self._login.logged_out()
        return outcome

    def _read_usage(self, reply: HttpReply) -> ParsedUsage | str | None:
        """Runs off the event loop: the figures, or the ticket of a login page met instead."""
        form = read_form(reply.text, (TICKET_FIELD,))
        if form.login_form:
            return form.fields.get(TICKET_FIELD)
        try:
            with reading(reply.text):
                return self._parse(whole_page(reply.text))
        except CarrierParseError as err:
            problem = page_problem(form, reply.status)
            if problem is not None:
                raise problem from err
            raise

    def _figures_or_none(self, reply: HttpReply) -> ParsedUsage | None:
        """Runs off the event loop: the figures of a page opened with kept fields, if any.

        Any other page (a login form, an error, no figures) only says the kept fields did
        not work: the hop then tells why, and raises what it finds.
        """
        try:
            usage = self._read_usage(reply)
        except CarrierParseError, CarrierConnectionError:
            return None
        return usage if isinstance(usage, ParsedUsage) else None

    @abstractmethod
    def _parse(self, html: str) -> ParsedUsage:
        """Read the brand's usage page."""

    def _url(self, url: str) -> str:
        """Point a carrier URL at ``base_url`` (keeping its path) when one was given."""
        if self._base_url is None:
            return url
        base = urlsplit(self._base_url)
        original = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, base.path + original.path, original.query, ""))


class SoftBankAdapter(_MySoftBankAdapter):
    """One SoftBank line, read from My SoftBank."""

    carrier = Carrier.SOFTBANK
    portal = SOFTBANK_PORTAL

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_softbank_usage(html)


class YmobileAdapter(_MySoftBankAdapter):
    """One Y!mobile line, read from My Y!mobile (needs a smartphone User-Agent)."""

    carrier = Carrier.YMOBILE
    portal = YMOBILE_PORTAL

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_ymobile_usage(html)


class LinemoAdapter(_MySoftBankAdapter):
    """One LINEMO line, tried on SoftBank's route. Experimental: no public client confirms it."""

    carrier = Carrier.LINEMO
    portal = LINEMO_PORTAL
    experimental = True

    @override
    def _parse(self, html: str) -> ParsedUsage:
        return parse_softbank_usage(html)
