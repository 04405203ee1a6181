"""One HTTP round trip to a carrier, under one policy that treats every answer as hostile.

- Requests, redirects and so credentials go only to the hosts an adapter names (HostPolicy);
  a redirect never goes from https to http.
- An answer is read up to a size cap and within a time budget.
- Transport failures map to the library's errors, whose messages carry no URL or header.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Final

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from .errors import (
    CarrierConnectionError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)

REQUEST_TIMEOUT: Final = 30.0
"""Seconds one request (with its redirects) may take before we give up on the carrier."""

MAX_BODY_BYTES: Final = 2 * 1024 * 1024
"""The largest answer read. Carriers' JSON answers are a few kB and their pages a few hundred;
anything bigger is broken or hostile, and reading it would cost memory and event-loop time."""

MAX_REDIRECTS: Final = 5

MAX_RETRY_AFTER: Final = 24 * 60 * 60.0
"""The longest wait a carrier's Retry-After is taken at: a day. A bigger figure is a mistake
(or hostile) and would stop polling for good."""

MAX_TOKEN_LENGTH: Final = 4096

# Mobile browsers are what carriers' member pages are built for; some refuse anything else.
MOBILE_BROWSER_USER_AGENT: Final = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
)

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_KEEP_METHOD_REDIRECTS: Final = frozenset({307, 308})


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """The hosts one adapter may send requests (and with them, credentials) to."""

    hosts: frozenset[str]

    @classmethod
    def of(cls, *urls: str) -> HostPolicy:
        """The policy that allows exactly the hosts of these URLs."""
        return cls(frozenset(host for url in urls if (host := URL(url).host)))

    def allows(self, url: URL) -> bool:
        """True when ``url`` is on one of the policy's hosts, over http(s)."""
        return url.scheme in ("http", "https") and (url.host or "").lower() in self.hosts


@dataclass(frozen=True, slots=True)
class HttpReply:
    """What a carrier answered: status, headers, the decoded body and the final URL."""

    status: int
    headers: CIMultiDictProxy[str]
    text: str
    url: str = ""
    """Where the answer came from, after redirects. May carry secrets in its query: never log it."""

    @property
    def looks_like_html(self) -> bool:
        """True when the body is a web page (maintenance and error pages are)."""
        head = self.text.lstrip()[:100].lower()
        return head.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body"))

    def json(self) -> Any:
        """Decode the body as JSON, or say precisely why it is not data."""
        if self.looks_like_html:
            raise CarrierMaintenanceError(
                f"The carrier answered with a web page instead of data (HTTP {self.status}); "
                "its site may be under maintenance"
            )
        try:
            return json.loads(self.text)
        # Nesting deep enough to exhaust the parser's stack is an attack, not data.
        except (ValueError, RecursionError) as err:
            raise CarrierParseError(
                f"The carrier's answer is not valid JSON (HTTP {self.status})"
            ) from err


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    policy: HostPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    data: Any = None,
    timeout: float = REQUEST_TIMEOUT,
    max_bytes: int = MAX_BODY_BYTES,
) -> HttpReply:
    """Send one request, follow its redirects within ``policy`` and read the answer.

    ``policy`` None allows only ``url``'s own host. Raises CarrierConnectionError for network
    failures, timeouts, 5xx answers and redirects the policy refuses, CarrierRateLimitError
    for 429 and CarrierParseError for an answer over ``max_bytes``. Other statuses are
    returned for the adapter to judge. Messages name the failure's kind only: URLs and
    bodies may carry secrets.
    """
    target = URL(url)
    if params:
        target = target.update_query(params)
    policy = policy or HostPolicy.of(url)
    try:
        async with asyncio.timeout(timeout):
            reply = await _follow(
                session,
                method,
                target,
                policy=policy,
                headers=headers,
                json_body=json,
                data=data,
                max_bytes=max_bytes,
            )
    # "from None": aiohttp's errors carry the request's URL and headers (tokens, cookies).
    except TimeoutError:
        raise CarrierConnectionError("The carrier did not answer in time") from None
    except aiohttp.ClientError as err:
        kind = type(err).__name__
        raise CarrierConnectionError(f"Could not reach the carrier ({kind})") from None
    return _judge(reply)


