"""IIJmio, read through the JSON API behind the member site (www.iijmio.jp).

Flow (../shared/carriers.md, IIJmio section; seen in IIJWidget and yananob/iijmio-usage-check):
GET /auth/login/ for the WAF cookies, POST /api/member/login with the mioID and password, then
POST /api/member/top for every line's coupons. The session is a cookie: the caller gives each
account its own cookie jar.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from http import HTTPStatus
from typing import Any, Final

import aiohttp

from .base import CarrierAdapter, anonymous_id
from .dates import TOKYO, add_months, end_of_month
from .errors import (
    CarrierAuthError,
    CarrierParseError,
    CarrierSessionExpiredError,
)
from .http import MOBILE_BROWSER_USER_AGENT, HttpReply, request
from .models import AccountUsage, BucketKind, Carrier, DataBucket, SimUsage
from .units import to_bytes

BASE_URL: Final = "https://www.iijmio.jp"

# --- What this adapter assumes about IIJmio, in one place -------------------------------------
# Documented: the error codes, the statuses and the shapes below (../shared/carriers.md).
ERROR_WRONG_CREDENTIALS: Final = "ERROR_CODE_008"
ERRORS_SESSION_EXPIRED: Final = frozenset({"ERROR_CODE_032", "ERROR_CODE_023"})
STATUSES_SESSION_EXPIRED: Final = frozenset({401, 403, 419})
# Documented: `couponValue` and `totalCapacity` are GB. Assumed: IIJmio, like other Japanese
# carriers, counts 1 GB as 1024 MB (units.GIB).
COUPON_UNIT: Final = "GB"
# Assumed (unconfirmed; IIJWidget does the same): a coupon's `month` (YYYYMM) is the month at the
# end of which it expires. Data is valid until the end of the month after the one it was granted
# in, so a coupon expiring this month is last month's carried-over data.
# Assumed: the lines of one account that report `dataShareExistence` form one share group, and a
# share-group line with `couponData: []` draws from the coupons the group's other lines report.
# ----------------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})(\d{2})$", re.ASCII)
# Coupons are dated this century; other years are misreads (and outside date arithmetic).
_PLAUSIBLE_YEARS: Final = range(2000, 3000)


class IijmioAdapter(CarrierAdapter):
    """Reads every line of one IIJmio account (mioID)."""

    carrier = Carrier.IIJMIO

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        mio_id: str,
        password: str,
        base_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the credentials; nothing is sent until the first login."""
        super().__init__(session)
        self._mio_id = mio_id
        self._password = password
        # Read at construction, not at import: tests and benchmarks point BASE_URL at a replay.
        self._base_url = (base_url or BASE_URL).rstrip("/")
        self._clock = clock or (lambda: datetime.now(TOKYO))
        self._logged_in = False
        self._waf_passed = False

    @property
    def account_id(self) -> str:
        """A hash of the mioID: stable, and it reveals nothing."""
        return anonymous_id(self.carrier, self._mio_id)

    async def async_login(self) -> None:
        """Open a member-site session, raising CarrierAuthError when IIJmio rejects the password."""
        self._logged_in = False
        reply = None
        if self._waf_passed:
            # The WAF cookies outlive the member session: a re-login skips their page, so an
            # expired session costs two requests (login, retry), not three.
            reply = await self._post_login()
            if reply.status == HTTPStatus.FORBIDDEN:
                reply = None  # The WAF forgot us: its refusal is no verdict on the password.
        if reply is None:
            # Without the WAF cookies this page sets, the login is refused.
            await self._request("GET", "/auth/login/")
            self._waf_passed = True
            reply = await self._post_login()
        error = _error_code(reply.json())
        if error == ERROR_WRONG_CREDENTIALS:
            raise CarrierAuthError("IIJmio rejected the mioID or password")
        if error is not None:
            raise CarrierParseError(f"IIJmio refused the login with {error}")
        if reply.status >= HTTPStatus.BAD_REQUEST:
            raise CarrierParseError(f"IIJmio refused the login (HTTP {reply.status})")
        self._logged_in = True

    async def async_fetch(self) -> AccountUsage:
        """Read every line; log in again at most once when the session has expired."""
        logged_in_now = not self._logged_in
        if logged_in_now:
            await self.async_login()
        try:
            payload = await self._member_top()
        except CarrierSessionExpiredError:
            if logged_in_now:
                raise
            await self.async_login()
            payload = await self._member_top()
        return parse_member_top(payload, self._clock())

    async def _post_login(self) -> HttpReply:
        return await self._request(
            "POST", "/api/member/login", json={"mioId": self._mio_id, "password": self._password}
        )

    async def _member_top(self) -> Any:
        reply = await self._request("POST", "/api/member/top", json={})
        if reply.status in STATUSES_SESSION_EXPIRED:
            self._logged_in = False
            raise CarrierSessionExpiredError(f"IIJmio ended the session (HTTP {reply.status})")
        payload = reply.json()
        error = _error_code(payload)
        if error in ERRORS_SESSION_EXPIRED:
            self._logged_in = False
            raise CarrierSessionExpiredError(f"IIJmio ended the session ({error})")
        if error is not None:
            raise CarrierParseError(f"IIJmio answered with {error}")
        if reply.status >= HTTPStatus.BAD_REQUEST:
            raise CarrierParseError(f"IIJmio refused the request (HTTP {reply.status})")
        return payload

    async def _request(self, method: str, path: str, **kwargs: Any) -> HttpReply:
        return await request(
            self._session,
            method,
            f"{self._base_url}{path}",
            headers={"User-Agent": MOBILE_BROWSER_USER_AGENT},
            **kwargs,
        )


