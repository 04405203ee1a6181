"""SoftBank ID's login and the hop to the usage page, shared by SoftBank, Y!mobile and LINEMO.

What is assumed here about the portals' forms is listed in the block below; the references it
names ([MYSB], [NYB], [KYM], [KYK], [KTS]) are described in softbank.py's assumptions block.

The login lives in the cookies of the aiohttp session the caller gives (one per account). This
module's SoftBankIdSession adds what the cookies cannot say: whether the last page seen was
logged in, and the hidden fields that opened the usage page last time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Final, override

import aiohttp
from yarl import URL

from .errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
)
from .http import (
    MAX_BODY_BYTES,
    MOBILE_BROWSER_USER_AGENT,
    HostPolicy,
    HttpReply,
    check_token,
    request,
)
from .skeleton import describe, reading
from .units import normalize_text

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Portal:
    """Where one brand's pages live and which hidden fields open its usage page."""

    entry_url: str
    """The web-link page that hands out the login ticket to a visitor without a session."""
    login_url: str
    hop_url: str
    """The web-link page that, once logged in, hands out the usage page's hidden fields."""
    usage_url: str
    hop_fields: tuple[str, ...]

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL of the brand: requests, redirects and credentials stay on their hosts."""
        return (self.entry_url, self.login_url, self.hop_url, self.usage_url)


# --- What this module assumes about the SoftBank ID portals ----------------------------------
# URLs and form fields (telnum, password, ticket; mfiv + mfsb / mfym): [MYSB] for SoftBank;
# [NYB], [KYM], [KYK], [KTS] for Y!mobile, MRERE0000 under /muc/d/webLink/doSend/ included.
# The references read the hidden fields by position; [KTS] matches them by name
# (name="ticket", name="mfiv", name="mfym"). Fields are read by name here: the names are what the
# scrapers post back, which a browser takes from the page's own auto-submitting form.
SOFTBANK_PORTAL: Final = Portal(
    entry_url="https://my.softbank.jp/msb/d/webLink/doSend/MRERE0000",
    login_url="https://id.my.softbank.jp/sbid_auth/type1/2.0/login.php",
    hop_url="https://my.softbank.jp/msb/d/webLink/doSend/MRERE0000",
    usage_url="https://re11.my.softbank.jp/resfe/top/",
    hop_fields=("mfiv", "mfsb"),
)
YMOBILE_PORTAL: Final = Portal(
    entry_url="https://my.ymobile.jp/muc/d/webLink/doSend/MWBWL0130",
    login_url="https://id.my.ymobile.jp/sbid_auth/type1/2.0/login.php",
    hop_url="https://my.ymobile.jp/muc/d/webLink/doSend/MRERE0000",
    usage_url="https://re61.my.ymobile.jp/resfe/top/",
    hop_fields=("mfiv", "mfym"),
)
# EXPERIMENTAL, assumed: no public client reads LINEMO usage. LINEMO's member site ("My Menu")
# is its own; whether a LINEMO line can be read through My SoftBank is unconfirmed. Until a
# capture shows LINEMO's page, LINEMO is tried on SoftBank's route and parser unchanged.
LINEMO_PORTAL: Final = SOFTBANK_PORTAL

TICKET_FIELD: Final = "ticket"
# Assumed: no reference shows how long these values are; anything longer than this, or with
# characters outside visible ASCII, is refused before it is sent back.
MAX_FORM_VALUE_LENGTH: Final = 4096
# Assumed: no reference shows a page's size, so pages get the library's cap (2 MiB).
PAGE_MAX_BYTES: Final = MAX_BODY_BYTES
# Assumed: a login page (the first visit, a rejected password, an expired session) is one that
# carries the hidden `ticket` field or a password input ([KYK]: a failed login lands on
# login.php again).
# Assumed: SoftBank ID's rejection message contains one of these phrases (after NFKC folding).
AUTH_ERROR_MARKERS: Final = (
    "パスワードが正しくありません",
    "パスワードが違います",
    "ログインできませんでした",
)
# Assumed: a maintenance or "too busy" page says so in one of these words. Only checked when the
# expected fields or figures are missing, so a footer link to maintenance news does no harm.
MAINTENANCE_MARKERS: Final = ("メンテナンス", "maintenance", "混み合って", "混雑")
# [MAW]: after the password, My Y!mobile may answer with an identity check, a page titled
# "本人確認 | ワイモバイル" whose form takes a code (sent to the user) in an input named
# "password", submitted with a 本人確認する button. Its password input would read as the login
# form again, i.e. a wrong password: it is told apart by its title. Nothing here can answer
# it, and every login would send the user another code, so it stops like a rejected login
# (the user is asked to log in again) with its own message. Assumed: SoftBank's portal, on
# the same SoftBank ID stack, titles such a page the same way.
VERIFICATION_TITLE_MARKER: Final = "本人確認"
# Requests per poll. Every reference logs in afresh for each reading (4 requests: entry, login,
# hop, usage) and posts the hop's fields once; none shows whether they open the usage page a
# second time. So, while the session is known to be logged in:
# - the fields that opened the usage page are posted again (1 request). Assumed, as a browser's
#   reload of that page would; the first time the carrier does not answer them with figures
#   although the session still holds (the hop hands out fields), they are taken to be one-shot
#   and never posted twice again by this session (1 wasted request, once);
# - otherwise the hop and the usage page (2 requests, the references' own steps).
# A login page anywhere means the session ended: one silent login, then the hop and the usage
# page. Without any cookie of the portal there is nothing to try: the login comes first.
# ----------------------------------------------------------------------------------------------


# --- Pure parsing: forms ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormPage:
    """What a page's forms and words say, read in one pass."""

    fields: dict[str, str]
    """The wanted hidden fields the page carries, each validated; empty ones are left out."""
    login_form: bool
    """The page is SoftBank ID's login form (a hidden ticket or a password input)."""
    rejected: bool
    """The page says the phone number or password was wrong."""
    maintenance: bool
    """The page says the site is under maintenance or too busy."""
    verification: bool = False
    """The page is SoftBank ID's identity check (a code the user was sent), by its title."""

    def has(self, names: Collection[str]) -> bool:
        """True when every one of these fields is on the page."""
        return all(name in self.fields for name in names)


