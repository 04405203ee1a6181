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

from .dates import TOKYO, add_months, end_of_month
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
from .units import to_bytes

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

# Data share: the line holding the pool reports `dataShareExistence: true` and the coupons; the
# other lines of the group come with `couponData: []` and no `dataShareExistence` key at all
# (yananob usage_data.json). Assumed: one mioID has one share pool (IIJmio shares data between
# the lines of one mioID), so such a line shows the account's pool when there is exactly one.
# Identical coupon lists on several lines are one pool, not data of each line.
SHARE_FLAG: Final = "dataShareExistence"
# ==========================================================================================

_MONTH = re.compile(r"^(\d{4})(\d{2})$", re.ASCII)
# Coupons are dated this century; other years are misreads (and outside date arithmetic).
PLAUSIBLE_YEARS: Final = range(2000, 3000)
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
            return parse_member_top(payload, now)

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
    if not isinstance(payload, dict) or not isinstance(
        services := payload.get("serviceInfoList"), list
    ):
        raise CarrierParseError("IIJmio's answer has no serviceInfoList")
    today = now.astimezone(TOKYO).date()
    return AccountUsage(sims=share_pools(_parse_service(service, today) for service in services))


def _parse_service(service: Any, today: date) -> tuple[SimUsage, str | None]:
    """Parse one entry of serviceInfoList, with the share group it may draw from ("" = any)."""
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
    usage = SimUsage(
        sim_id=service_code,
        plan_name=text(service.get("planName")),
        number_suffix=number_suffix(service.get("phoneNo")),
        buckets=tuple(_parse_coupon(coupon, today) for coupon in coupons),
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
        year, month_number = expiry_month(match[1], match[2])
        expires = end_of_month(year, month_number)
        kind = bucket_kind(year, month_number, today)
    return DataBucket(
        kind=kind, remaining=to_bytes(coupon.get("couponValue"), COUPON_UNIT), expires=expires
    )


# --- Helpers both routes share ----------------------------------------------------------------


def expiry_month(year: object, month: object) -> tuple[int, int]:
    """Read a coupon's expiry year and month (strings or numbers), refusing impossible ones."""
    try:
        year_number, month_number = int(str(year)), int(str(month))
    except ValueError as err:
        raise CarrierParseError("An IIJmio coupon has an unreadable month") from err
    if year_number not in PLAUSIBLE_YEARS or not 1 <= month_number <= 12:  # noqa: PLR2004
        raise CarrierParseError("An IIJmio coupon has an unreadable month")
    return year_number, month_number


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
    digits = "".join(character for character in phone_number if character.isdigit())
    return digits[-4:] if len(digits) >= 4 else None  # noqa: PLR2004
