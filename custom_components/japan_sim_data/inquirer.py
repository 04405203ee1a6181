"""Sends a tracked SIM's SMS inquiry through the user's action and waits for the reply.

The reply is not read here: it arrives through the tracker's notice sources like any notice
(sender filters apply) and the tracker tells the inquirer a notice was read. What happened is
kept in the tracker's Store, so the limits, a reply still awaited and the repair issue of an
inquiry that goes unanswered survive a restart. An attempt is written to disk before the SMS
goes: a crash right after sending must not send the day's SMS twice.

Secrets: the message text may be the user's own (a code, a PIN): it never reaches a log line,
an error or diagnostics; neither does the number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

from homeassistant.core import CALLBACK_TYPE, CoreState, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from .background import logged
from .carriers.dates import TOKYO
from .const import DOMAIN, LOGGER
from .coordinator import JapanSimDataConfigEntry
from .inquiry import (
    DAILY_CAP,
    MANUAL_SPACING,
    MIN_SPACING,
    REPLY_WINDOW,
    SILENCES_BEFORE_ISSUE,
    InquiryConfig,
    InquiryState,
    allowed_from,
    attempts_today,
    next_due,
)
from .issues import async_clear_entry_issue, async_raise_entry_issue, entry_issue_id

SEND_TIMEOUT: Final = 30.0
"""Seconds the user's action may take to hand the SMS over (a script may wait on a modem)."""
UNANSWERED_ISSUE: Final = "inquiry_unanswered"


def unanswered_issue_id(entry_id: str) -> str:
    """Name the repair issue of a tracked SIM whose inquiries go unanswered."""
    return entry_issue_id(UNANSWERED_ISSUE, entry_id)