class _FormScanner(HTMLParser):
    """Collects every <input> of a page as (type, name, value), and the page's title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: list[tuple[str, str, str]] = []
        self.title: list[str] = []
        self._in_title = False

    @override
    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    @override
    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag != "input":
            return
        values = {name.lower(): value or "" for name, value in attrs}
        self.inputs.append(
            (
                values.get("type", "text").strip().lower(),
                values.get("name", ""),
                values.get("value", ""),
            )
        )


def _scan(html: str) -> _FormScanner:
    scanner = _FormScanner()
    scanner.feed(html)
    scanner.close()
    return scanner


def _scan_inputs(html: str) -> list[tuple[str, str, str]]:
    return _scan(html).inputs


def _hidden(inputs: list[tuple[str, str, str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for kind, name, value in inputs:
        if kind == "hidden" and name:
            fields.setdefault(name, value)
    return fields


def find_hidden_inputs(html: str) -> dict[str, str]:
    """Return the page's hidden form fields by name (the first one wins when a name repeats)."""
    return _hidden(_scan_inputs(html))


def is_login_page(html: str) -> bool:
    """Tell whether the page is SoftBank ID's login form (see the assumptions block)."""
    return _is_login(_scan_inputs(html))


def _is_login(inputs: list[tuple[str, str, str]]) -> bool:
    return any(
        (kind == "hidden" and name == TICKET_FIELD) or kind == "password"
        for kind, name, _ in inputs
    )


def check_form_value(value: str, what: str) -> str:
    """Return a hidden field's value when it is safe to send back, else raise CarrierParseError.

    ``what`` names the field in the error, never its value.
    """
    return check_token(value, what, max_length=MAX_FORM_VALUE_LENGTH)


def read_form(html: str, wanted: Collection[str] = ()) -> FormPage:
    """Read a page's hidden fields (validating the wanted ones) and what its words say."""
    with reading(html):
        scanner = _scan(html)
        inputs = scanner.inputs
        hidden = _hidden(inputs)
        fields = {name: check_form_value(hidden[name], name) for name in wanted if hidden.get(name)}
        text = normalize_text(html).lower()
        return FormPage(
            fields=fields,
            login_form=_is_login(inputs),
            rejected=_says_any(text, AUTH_ERROR_MARKERS),
            maintenance=_says_any(text, MAINTENANCE_MARKERS),
            verification=VERIFICATION_TITLE_MARKER in normalize_text("".join(scanner.title)),
        )


def _says_any(folded: str, markers: tuple[str, ...]) -> bool:
    return any(normalize_text(marker).lower() in folded for marker in markers)


def page_problem(form: FormPage, status: int) -> CarrierError | None:
    """Why a page lacks what we came for, when it says so: maintenance or an HTTP error."""
    if form.maintenance:
        return CarrierMaintenanceError("The carrier's member site shows a maintenance or busy page")
    if status >= HTTPStatus.BAD_REQUEST:
        return CarrierConnectionError(f"The carrier's member site answered HTTP {status}")
    return None


async def unexpected_page(reply: HttpReply, form: FormPage, what: str) -> CarrierError:
    """The error for a page that is not the one expected, with its outline for diagnostics."""
    if (problem := page_problem(form, reply.status)) is not None:
        return problem
    return CarrierParseError(
        f"The carrier's {what} page does not have the expected form",
        skeleton=await asyncio.to_thread(describe, reply.text),
    )


# --- The session -----------------------------------------------------------------------------


