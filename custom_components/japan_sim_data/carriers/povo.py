"""povo 2.0 (KDDI): remaining data from the private API behind the povo app.

Paths, headers, the token's lifetime, the usage buckets and the expiry text follow
shared/carriers.md (povo section), which documents the open-source povo-android client.
Everything this module needs beyond that is in the ASSUMPTIONS block below, and only there.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http import HTTPStatus
from typing import Any, Final

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, end_of_day
from .errors import CarrierAuthError, CarrierError, CarrierParseError
from .http import HttpReply, request
from .models import AccountUsage, BucketKind, Carrier, DataBucket, SimUsage
from .units import normalize_text, to_bytes

_LOGGER = logging.getLogger(__name__)

# ==========================================================================================
# ASSUMPTIONS: what carriers.md does not say. Correct them here when a user reports a change.
# ==========================================================================================

# Answers may come bare or wrapped ({"success": true, "result": {...}} or {"data": {...}}),
# so fields are looked up breadth-first through nested objects and lists, shallowest first.
ASSUMED_SEARCH_DEPTH: Final = 8

# Any 4xx (or "success": false) to the login-action or code request means povo will not send
# a code to this address. The code request carries the e-mail next to the documented fields.
ASSUMED_OTP_EMAIL_FIELD: Final = "email"

# The code request answers with a challenge id that the code submission has to echo.
ASSUMED_CHALLENGE_ID_FIELD: Final = "auth_id"


def assumed_code_submission(challenge_id: str, code: str, device_id: str) -> dict[str, Any]:
    """Body of POST …/users/auth: the e-mail challenge plus the device it was sent for."""
    return {
        "email_auth": {"auth_id": challenge_id, "otp_code": code, "device_id": device_id},
        "device": {"device_id": device_id, "device_type": "Mobile", "app_type": "ecosystem"},
    }


# Where the token is in the answers to the code submission and to a refresh.
ASSUMED_TOKEN_FIELD: Final = "auth_token"  # noqa: S105 (a field name, not a secret)

# Names of the line's service instance number and user uuid in the profile (either at the
# top, in a wrapper or in "telco_info"). Without a uuid, usage calls carry the sin only.
ASSUMED_SIN_FIELDS: Final = ("sin", "service_instance_number")
ASSUMED_UUID_FIELDS: Final = ("uuid",)

# The plan-details page is asked with the same sin/uuid query as the usage call, and a povo
# account holds one line: the profile's first sin is the line.

# A bucket without a "unit" is in the documented unit.
ASSUMED_DEFAULT_UNIT: Final = "kilobytes"

# What each usage bucket holds. basic = the plan's own allowance; boost = toppings (documented);
# extra (追加) = data bought on top, so a topping too; bonus and plus = granted, not bought.
ASSUMED_BUCKET_KINDS: Final[Mapping[str, BucketKind]] = {
    "basic": BucketKind.MONTHLY,
    "extra": BucketKind.TOPPING,
    "boost": BucketKind.TOPPING,
    "bonus": BucketKind.GIFT,
    "plus": BucketKind.GIFT,
}

# Data calls answering 401 or 403 (as JSON, not a web page) mean the token is not accepted.
ASSUMED_TOKEN_REJECTED: Final = frozenset({401, 403})

# povo shows an expiry per topping tile, not per usage bucket. The soonest expiry of a tile
# that still holds data (else of any tile) is given to every bucket, as povo spends the
# soonest-expiring data first. A printed minute ("午後11:59") is valid to its last second.

# ==========================================================================================

BASE_URL: Final = "https://app.povo.jp"
APP_VERSION: Final = "1.69.0-JP"
USER_AGENT: Final = "okhttp/4.12.0"

_USER_SERVICE: Final = "/api/v3/user-service/v4/jp/ja/mobile"
LOGIN_ACTION_PATH: Final = f"{_USER_SERVICE}/users/login/action"
OTP_PATH: Final = f"{_USER_SERVICE}/otp"
AUTH_PATH: Final = "/user-service/v5/public/jp/ja/mobile/users/auth"
TOKEN_PATH: Final = f"{_USER_SERVICE}/users/token"
PROFILE_PATH: Final = f"{_USER_SERVICE}/users"
USAGE_PATH: Final = "/v4/jp/ja/mobile/account/usage/plan/get"
PLAN_DETAILS_PATH: Final = "/api/v1/quilt/page/user-plan-details-v2"
PLAN_DETAIL_TILE: Final = "povo-tile-plan-detail"

# The token lives 1200 s; renew it with a margin so a slow update never sends a dead one.
TOKEN_LIFETIME: Final = timedelta(seconds=1200)
TOKEN_REFRESH_AFTER: Final = timedelta(seconds=1100)

BUCKET_NAMES: Final = tuple(ASSUMED_BUCKET_KINDS)


class PovoCodeRejectedError(CarrierAuthError):
    """povo refused the one-time code: it was mistyped or has expired."""


@dataclass(frozen=True, slots=True)
class PovoLine:
    """The identifiers povo scopes usage calls with. Both are secrets: never log them."""

    sin: str = field(repr=False)
    uuid: str | None = field(default=None, repr=False)

    def params(self) -> dict[str, str]:
        """Query parameters for calls about this line."""
        if self.uuid is None:
            return {"sin": self.sin}
        return {"sin": self.sin, "uuid": self.uuid}


def new_device_id() -> str:
    """Mint the 32-hex-character device id povo binds a login to; keep it per account."""
    return secrets.token_hex(16)


def _tokyo_now() -> datetime:
    return datetime.now(TOKYO)


class PovoAdapter(CarrierAdapter):
    """One povo 2.0 account (one line), logged in with an e-mail one-time code.

    The config flow calls async_request_code() then async_submit_code() on the same
    instance; afterwards the adapter keeps the token fresh and reports new ones through
    refreshed_secrets().
    """

    carrier = Carrier.POVO

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        email: str,
        device_id: str,
        auth_token: str | None = None,
        base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the account's identity; a stored token's age is unknown until it is renewed."""
        super().__init__(session)
        self._email = email.strip()
        self._device_id = device_id
        self._stored_token = auth_token
        self._token = auth_token
        self._token_obtained: datetime | None = None
        # Read at construction, not at import: tests and benchmarks point BASE_URL at a replay.
        self._base_url = (base_url or BASE_URL).rstrip("/")
        self._clock = clock or _tokyo_now
        self._challenge_id: str | None = None
        self._line: PovoLine | None = None

    @property
    def account_id(self) -> str:
        """A hash of the e-mail address."""
        return anonymous_id(self.carrier, self._email)

    def refreshed_secrets(self) -> dict[str, str]:
        """Return the token when it differs from the one the adapter was built with."""
        if self._token is not None and self._token != self._stored_token:
            return {"auth_token": self._token}
        return {}

    async def async_request_code(self) -> None:
        """Ask povo to e-mail a one-time login code."""
        reply = await self._send("POST", LOGIN_ACTION_PATH, json_body={"email": self._email})
        _decode(reply, CarrierAuthError("povo refused a login for this e-mail address"))
        reply = await self._send(
            "POST",
            OTP_PATH,
            json_body={
                ASSUMED_OTP_EMAIL_FIELD: self._email,
                "request_type": "LOGIN_EMAIL_OTP",
                "auth_mode": "ENHANCED_EMAIL_OTP",
                "otp_duration": 15,
                "device_id": self._device_id,
            },
        )
        payload = _decode(reply, CarrierAuthError("povo refused to send a login code"))
        challenge_id = _find(payload, (ASSUMED_CHALLENGE_ID_FIELD,))
        if not isinstance(challenge_id, str) or not challenge_id:
            raise CarrierParseError("povo sent a code but no login challenge to answer it with")
        self._challenge_id = challenge_id

    async def async_submit_code(self, code: str) -> None:
        """Exchange the e-mailed code for a token (raises PovoCodeRejectedError if refused)."""
        if self._challenge_id is None:
            raise CarrierAuthError("No povo login code was requested; request one first")
        # Codes typed with a Japanese input method arrive as full-width digits.
        code = normalize_text(code).strip()
        if not code:
            raise PovoCodeRejectedError("The povo login code is empty")
        reply = await self._send(
            "POST",
            AUTH_PATH,
            json_body=assumed_code_submission(self._challenge_id, code, self._device_id),
        )
        payload = _decode(
            reply, PovoCodeRejectedError("povo rejected the login code; it may have expired")
        )
        self._accept_token(payload)
        self._challenge_id = None

    async def async_login(self) -> None:
        """Check the stored token by renewing it (povo renews even an expired one)."""
        if self._token is None:
            raise CarrierAuthError("No povo login is stored; log in with a new code")
        await self._refresh_token()

    async def async_fetch(self) -> AccountUsage:
        """Read the line's buckets and the soonest expiry of its data."""
        if self._line is None:
            self._line = parse_profile(
                await self._get_json(PROFILE_PATH, {"include_telco": "true"})
            )
        line = self._line
        usage = await self._get_json(USAGE_PATH, line.params())
        buckets = parse_usage(usage)
        expires = parse_plan_details(await self._get_json(PLAN_DETAILS_PATH, line.params()))
        if expires is not None:
            buckets = tuple(
                DataBucket(kind=b.kind, remaining=b.remaining, total=b.total, expires=expires)
                for b in buckets
            )
        sim = SimUsage(
            sim_id=anonymous_id(self.carrier, line.sin),
            buckets=buckets,
            allowance=_sum_known(bucket.total for bucket in buckets),
            used=parse_used(usage),
        )
        return AccountUsage(sims={sim.sim_id: sim})

    # -- plumbing ---------------------------------------------------------------------------

    async def _get_json(self, path: str, params: Mapping[str, str] | None) -> Any:
        """GET with the token, renewing it first when old and once more if povo refuses it."""
        if self._token is None:
            raise CarrierAuthError("No povo login is stored; log in with a new code")
        if self._token_is_old():
            await self._refresh_token()
        reply = await self._send("GET", path, params=params, auth=True)
        if _token_rejected(reply):
            _LOGGER.debug("povo refused the token; renewing it once")
            await self._refresh_token()
            reply = await self._send("GET", path, params=params, auth=True)
            if _token_rejected(reply):
                raise CarrierAuthError("povo refused a freshly renewed token; log in again")
        return _decode(
            reply,
            CarrierParseError(f"povo refused a data request (HTTP {reply.status})"),
            CarrierParseError("povo reported a failure instead of data"),
        )

    def _token_is_old(self) -> bool:
        if self._token_obtained is None:
            return True
        return self._clock() - self._token_obtained >= TOKEN_REFRESH_AFTER

    async def _refresh_token(self) -> None:
        reply = await self._send("GET", TOKEN_PATH, auth=True)
        refused = CarrierAuthError("povo refused to renew the login; log in with a new code")
        if _token_rejected(reply):
            raise refused
        payload = _decode(
            reply, CarrierParseError(f"povo did not renew the login (HTTP {reply.status})"), refused
        )
        self._accept_token(payload)
        _LOGGER.debug("povo login renewed")

    def _accept_token(self, payload: Any) -> None:
        token = _find(payload, (ASSUMED_TOKEN_FIELD,))
        if not isinstance(token, str) or not token:
            raise CarrierParseError("povo's login answer carries no token")
        self._token = token
        self._token_obtained = self._clock()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        auth: bool = False,
    ) -> HttpReply:
        headers = {"X-App-Version": APP_VERSION, "User-Agent": USER_AGENT}
        if auth and self._token is not None:
            headers["X-AUTH"] = self._token
        return await request(
            self._session,
            method,
            f"{self._base_url}{path}",
            headers=headers,
            params=params,
            json=json_body,
        )