async def _follow(
    session: aiohttp.ClientSession,
    method: str,
    target: URL,
    *,
    policy: HostPolicy,
    headers: Mapping[str, str] | None,
    json_body: Any,
    data: Any,
    max_bytes: int,
) -> HttpReply:
    """Send the request and walk its redirects one by one, checking each hop."""
    for _ in range(MAX_REDIRECTS + 1):
        if not policy.allows(target):
            raise CarrierConnectionError(
                "The carrier sent us to a host outside its own; nothing was sent there"
            )
        async with session.request(
            method,
            target,
            headers=headers,
            json=json_body,
            data=data,
            allow_redirects=False,
        ) as response:
            if response.status not in _REDIRECTS or "Location" not in response.headers:
                return HttpReply(
                    status=response.status,
                    headers=response.headers,
                    text=await _read_text(response, max_bytes),
                    url=str(response.url),
                )
            location = response.headers["Location"]
            status = response.status
        following = target.join(URL(location))
        if target.scheme == "https" and following.scheme != "https":
            raise CarrierConnectionError(
                "The carrier redirected to an unencrypted address; nothing was sent there"
            )
        target = following
        if status not in _KEEP_METHOD_REDIRECTS and method.upper() != "HEAD":
            # As browsers do: after 301/302/303 the next hop is a plain GET with no body.
            method, json_body, data = "GET", None, None
    raise CarrierConnectionError("The carrier redirected us too many times")


async def _read_text(response: aiohttp.ClientResponse, max_bytes: int) -> str:
    """Read at most ``max_bytes`` of the body and decode it; a bigger body is refused."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise _too_big(max_bytes)
    body = bytearray()
    while chunk := await response.content.readany():
        body += chunk
        if len(body) > max_bytes:
            raise _too_big(max_bytes)
    return decode_body(bytes(body), response.charset)


def _too_big(max_bytes: int) -> CarrierParseError:
    return CarrierParseError(
        f"The carrier's answer is larger than {max_bytes // 1024} kB; it was not read"
    )


# Where a page may declare its character set: browsers look in the first 1024 bytes; allow a
# little more for the long <head> of carriers' pages.
_META_SCAN_BYTES: Final = 4096
_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What browsers read a page labelled Shift_JIS as (WHATWG Encoding): Microsoft's superset, which
# holds the NEC and IBM extensions (①, ㈱, 髙) that Japanese pages use.
_BROWSER_CODECS: Final = {"shift_jis": "cp932", "shift_jis_2004": "cp932", "euc_jp": "euc_jp"}


def decode_body(body: bytes, declared: str | None) -> str:
    """Decode an answer as a browser would: the header's charset, a BOM, then the page's own.

    A page that names Shift_JIS only in its ``<meta charset>`` or ``http-equiv`` tag is common
    on Japanese sites; decoding it as UTF-8 would turn every label into replacement characters.
    Undecodable bytes become U+FFFD, never an exception.
    """
    encoding = _known_codec(declared)
    if encoding is None:
        encoding = next((name for bom, name in _BOMS if body.startswith(bom)), None)
    if encoding is None and (meta := _META_CHARSET.search(body[:_META_SCAN_BYTES])):
        encoding = _known_codec(meta[1].decode("ascii"))
    return body.decode(encoding or "utf-8", errors="replace")


def _known_codec(label: str | None) -> str | None:
    """Python's codec for a charset label, or None when Python does not know it."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return _BROWSER_CODECS.get(name, name)


def _judge(reply: HttpReply) -> HttpReply:
    """Raise for the statuses every adapter treats alike; return the rest."""
    if reply.status == HTTPStatus.TOO_MANY_REQUESTS:
        raise CarrierRateLimitError(
            "The carrier asked us to slow down (HTTP 429)",
            retry_after=retry_after_seconds(reply.headers.get("Retry-After")),
        )
    if reply.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        if reply.status == HTTPStatus.SERVICE_UNAVAILABLE or reply.looks_like_html:
            raise CarrierMaintenanceError(
                f"The carrier's site is unavailable (HTTP {reply.status}); "
                "it may be under maintenance",
                retry_after=retry_after_seconds(reply.headers.get("Retry-After")),
                status=reply.status,
            )
        raise CarrierConnectionError(
            f"The carrier answered with a server error (HTTP {reply.status})",
            status=reply.status,
        )
    return reply


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Read a Retry-After header: delay seconds or an HTTP date, at most a day.

    None when absent or unreadable: a malformed header is ignored, not obeyed.
    """
    if not header or len(header) > 64:  # noqa: PLR2004 - no valid header is longer
        return None
    header = header.strip()
    if header.isascii() and header.isdigit():
        return min(float(header), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(header)
    except TypeError, ValueError, IndexError, OverflowError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def check_token(value: Any, what: str, *, max_length: int = MAX_TOKEN_LENGTH) -> str:
    """Return ``value`` when it is safe to store and send back in a header, else refuse it.

    A token is 1 to ``max_length`` visible ASCII characters: anything else (line breaks that
    would split a header, spaces, control or non-ASCII characters, an absurd length) is a
    hostile or broken answer. ``what`` names the value in the error, never its content.
    """
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= max_length
        or not all("!" <= character <= "~" for character in value)
    ):
        raise CarrierParseError(f"The carrier sent an unusable {what}")
    return value