class SoftBankIdVerificationError(CarrierAuthError):
    """SoftBank ID asks for an identity-check code after the password ([MAW]).

    An auth error, so polling stops until the user logs in again: each new login attempt
    would send them another code.
    """


class SoftBankIdSession:
    """One account's login to a SoftBank ID portal, and the way from it to the usage page.

    The login itself is the session cookies in ``http``'s jar; this object remembers whether
    the last page seen was logged in (``logged_in``) and the hidden fields that last opened
    the usage page. A caller that verified a login (a config flow) may hand its aiohttp
    session on: a new SoftBankIdSession on it sees the portal's cookies and tries the usage
    page before logging in again.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        portal: Portal,
        *,
        telnum: str,
        password: str,
        url: Callable[[str], str],
        logged_in: bool | None = None,
    ) -> None:
        """Keep the credentials; ``logged_in`` None means "judge from the cookie jar"."""
        self._http = http
        self.portal = portal
        self._telnum = telnum
        self._password = password
        self._url = url
        self.policy = HostPolicy.of(*(url(address) for address in portal.urls))
        self.logged_in = self.holds_cookies() if logged_in is None else logged_in
        """True while the pages last seen were logged in; False sends the login first."""
        self.usage_fields: dict[str, str] | None = None
        """The hop's fields that last opened the usage page (see the assumptions block)."""
        self.fields_reusable = True
        """False once the carrier refused fields it had accepted, in a session that held."""

    def holds_cookies(self) -> bool:
        """True when the jar holds a cookie the portal's hop page would be sent."""
        return bool(self._http.cookie_jar.filter_cookies(URL(self._url(self.portal.hop_url))))

    async def login(self, ticket: str | None = None) -> None:
        """Log in with ``ticket``, or a fresh one from the entry page.

        Raises CarrierAuthError when the carrier rejects the phone number or password.
        """
        self.logged_in = False
        self.usage_fields = None
        if not ticket:
            entry = await self.send("GET", self.portal.entry_url)
            form = await read_form_async(entry, (TICKET_FIELD, *self.portal.hop_fields))
            ticket = form.fields.get(TICKET_FIELD)
            if not ticket:
                if form.has(self.portal.hop_fields):
                    # Logged in already: SoftBank's entry page is the hop.
                    self.logged_in = True
                    return
                raise await unexpected_page(entry, form, "login")
        answer = await self.send(
            "POST",
            self.portal.login_url,
            data={"telnum": self._telnum, "password": self._password, TICKET_FIELD: ticket},
        )
        form = await read_form_async(answer, ())
        if form.verification:
            raise SoftBankIdVerificationError(
                "The carrier asks for an identity-check code after the password, "
                "which this integration cannot enter"
            )
        if form.rejected or form.login_form:
            raise CarrierAuthError("The carrier rejected the phone number or password")
        if answer.status >= HTTPStatus.BAD_REQUEST:
            raise await unexpected_page(answer, form, "login")
        self.logged_in = True

    async def hop(self) -> dict[str, str] | str | None:
        """Ask the hop page for the usage page's fields.

        Returns the fields, or (on a login page) the ticket it offered, or None without one.
        """
        hop = await self.send("GET", self.portal.hop_url)
        form = await read_form_async(hop, (TICKET_FIELD, *self.portal.hop_fields))
        if form.has(self.portal.hop_fields):
            return {name: form.fields[name] for name in self.portal.hop_fields}
        if form.login_form:
            self.logged_out()
            return form.fields.get(TICKET_FIELD)
        raise await unexpected_page(hop, form, "usage link")

    async def open_usage(self, fields: dict[str, str]) -> HttpReply:
        """Post the hop's fields to the usage page and keep them for the next poll."""
        self.usage_fields = fields if self.fields_reusable else None
        return await self.send("POST", self.portal.usage_url, data=fields)

    def logged_out(self) -> None:
        """A login page was met: the session has ended, and its fields with it."""
        self.logged_in = False
        self.usage_fields = None

    def fields_refused(self) -> None:
        """The kept fields did not open the usage page although the session held."""
        _LOGGER.debug("The carrier did not take the usage page's fields twice; not reusing them")
        self.fields_reusable = False
        self.usage_fields = None

    async def send(self, method: str, url: str, *, data: dict[str, str] | None = None) -> HttpReply:
        """One request to the portal with a smartphone's User-Agent, under the brand's policy."""
        return await request(
            self._http,
            method,
            self._url(url),
            policy=self.policy,
            headers={"User-Agent": MOBILE_BROWSER_USER_AGENT},
            data=data,
            max_bytes=PAGE_MAX_BYTES,
        )


async def read_form_async(reply: HttpReply, wanted: Collection[str]) -> FormPage:
    """read_form off the event loop: member pages are a few hundred kB of markup."""
    return await asyncio.to_thread(read_form, reply.text, wanted)
