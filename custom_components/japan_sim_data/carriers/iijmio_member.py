"""IIJmio's member site (www.iijmio.jp): the JSON API behind its pages, the fallback route.

Flow: GET /auth/login/ for the WAF cookies, POST /api/member/login with the mioID (or e-mail)
and password, POST /api/front/loginInfo for the account's mioID, then POST /api/member/top for
every line's coupons. The session is a cookie: the caller gives each account its own jar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from http import HTTPStatus
from typing import Any, Final

import aiohttp

from .base import MAX_LINES_PER_ACCOUNT
from .dates import TOKYO, add_months, end_of_month, last_day_of_month, plausible_day
from .errors import (
    CarrierAuthError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierSessionExpiredError,
    quoted_code,
)
from .http import MOBILE_BROWSER_USER_AGENT, HostPolicy, HttpReply, check_token, request
from .models import AccountUsage, BucketKind, DataBucket, SimUsage
from .skeleton import reading
from .units import to_bytes, to_number

# ==========================================================================================
# ASSUMPTIONS about the member site, each with the public client it follows.
#   IIJWidget = yyyywaiwai/IIJWidget; yananob = yananob/iijmio-usage-check.
# ==========================================================================================

# The login page must be fetched first: without the WAF cookies it sets, the login is refused.
# (IIJWidget docs/iij_endpoints.md and Shared/ThirtyDayUsageClient.swift @ efebb78.)
LOGIN_PAGE: Final = "/auth/login/"
LOGIN_PATH: Final = "/api/member/login"
TOP_PATH: Final = "/api/member/top"
# {"login_flg", "user_name", "id_ma", "webViewFlg"} (IIJWidget docs/iij_endpoints.md @ 1a8e4ef).
# Inferred: `id_ma` is the mioID, which IIJmio writes "MA" + digits, as the app API's `mioId`.
LOGIN_INFO_PATH: Final = "/api/front/loginInfo"
ASSUMED_ACCOUNT_FIELD: Final = "id_ma"

# A wrong mioID or password: ERROR_CODE_008 (IIJWidget docs/iij_endpoints.md) and
# WARNING_CODE_008 (IIJWidget Shared/ThirtyDayUsageClient.swift @ efebb78, friendlyMessage).
ERRORS_WRONG_CREDENTIALS: Final = frozenset({"ERROR_CODE_008", "WARNING_CODE_008"})
# Session missing or expired (IIJWidget ThirtyDayUsageClient.swift: 032 and 023 in the body,
# 401, 403 and 419 as statuses).
ERRORS_SESSION_EXPIRED: Final = frozenset({"ERROR_CODE_032", "ERROR_CODE_023"})
STATUSES_SESSION_EXPIRED: Final = frozenset({401, 403, 419})

# `couponValue` and `totalCapacity` are GB (yananob tests/data/usage_data.json: 4.56, 14.00).
# IIJWidget converts between GB and MB by 1024 (MyIIJmioAPIClient.swift amountInGigabytes).
COUPON_UNIT: Final = "GB"

# A coupon's `month` (YYYYMM) is the month at whose end it expires: IIJWidget maps the app API's
# expireYear/expireMonth into it (MyIIJmioAPIClient.swift @ 8a3b6e6), and the samples list this
# month, the next and two zero placeholders (yananob usage_data.json in 2025-02: 202502..202505;
# IIJWidget docs/mock_aggregate_payload.json in 2025-12: 202512..202603). A coupon expiring this
# month is last month's carried-over data.
# Month turnover: a coupon whose expiry month has passed can still be listed for a while (seen
# by users: 3 GB of last month still listed on the 1st). It is dropped here: its own `month`
# says it expired. Neither reference drops it (both sum every coupon: IIJWidget IIJModels.swift
# remainingDataGB @ f3f59e6, yananob IijmioUsage.php judgeResult @ af2decd): our choice, so
# that no figure counts data that cannot be used.
# Every coupon month must pass the library's plausibility rule (dates.plausible_day, on the
# month's last day); an implausible one is a parse error, like an unreadable one.

# Data share: the line holding the pool reports `dataShareExistence: true` and the coupons; the
# other lines of the group come with `couponData: []` and no `dataShareExistence` key at all
# (yananob usage_data.json). Assumed: one mioID has one share pool (IIJmio shares data between
# the lines of one mioID), so such a line shows the account's pool when there is exactly one.
# Identical coupon lists on several lines are one pool, not data of each line.
SHARE_FLAG: Final = "dataShareExistence"
# Lines: at most MAX_LINES_PER_ACCOUNT distinct service codes are read from one answer (our
# bound, not a reference's: a mioID holds a household's lines, and 3,000 would make 3,000
# devices); the adapter logs once that the rest were left out.
# ==========================================================================================

_MONTH = re.compile(r"^(\d{4})(\d{2})$", re.ASCII)
MAX_ACCOUNT_ID_LENGTH: Final = 64
"""The longest account id (mioID) either route keeps; longer is a broken answer."""


class MemberSiteRoute:
    """Logs in to the member site and reads every line's coupons."""

    name: Final = "member"

    def __init__(
        self, session: aiohttp.ClientSession, *, login_id: str, password: str, base_url: str
    ) -> None:
        """Keep the credentials; nothing is sent until the first login."""
        self._session = session
        self._login_id = login_id
        self._password = password
        self._base_url = base_url.rstrip("/")
        self._policy = HostPolicy.of(self._base_url)
        self._waf_passed = False
        self.logged_in = False
        self.account_id: str | None = None
        """The mioID the site names after a login; None until then or when it did not say."""
        self.lines_left_out = False
        """True when the last answer listed more lines than MAX_LINES_PER_ACCOUNT."""

    async def login(self) -> None:
        """Open a session, raising CarrierAuthError when IIJmio rejects the password."""
        self.logged_in = False
        reply = None
        if self._waf_passed:
            # The WAF cookies outlive the member session: a re-login skips their page, so an
            # expired session costs two requests (login, retry), not three.
            reply = await self._post_login()
            if reply.status == HTTPStatus.FORBIDDEN:
                reply = None  # The WAF forgot us: its refusal is no verdict on the password.
        if reply is None:
            await self._request("GET", LOGIN_PAGE)
            self._waf_passed = True
            reply = await self._post_login()
        error = error_code(reply.json())
        if error in ERRORS_WRONG_CREDENTIALS:
            raise CarrierAuthError("IIJmio rejected the mioID or password")
        if error is not None:
            raise CarrierParseError(f"IIJmio refused the login with {quoted_code(error)}")
        if reply.status >= HTTPStatus.BAD_REQUEST:
            raise CarrierParseError(f"IIJmio refused the login (HTTP {reply.status})")
        self.logged_in = True
        if self.account_id is None:
            self.account_id = await self._account_id()

    async def fetch(self, now: datetime) -> AccountUsage:
        """Read every line with the open session."""
        reply = await self._request("POST", TOP_PATH, json={})
        if reply.status in STATUSES_SESSION_EXPIRED:
            self.logged_in = False
            raise CarrierSessionExpiredError(f"IIJmio ended the session (HTTP {reply.status})")
        payload = reply.json()
        error = error_code(payload)
        if error in ERRORS_SESSION_EXPIRED:
            self.logged_in = False
            raise CarrierSessionExpiredError(f"IIJmio ended the session ({quoted_code(error)})")
        if error is not None:
            raise CarrierParseError(f"IIJmio answered with {quoted_code(error)}")
        if reply.status >= HTTPStatus.BAD_REQUEST:
            raise CarrierParseError(f"IIJmio refused the request (HTTP {reply.status})")
        with reading(payload):
            usage, self.lines_left_out = read_member_top(payload, now)
        return usage

    async def _account_id(self) -> str | None:
        """The account's mioID as the site names it; None when it does not say."""
        try:
            reply = await self._request("POST", LOGIN_INFO_PATH, json={})
            if reply.status != HTTPStatus.OK:
                return None
            payload = reply.json()
            with reading(payload):
                return parse_login_info(payload)
        # Only a name for the account: a page we cannot read must not fail the update.
        except CarrierParseError, CarrierMaintenanceError:
            return None

    async def _post_login(self) -> HttpReply:
        return await self._request(
            "POST", LOGIN_PATH, json={"mioId": self._login_id, "password": self._password}
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> HttpReply:
        return await request(
            self._session,
            method,
            f"{self._base_url}{path}",
            policy=self._policy,
            headers={"User-Agent": MOBILE_BROWSER_USER_AGENT},
            **kwargs,
        )


def error_code(payload: Any) -> str | None:
    """Return the `error` code of an answer, if it carries one."""
    if isinstance(payload, dict) and isinstance(error := payload.get("error"), str):
        return error
    return None


def parse_login_info(payload: Any) -> str | None:
    """The mioID in the answer of /api/front/loginInfo; None when it names none."""
    if not isinstance(payload, dict) or payload.get(ASSUMED_ACCOUNT_FIELD) in (None, ""):
        return None
    return check_token(
        payload[ASSUMED_ACCOUNT_FIELD], "account id", max_length=MAX_ACCOUNT_ID_LENGTH
    )


def parse_member_top(payload: Any, now: datetime) -> AccountUsage:
    """Turn the answer of /api/member/top into one SimUsage per line."""
    return read_member_top(payload, now)[0]


def read_member_top(payload: Any, now: datetime) -> tuple[AccountUsage, bool]:
    """Read /api/member/top: one SimUsage per line, and whether any lines were left out.

    At most MAX_LINES_PER_ACCOUNT lines are read; those past the bound are not parsed at all.
    """
    if not isinstance(payload, dict) or not isinstance(
        services := payload.get("serviceInfoList"), list
    ):
        raise CarrierParseError("IIJmio's answer has no serviceInfoList")
    lines: dict[str, tuple[SimUsage, str | None]] = {}
    for service in services:
        code = _service_code(service)
        if code in lines:
            continue  # A line listed twice is one line.
        if len(lines) == MAX_LINES_PER_ACCOUNT:
            return AccountUsage(sims=share_pools(lines.values())), True
        lines[code] = _parse_service(service, code, now)
    return AccountUsage(sims=share_pools(lines.values())), False


def _service_code(service: Any) -> str:
    if not isinstance(service, dict):
        raise CarrierParseError("An IIJmio line is not an object")
    service_code = service.get("serviceCode")
    if not isinstance(service_code, str) or not service_code:
        raise CarrierParseError("An IIJmio line has no serviceCode")
    return service_code


def _parse_service(
    service: dict[str, Any], service_code: str, now: datetime
) -> tuple[SimUsage, str | None]:
    """Parse one entry of serviceInfoList, with the share group it may draw from ("" = any)."""
    today = now.astimezone(TOKYO).date()
    coupons = service.get("couponData")
    if coupons is None:
        coupons = []
    if not isinstance(coupons, list):
        raise CarrierParseError("An IIJmio line's couponData is not a list")
    buckets = [_parse_coupon(coupon, today) for coupon in coupons]
    usage = SimUsage(
        sim_id=service_code,
        plan_name=text(service.get("planName")),
        number_suffix=number_suffix(service.get("phoneNo")),
        # A coupon past its expiry month still listed holds nothing that can be used.
        buckets=tuple(bucket for bucket in buckets if bucket.valid_at(now)),
        allowance=to_bytes(service.get("totalCapacity"), COUPON_UNIT),
        resets_on=next_month_start(today),
        shared_pool=service.get(SHARE_FLAG) is True,
    )
    sharing = service.get(SHARE_FLAG) is True or (SHARE_FLAG not in service and not coupons)
    return usage, "" if sharing else None


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
        # The pattern holds ASCII digits only: int() reads them as the number grammar would.
        year, month_number = expiry_month(int(match[1]), int(match[2]), today)
        expires = end_of_month(year, month_number)
        kind = bucket_kind(year, month_number, today)
    return DataBucket(
        kind=kind, remaining=to_bytes(coupon.get("couponValue"), COUPON_UNIT), expires=expires
    )


# --- Helpers both routes share ----------------------------------------------------------------


def expiry_month(year: object, month: object, today: date) -> tuple[int, int]:
    """Read a coupon's expiry year and month (strings or numbers), refusing impossible ones.

    The month's last day must pass the plausibility rule (dates.plausible_day): a year 1, 1970
    or 9999 is a placeholder or a misread, never an expiry.
    """
    year_number, month_number = whole_number(year), whole_number(month)
    if year_number is None or month_number is None or not 1 <= month_number <= 12:  # noqa: PLR2004
        raise CarrierParseError("An IIJmio coupon has an unreadable month")
    try:
        last_day = last_day_of_month(year_number, month_number)
    except ValueError, OverflowError:  # outside what a date can hold: year 0, 10000, 10**20
        raise CarrierParseError("A date was outside the plausible range") from None
    plausible_day(last_day, today=today)
    return year_number, month_number


def whole_number(value: object) -> int | None:
    """A whole number (a year, a day, a flag) sent as text or a number; None when absent."""
    if type(value) is int and value >= 0:
        return value  # JSON's whole numbers: nothing to read
    number = to_number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise CarrierParseError("An IIJmio field that counts is not a whole number")
    return int(number)


def bucket_kind(year: int, month: int, today: date) -> BucketKind:
    """Data that expires this month was granted last month: it is carried over."""
    if (year, month) <= (today.year, today.month):
        return BucketKind.CARRIED_OVER
    return BucketKind.MONTHLY


def next_month_start(today: date) -> date:
    """IIJmio's allowance arrives on the 1st (the app API's usePeriod reads "1日-末日")."""
    year, month = add_months(today.year, today.month, 1)
    return date(year, month, 1)


def share_pools(lines: Iterable[tuple[SimUsage, str | None]]) -> dict[str, SimUsage]:
    """Give each share-group line without data of its own its group's pool; flag every pool.

    ``lines`` pairs each line with the share group it belongs to ("" when IIJmio names none,
    None when it does not share). A line with no buckets takes its group's buckets when the
    group has exactly one pool; with none or several it stays unknown (never 0). Lines showing
    the same buckets are one pool: each is flagged, so no total counts it twice.
    """
    parsed = list(lines)
    pools: dict[str, set[tuple[DataBucket, ...]]] = {}
    for line, group in parsed:
        if group is not None and line.buckets:
            pools.setdefault(group, set()).add(line.buckets)
    seen: dict[tuple[DataBucket, ...], int] = {}
    for line, _group in parsed:
        if line.buckets:
            seen[line.buckets] = seen.get(line.buckets, 0) + 1

    sims: dict[str, SimUsage] = {}
    for line, group in parsed:
        usage = line
        group_pools = pools.get(group, set()) if group is not None else set()
        if group is not None and not line.buckets and len(group_pools) == 1:
            (pool,) = group_pools
            usage = replace(line, buckets=pool, shared_pool=True)
        elif line.buckets and seen[line.buckets] > 1:
            usage = replace(line, shared_pool=True)
        sims.setdefault(usage.sim_id, usage)
    return sims


def text(value: Any) -> str | None:
    """A carrier's text, stripped; None when empty or not text."""
    return value.strip() or None if isinstance(value, str) else None


def number_suffix(phone_number: Any) -> str | None:
    """Keep the last four digits of a phone number for naming; the rest is dropped."""
    if not isinstance(phone_number, str):
        return None
    digits = "".join(filter(str.isdigit, phone_number))
    return digits[-4:] if len(digits) >= 4 else None  # noqa: PLR2004