def _token_rejected(reply: HttpReply) -> bool:
    # A web page with 403 is a firewall or maintenance, not a verdict on the token.
    return reply.status in ASSUMED_TOKEN_REJECTED and not reply.looks_like_html


def _decode(reply: HttpReply, refusal: CarrierError, failure: CarrierError | None = None) -> Any:
    """Decode a JSON answer.

    Raises ``refusal`` for a 4xx and ``failure`` (default: ``refusal``) for a
    ``"success": false`` body. 5xx and 429 never get here: http.request raised already.
    """
    if (
        not HTTPStatus.OK <= reply.status < HTTPStatus.MULTIPLE_CHOICES
        and not reply.looks_like_html
    ):
        raise refusal
    payload = reply.json()  # a web page raises CarrierMaintenanceError here
    if isinstance(payload, dict) and payload.get("success") is False:
        raise failure or refusal
    return payload


def _objects(payload: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the payload, breadth-first, down to ASSUMED_SEARCH_DEPTH."""
    level: list[Any] = [payload]
    for _ in range(ASSUMED_SEARCH_DEPTH + 1):
        deeper: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                yield node
                deeper.extend(node.values())
            elif isinstance(node, list):
                deeper.extend(node)
        level = deeper


def _find(payload: Any, names: tuple[str, ...]) -> Any:
    """Return the shallowest value stored under one of ``names``, or None."""
    for node in _objects(payload):
        for name in names:
            if node.get(name) is not None:
                return node[name]
    return None


def _sum_known(values: Iterator[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def parse_profile(payload: Any) -> PovoLine:
    """Read the line's sin (and uuid when present) from GET …/users?include_telco=true."""
    sin = _identifier(_find(payload, ASSUMED_SIN_FIELDS))
    if sin is None:
        raise CarrierParseError("povo's profile names no line (service instance number)")
    return PovoLine(sin=sin, uuid=_identifier(_find(payload, ASSUMED_UUID_FIELDS)))


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _bucket_container(payload: Any) -> dict[str, Any]:
    for node in _objects(payload):
        if any(name in node for name in BUCKET_NAMES):
            return node
    raise CarrierParseError("povo's usage answer holds no data buckets")


def _bucket_nodes(payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, bucket) pairs; a bucket that is missing or null is skipped, not zero."""
    container = _bucket_container(payload)
    for name in BUCKET_NAMES:
        node = container.get(name)
        if node is None:
            continue
        if not isinstance(node, dict):
            raise CarrierParseError(f"povo's {name} bucket is not an object")
        yield name, node


def _kilobytes(node: dict[str, Any], name: str) -> int | None:
    """Read an amount of a bucket, in bytes.

    povo sends binary kilobytes (unit "kilobytes", 1 KB = 1024 bytes), fractional:
    carriers.md, from povo-android (125829120 KB is a 120 GB plan).
    """
    unit = node.get("unit", ASSUMED_DEFAULT_UNIT)
    if not isinstance(unit, str):
        raise CarrierParseError("povo sent a bucket unit that is not text")
    return to_bytes(node.get(name), unit)


def parse_usage(payload: Any) -> tuple[DataBucket, ...]:
    """Read the buckets of GET …/account/usage/plan/get.

    Toppings land in ``boost``, not ``basic``: every bucket counts, or a topped-up line
    would read as empty.
    """
    return tuple(
        DataBucket(
            kind=ASSUMED_BUCKET_KINDS[name],
            remaining=_kilobytes(node, "left"),
            total=_kilobytes(node, "plan_kb"),
        )
        for name, node in _bucket_nodes(payload)
    )


def parse_used(payload: Any) -> int | None:
    """Bytes used over every bucket of the usage answer; None when no bucket says."""
    return _sum_known(_kilobytes(node, "used") for _, node in _bucket_nodes(payload))


_HALF_DAY: Final = 12

_EXPIRY = re.compile(
    r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
    r"(?:\s*(?P<half>午前|午後)?\s*(?P<hour>\d{1,2})\s*:\s*(?P<minute>\d{2}))?"
)


def parse_expiry(text: str) -> datetime | None:
    """Read povo's expiry text, e.g. "2099年 12月 31日 午後11:59" + newline + "残り 999 日間".

    午前 is a.m. and 午後 p.m. (午前12:xx is 00:xx, 午後12:xx is 12:xx); digits may be
    full-width. Without a time the whole day counts. None when the text cannot be read.
    """
    match = _EXPIRY.search(normalize_text(text))
    if match is None:
        return None
    try:
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    if match["hour"] is None:
        return end_of_day(day)
    hour = int(match["hour"])
    if match["half"] is not None:
        if hour > _HALF_DAY:
            return None
        hour = hour % _HALF_DAY + (_HALF_DAY if match["half"] == "午後" else 0)
    try:
        return datetime(day.year, day.month, day.day, hour, int(match["minute"]), 59, tzinfo=TOKYO)
    except ValueError:
        return None


_REMAINING = re.compile(r"^\s*(?P<amount>[\d.,]+)\s*(?P<unit>[KMGT]B)", re.IGNORECASE)


def _tile_left(text: Any) -> int | None:
    """Bytes left in a tile's "60.00GB / 120.00GB" text; None when unreadable."""
    if not isinstance(text, str):
        return None
    match = _REMAINING.match(normalize_text(text))
    if match is None:
        return None
    try:
        return to_bytes(match["amount"], match["unit"])
    except CarrierParseError:
        return None


def _tile_value(tile: dict[str, Any], name: str) -> Any:
    data = tile.get("data")
    holder = data if isinstance(data, dict) else tile
    entry = holder.get(name)
    return entry.get("value") if isinstance(entry, dict) else None


def parse_plan_details(payload: Any) -> datetime | None:
    """Return the soonest expiry of data that is left, from the povo-tile-plan-detail tiles.

    The expiry is only a display string, so a page povo reshaped gives None (unknown)
    instead of failing the update.
    """
    holding: list[datetime] = []
    drained: list[datetime] = []
    for node in _objects(payload):
        if node.get("type") != PLAN_DETAIL_TILE:
            continue
        text = _tile_value(node, "expiry")
        expires = parse_expiry(text) if isinstance(text, str) else None
        if expires is None:
            continue
        (drained if _tile_left(_tile_value(node, "remaining")) == 0 else holding).append(expires)
    if holding:
        return min(holding)
    return min(drained) if drained else None
