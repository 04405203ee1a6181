"""One HTTP round trip to a carrier, with every transport failure mapped to the library's errors."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Final

import aiohttp
from multidict import CIMultiDictProxy

from .errors import (
    CarrierConnectionError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierRateLimitError,
)

REQUEST_TIMEOUT: Final = 30.0
"""Seconds one request may take before we give up on the carrier."""

# Mobile browsers are what carriers' member pages are built for; some refuse anything else.
MOBILE_BROWSER_USER_AGENT: Final = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36"
)


@dataclass(frozen=True, slots=True)
class HttpReply:
    """What a carrier answered: status, headers and the decoded body."""

    status: int
    headers: CIMultiDictProxy[str]
    text: str

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
        except ValueError as err:
            raise CarrierParseError(
                f"The carrier's answer is not valid JSON (HTTP {self.status})"
            ) from err


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout: float = REQUEST_TIMEOUT,
    **kwargs: Any,
) -> HttpReply:
    """Send one request and read the whole answer.

    Raises CarrierConnectionError for network failures, timeouts and 5xx answers, and
    CarrierRateLimitError for 429. Other statuses are returned for the adapter to judge.
    Error messages name the failure's kind only: URLs and bodies may carry secrets.
    """
    try:
        async with asyncio.timeout(timeout):
            async with session.request(method, url, allow_redirects=True, **kwargs) as response:
                reply = HttpReply(
                    status=response.status,
                    headers=response.headers,
                    text=await response.text(errors="replace"),
                )
    # "from None": aiohttp's errors carry the request's URL and headers (tokens, cookies).
    except TimeoutError:
        raise CarrierConnectionError("The carrier did not answer in time") from None
    except aiohttp.ClientError as err:
        kind = type(err).__name__
        raise CarrierConnectionError(f"Could not reach the carrier ({kind})") from None

    if reply.status == HTTPStatus.TOO_MANY_REQUESTS:
        raise CarrierRateLimitError(
            "The carrier asked us to slow down (HTTP 429)",
            retry_after=retry_after_seconds(reply.headers.get("Retry-After")),
        )
    if reply.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        if reply.status == HTTPStatus.SERVICE_UNAVAILABLE or reply.looks_like_html:
            raise CarrierMaintenanceError(
                f"The carrier's site is unavailable (HTTP {reply.status}); "
                "it may be under maintenance"
            )
        raise CarrierConnectionError(
            f"The carrier answered with a server error (HTTP {reply.status})"
        )
    return reply


def retry_after_seconds(header: str | None) -> float | None:
    """Read a Retry-After header: delay seconds or an HTTP date. None when absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = parsedate_to_datetime(header)
    except TypeError, ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