def _error_code(payload: Any) -> str | None:
    """Return the `error` code of an answer, if it carries one."""
    if isinstance(payload, dict) and isinstance(error := payload.get("error"), str):
        return error
    return None


def parse_member_top(payload: Any, now: datetime) -> AccountUsage:
    """Turn the answer of /api/member/top into one SimUsage per line."""
    if not isinstance(payload, dict) or not isinstance(
        services := payload.get("serviceInfoList"), list
    ):
        raise CarrierParseError("IIJmio's answer has no serviceInfoList")
    today = now.astimezone(TOKYO).date()
    lines = [_parse_service(service, today) for service in services]

    # A share-group line with no coupons of its own shows the group's pool.
    pool = tuple(
        bucket for line, shares in lines if shares and line.buckets for bucket in line.buckets
    )
    sims: dict[str, SimUsage] = {}
    for line, shares in lines:
        if shares and not line.buckets:
            line = _with_pool(line, pool)  # noqa: PLW2901
        elif shares:
            line = _with_pool(line, line.buckets)  # noqa: PLW2901
        sims[line.sim_id] = line
    return AccountUsage(sims=sims)


def _with_pool(line: SimUsage, pool: tuple[DataBucket, ...]) -> SimUsage:
    return SimUsage(
        sim_id=line.sim_id,
        plan_name=line.plan_name,
        number_suffix=line.number_suffix,
        buckets=pool,
        allowance=line.allowance,
        resets_on=line.resets_on,
        shared_pool=True,
    )


def _parse_service(service: Any, today: date) -> tuple[SimUsage, bool]:
    """Parse one entry of serviceInfoList; also say whether it is in a share group."""
    if not isinstance(service, dict):
        raise CarrierParseError("An IIJmio line is not an object")
    service_code = service.get("serviceCode")
    if not isinstance(service_code, str) or not service_code:
        raise CarrierParseError("An IIJmio line has no serviceCode")
    coupons = service.get("couponData")
    if coupons is None:
        coupons = []
    if not isinstance(coupons, list):
        raise CarrierParseError("An IIJmio line's couponData is not a list")

    next_year, next_month = add_months(today.year, today.month, 1)
    usage = SimUsage(
        sim_id=service_code,
        plan_name=_text(service.get("planName")),
        number_suffix=_number_suffix(service.get("phoneNo")),
        buckets=tuple(_parse_coupon(coupon, today) for coupon in coupons),
        allowance=to_bytes(service.get("totalCapacity"), COUPON_UNIT),
        # Monthly allowances arrive on the 1st.
        resets_on=date(next_year, next_month, 1),
    )
    return usage, service.get("dataShareExistence") is True


def _parse_coupon(coupon: Any, today: date) -> DataBucket:
    if not isinstance(coupon, dict):
        raise CarrierParseError("An IIJmio coupon is not an object")
    expires = None
    kind = BucketKind.MONTHLY
    month = coupon.get("month")
    if month is not None:
        match = _MONTH.match(str(month))
        if match is None:
            raise CarrierParseError("An IIJmio coupon has an unreadable month")
        year, month_number = int(match[1]), int(match[2])
        if year not in _PLAUSIBLE_YEARS or not 1 <= month_number <= 12:  # noqa: PLR2004
            raise CarrierParseError("An IIJmio coupon has an unreadable month")
        expires = end_of_month(year, month_number)
        if (year, month_number) <= (today.year, today.month):
            kind = BucketKind.CARRIED_OVER
    return DataBucket(
        kind=kind, remaining=to_bytes(coupon.get("couponValue"), COUPON_UNIT), expires=expires
    )


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _number_suffix(phone_number: Any) -> str | None:
    """Keep the last four digits of a phone number for naming; the rest is dropped."""
    if not isinstance(phone_number, str):
        return None
    digits = "".join(character for character in phone_number if character.isdigit())
    return digits[-4:] if len(digits) >= 4 else None  # noqa: PLR2004