class Inquirer:
    """One tracked SIM's inquiries: when to send, sending, and the wait for the reply."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: JapanSimDataConfigEntry,
        config: InquiryConfig,
        state: InquiryState,
        *,
        last_figure: Callable[[], datetime | None],
        changed: Callable[[], None],
        save_now: Callable[[], Awaitable[None]],
    ) -> None:
        """Use ``state`` (the tracker's, saved with it); call ``changed`` after each change.

        ``save_now`` writes the state to disk at once (not on a delay): an attempt is saved
        with it before the action runs.
        """
        self.hass = hass
        self.entry = entry
        self.config = config
        self.state = state
        self._last_figure = last_figure
        self._changed = changed
        self._save_now = save_now
        self._unsub_due: CALLBACK_TYPE | None = None
        self._unsub_reply: CALLBACK_TYPE | None = None
        self._sending = False

    @property
    def awaiting_reply(self) -> bool:
        """True while a sent inquiry's reply is awaited."""
        return self.state.awaiting_since is not None

    @callback
    def async_start(self) -> None:
        """Resume a wait cut by a restart; schedule once Home Assistant has started.

        Before that, the action that sends the SMS (a router's notify service, an ESPHome
        action) may not be set up yet, and an inquiry sent then would fail.
        """
        self.entry.async_on_unload(self._cancel_timers)
        # Home Assistant forgets a repair issue at a restart: the silences counted bring it back.
        self._sync_unanswered_issue()
        self._resume_wait()
        self.entry.async_on_unload(async_at_started(self.hass, self._at_started))

    @callback
    def _at_started(self, _hass: HomeAssistant) -> None:
        self._schedule()

    @callback
    def _cancel_timers(self) -> None:
        for unsub in (self._unsub_due, self._unsub_reply):
            if unsub is not None:
                unsub()
        self._unsub_due = self._unsub_reply = None

    # -- asking -------------------------------------------------------------------------------

    async def async_ask(self, *, manual: bool) -> None:
        """Send the inquiry now, if the limits allow.

        Asked for by the user (Refresh button, refresh action): refused with a translated error
        when too soon or over the daily cap, and a failed send raises one too. Scheduled: held
        back silently, a failure logged once per attempt. Either way the attempt counts against
        the limits before the action runs, so nothing the action does can send a second one.
        """
        now = dt_util.now()
        if self.awaiting_reply and self._reply_deadline() <= now:
            self._silence()
            self._changed()
        spacing = MANUAL_SPACING if manual else MIN_SPACING
        allowed = allowed_from(self.state, now, spacing)
        if self._sending or allowed > now:
            if manual:
                raise self._too_soon(now, allowed)
            self._schedule()
            return
        await self._async_send(now, manual=manual)

    async def _async_send(self, now: datetime, *, manual: bool) -> None:
        state, config = self.state, self.config
        replied_before = state.replied
        state.record_attempt(now)
        # Waiting starts before the action runs: a modem's reply may come while it runs.
        state.awaiting_since, state.replied = now, None
        self._sending = True
        domain, service = config.domain_and_service
        failure: BaseException | None = None
        try:
            # On disk before the SMS goes: after a crash the attempt still counts.
            await self._save_now()
            async with asyncio.timeout(SEND_TIMEOUT):
                await self.hass.services.async_call(
                    domain, service, config.service_data(), blocking=True
                )
        except asyncio.CancelledError as err:
            if _being_cancelled():
                # Home Assistant stops or the entry unloads: the attempt is saved already.
                raise
            # The action was cancelled from inside (a script stopped mid-call): a failure.
            failure = err
        except Exception as err:  # noqa: BLE001 - whatever the user's action raises, the same answer
            failure = err
        finally:
            self._sending = False
        if failure is not None:
            # Nothing is known to be sent: nothing is awaited, and the figures stay as they are.
            if state.awaiting_since == now:
                state.awaiting_since, state.replied = None, replied_before
            # The error's type only: its text may quote what the action was given.
            LOGGER.warning(
                "%s could not send its SMS inquiry through %s (%s)",
                self.entry.title,
                config.action,
                type(failure).__name__,
            )
            self._changed()
            self._schedule()
            if manual:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="inquiry_failed",
                    translation_placeholders={
                        "entry_title": self.entry.title,
                        "action": config.action,
                        "error": type(failure).__name__,
                    },
                ) from None
            return
        state.last_sent = now
        LOGGER.debug("%s sent its SMS inquiry through %s", self.entry.title, config.action)
        self._resume_wait()
        self._changed()
        self._schedule()

    def _too_soon(self, now: datetime, allowed: datetime) -> HomeAssistantError:
        capped = attempts_today(self.state, now) >= DAILY_CAP
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="inquiry_daily_cap" if capped else "inquiry_too_soon",
            translation_placeholders={
                "entry_title": self.entry.title,
                "limit": str(DAILY_CAP),
                "time": allowed.astimezone(TOKYO).strftime("%H:%M"),
            },
        )

    # -- scheduling ---------------------------------------------------------------------------

    @callback
    def _schedule(self) -> None:
        """Set the timer of the next scheduled inquiry (or send it now if it is due)."""
        if self._unsub_due is not None:
            self._unsub_due()
            self._unsub_due = None
        now = dt_util.now()
        due = next_due(self.config, self.state, self._last_figure(), now)
        if due is None:
            return
        if due <= now:
            self._on_due(now)
            return
        self._unsub_due = async_track_point_in_time(self.hass, self._on_due, due)

    @callback
    def _on_due(self, _now: datetime) -> None:
        self._unsub_due = None
        self.entry.async_create_task(
            self.hass,
            logged(self.async_ask(manual=False), "The scheduled SMS inquiry"),
            f"{DOMAIN} inquiry {self.entry.entry_id}",
        )

    # -- the reply ----------------------------------------------------------------------------

    @callback
    def async_notice_read(self) -> None:
        """A carrier notice was read: the reply, if one was awaited; a fresher figure anyway.

        The tracker calls this only for news: a text read before (and so one seen before the
        inquiry went) is no reply.
        """
        state = self.state
        if (since := state.awaiting_since) is not None:
            if state.last_sent is None or state.last_sent < since:
                # Sent before a crash that lost the rest: the reply shows it went.
                state.last_sent = since
            state.awaiting_since, state.replied, state.silences = None, True, 0
            if self._unsub_reply is not None:
                self._unsub_reply()
                self._unsub_reply = None
            self._sync_unanswered_issue()
        if self.hass.state is CoreState.running:
            self._schedule()

    def _reply_deadline(self) -> datetime:
        assert self.state.awaiting_since is not None
        return self.state.awaiting_since + REPLY_WINDOW

    @callback
    def _resume_wait(self) -> None:
        """Wait for the awaited reply until its window closes (at once if it closed already)."""
        if not self.awaiting_reply or self._unsub_reply is not None:
            return
        deadline = self._reply_deadline()
        if deadline <= dt_util.now():
            # The window closed while Home Assistant was stopped.
            self._silence()
            self._changed()
            return
        self._unsub_reply = async_track_point_in_time(self.hass, self._on_reply_timeout, deadline)

    @callback
    def _on_reply_timeout(self, _now: datetime) -> None:
        self._unsub_reply = None
        if self.awaiting_reply:
            self._silence()
            self._changed()
            self._schedule()

    @callback
    def _silence(self) -> None:
        """No reply came in time: a warning for the first silence, an issue after several."""
        state = self.state
        state.awaiting_since, state.replied = None, False
        state.silences += 1
        minutes = int(REPLY_WINDOW.total_seconds() // 60)
        if state.silences == 1:
            LOGGER.warning(
                "%s got no reply to its SMS inquiry within %d minutes", self.entry.title, minutes
            )
        else:
            LOGGER.debug("%s: %d inquiries in a row unanswered", self.entry.title, state.silences)
        self._sync_unanswered_issue()

    @callback
    def _sync_unanswered_issue(self) -> None:
        """Show the repair issue while SILENCES_BEFORE_ISSUE or more went unanswered in a row."""
        if self.state.silences < SILENCES_BEFORE_ISSUE:
            async_clear_entry_issue(self.hass, UNANSWERED_ISSUE, self.entry.entry_id)
            return
        async_raise_entry_issue(
            self.hass,
            UNANSWERED_ISSUE,
            self.entry,
            {
                "count": str(self.state.silences),
                "minutes": str(int(REPLY_WINDOW.total_seconds() // 60)),
            },
        )


def _being_cancelled() -> bool:
    """Tell whether the running task itself is being cancelled (not a call it awaited).

    A script stopped mid-call raises CancelledError into its caller without cancelling the
    caller's task; ``cancelling()`` counts only requests to cancel this task.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
