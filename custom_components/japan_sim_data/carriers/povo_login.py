"""povo 2.0: logging in with an e-mailed code, the token, and how povo's answers refuse.

Part of the povo adapter (`povo.py` names the references by commit: "esp32" is
roflsunriz/esp32-povo-2.0, "povo-android" is uirooong/povo-android). Pure functions and
constants only: the adapter sends the requests.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Final

from .dates import TOKYO
from .errors import CarrierAuthError, CarrierError, CarrierParseError
from .errors import PovoMoreAuthNeededError as PovoMoreAuthNeededError  # noqa: PLC0414
from .http import HttpReply, check_token
from .skeleton import reading

# ==========================================================================================
# ASSUMPTIONS (login, tokens, refusals): each fact names the reference it follows; "Assumed"
# marks what none shows. Correct them here when a user reports a change.
# ==========================================================================================

# -- Paths (esp32 captures; independent-flows.jsonl shows each one answering 200) ----------
LOGIN_ACTION_PATH: Final = "/api/v3/user-service/v3/jp/ja/mobile/users/login/action"
"""The captcha-free v3 path: the app's v4 path carries X-Captcha (android-flows.jsonl,
static-analysis.md); esp32's own client logs in through v3 without one."""
OTP_PATH: Final = "/api/v3/user-service/v4/jp/ja/mobile/otp"
AUTH_PATH: Final = "/user-service/v5/public/jp/ja/mobile/users/auth"
TOKEN_PATH: Final = "/api/v3/user-service/v4/jp/ja/mobile/users/token"  # noqa: S105 (a path)

# -- Headers -------------------------------------------------------------------------------
APP_VERSION: Final = "1.70.0-JP"
"""The captured app is 1.70.0-JP (esp32 auth-capture/README.md); povo-android sends its
"1.69.0-JP" in this form. esp32's client sends "1.70.0" and logs in too. The captures keep
header names only, so the exact value the app sends is assumed."""
USER_AGENT: Final = "okhttp/4.12.0"
"""povo-android PovoProtocol.kt (the User-Agent of the client it saw log in)."""
APP_PLATFORM: Final = "Android"
"""esp32 static-analysis.md (C21650i) and povo-client.cpp."""
TIMEZONE: Final = "Asia/Tokyo"
ACCEPT_LANGUAGE: Final = "ja-JP"
"""X-Timezone and Accept-Language as esp32's client sends them (X-Timezone is in the captures).
Every call carries X-Deviceid (the account's device id) and X-REQUEST-ID (a random UUID per
call; static-analysis.md C17300a); authenticated calls add X-AUTH (the token) and X-USER-ID
(the token's `external_id` claim: esp32 auth-protocol.h, povo-android Jwt.kt). Logins carry
neither, as esp32's independent login. Feature-Type is in the captures with no known value:
assumed unneeded (esp32 logs in without it)."""

# -- Login ---------------------------------------------------------------------------------
# Bodies as captured (esp32 *.jsonl, auth-protocol.h): every POST carries "uuid", a random
# signed 64-bit number sent as a decimal string, new for each request (static-analysis.md
# C0224k). Login action {email, uuid} -> result.actions [{action: "EMAIL_OTP"}]: anything but
# one EMAIL_OTP is a step this integration cannot take (auth-protocol.h parseLoginActions).
EMAIL_OTP_ACTION: Final = "EMAIL_OTP"
OTP_REQUEST: Final[Mapping[str, Any]] = {
    "otp_duration": 15,
    "auth_mode": "ENHANCED_EMAIL_OTP",
    "request_type": "LOGIN_EMAIL_OTP",
}
"""Plus device_id, email and uuid. otp_duration=15 is not a 15-minute validity: the e-mail
says 2 minutes (esp32 auth-capture/README.md)."""
DEVICE_META: Final[Mapping[str, str]] = {"device_type": "Mobile", "app_type": "ecosystem"}
"""The users/auth body: {email_auth: {auth_id, otp_code, device_id}, device: {device_id,
device_type, app_type}, uuid} (esp32 captures, auth-protocol.h buildAuthRequest)."""
MAX_CODE_LENGTH: Final = 16
"""A code is digits only, at most 16 (auth-protocol.h); anything else is not sent."""
DASHBOARD_STEP: Final = "dashboard"
"""The login answer {auth_token, first_login, next_step}: next_step "dashboard" (or none) is
success; a pin_token or any other next_step asks for a step we cannot take (esp32 README,
auth-protocol.h parseAuthResponse; static-analysis.md: pin_token leads to a PIN challenge)."""

# -- Tokens --------------------------------------------------------------------------------
# The token is a JWT (issuer "circles") whose claims carry `external_id` and expiry as
# `exp` and/or `expiry_time`, epoch seconds (esp32 README and auth-protocol.h: the sooner of
# the two counts; povo-android Jwt.kt reads `exp`). The issuer is not checked: only esp32
# insists on it. Renewal is GET users/token with the token, also after expiry, and every token
# lives exactly 1200 s (povo-android PHASE1-FINDINGS.md, measured). povo-android renews only
# once `exp` has passed ("exp が切れてから refresh"); an early renewal hands back the same JWT,
# so renewing before expiry costs a request and gains nothing: the token is renewed when its
# expiry has passed, or when povo answers 401 (esp32 fetchPlan, povo-android). esp32's 60 s
# margin is not kept: a token that expires in flight costs the same one renewal after its 401.
# The expiry claims only schedule renewals; they are not dates anyone is shown, so they are
# bounded by esp32's epoch limit rather than by the plausibility rule.
MAX_TOKEN_LENGTH: Final = 8192
"""esp32 auth-protocol.h kMaxToken."""
LIFETIME_WITHOUT_EXPIRY: Final = timedelta(seconds=1200)
"""Assumed for a token that names no expiry: povo-android measured every token at
exactly 1200 s (PHASE1-FINDINGS.md). esp32 refuses such a token; we renew it on that schedule."""
_LATEST_EPOCH: Final = 253402268399
"""9999-12-31T23:59:59 in Tokyo: a later expiry is a misread (auth-protocol.h kMaxEpoch, the
same bound in UTC, would leave the calendar in Tokyo)."""

# -- Refusals ------------------------------------------------------------------------------
DEVICE_MISMATCH_CODE: Final = 403001
"""HTTP 403 with code 403001: the token was presented with a device id it is not bound to, and
renewing does not help; only a new login does (povo-android AccountRepository.kt,
SessionScopedCache.kt; POVO-CORE-REQUESTS.md measured 403001 for a random X-Deviceid and
400101 for none). Where the code sits in the body is not shown: assumed `code` at the top, in
`result` (as the captured 401 of users/auth) or in `error`."""
# Any 401 to a data call: the token expired; renew once and ask again (esp32 fetchPlan,
# povo-android PHASE1 401 {"success": false, "result": {"message": "Token Expired"}}). Any 403
# (as JSON, not a web page): a new login is needed (esp32 clears its session, povo-android
# marks NEEDS_LOGIN). A 4xx to the plan-details page leaves expiries unknown; povo-android
# reads that page best-effort and once saw it answer 404.

# ==========================================================================================

MAX_ID_LENGTH: Final = 256


class PovoDeviceRejectedError(CarrierAuthError):
    """povo refuses this device's login (403001): only logging in again with a code fixes it."""


class PageRefusedError(CarrierParseError):
    """povo answered a data request with a 4xx other than 401/403."""


@dataclass(frozen=True, slots=True)
class PovoToken:
    """A povo login token and what its claims say. Secret: never log it."""

    value: str = field(repr=False)
    external_id: str = field(repr=False)
    """The `external_id` claim, sent back as X-USER-ID."""
    expires: datetime | None
    """The sooner of the `exp` and `expiry_time` claims; None when the token names neither."""


def new_device_id() -> str:
    """Mint the 32-hex-character device id povo binds a login to; keep it per account.

    povo-android mints this form and logs in with it (PovoProtocol.kt DeviceId).
    """
    return secrets.token_hex(16)


def request_uuid() -> str:
    """A request's `uuid`: a random signed 64-bit number in decimal (static-analysis.md)."""
    return str(secrets.randbits(64) - 2**63)


def identifier(value: Any, what: str) -> str:
    """An identifier povo handed out, checked before it is sent back."""
    if value is None:
        raise CarrierParseError(f"povo's answer carries no {what}")
    return check_token(value, what, max_length=1024)


# -- login answers ------------------------------------------------------------------------------


def check_login_actions(result: Mapping[str, Any]) -> None:
    """Accept a login-action answer that asks for exactly one e-mailed code."""
    actions = result.get("actions")
    if not isinstance(actions, list) or not actions:
        raise CarrierParseError("povo's login answer names no way to log in")
    names = [action.get("action") if isinstance(action, dict) else None for action in actions]
    if not all(isinstance(name, str) and name for name in names):
        raise CarrierParseError("povo's login answer names a step that is not readable")
    if names != [EMAIL_OTP_ACTION]:
        raise PovoMoreAuthNeededError(
            "povo asks for a login step other than an e-mailed code; log in with the povo app"
        )


def check_next_step(result: Mapping[str, Any]) -> None:
    """Refuse a login answer that asks for a PIN or another step before the dashboard."""
    for key in ("pin_token", "next_step"):
        step = result.get(key)
        if step is None:
            continue
        if not isinstance(step, str):
            raise CarrierParseError("povo's login answer names a step that is not readable")
        if step and not (key == "next_step" and step == DASHBOARD_STEP):
            raise PovoMoreAuthNeededError(
                "povo asks for another login step (a PIN or another check) after the code"
            )


# -- tokens -------------------------------------------------------------------------------------


def parse_token(value: Any) -> PovoToken:
    """Check a token and read its claims; CarrierParseError when it is not a usable login."""
    token = check_token(value, "login token", max_length=MAX_TOKEN_LENGTH)
    claims = _jwt_claims(token)
    external_id = check_token(claims.get("external_id"), "user id", max_length=MAX_ID_LENGTH)
    return PovoToken(value=token, external_id=external_id, expires=_claimed_expiry(claims))


def _jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified: they only tell us when to renew and whom to name."""
    parts = token.split(".")
    if len(parts) != 3:  # noqa: PLR2004 - header, claims, signature
        raise CarrierParseError("povo's login token is not a JWT")
    segment = parts[1]
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        claims = json.loads(decoded)
    except (binascii.Error, ValueError, RecursionError) as err:
        raise CarrierParseError("povo's login token has unreadable claims") from err
    if not isinstance(claims, dict):
        raise CarrierParseError("povo's login token has unreadable claims")
    return claims


def _claimed_expiry(claims: Mapping[str, Any]) -> datetime | None:
    """The sooner of `exp` and `expiry_time` (epoch seconds, number or digits), if any."""
    moments = [_epoch(claims[key]) for key in ("exp", "expiry_time") if key in claims]
    return datetime.fromtimestamp(min(moments), TOKYO) if moments else None


def _epoch(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:  # noqa: PLR2004
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _LATEST_EPOCH:
        raise CarrierParseError("povo's login token has an unreadable expiry")
    return value


# -- answers ------------------------------------------------------------------------------------


def is_json_status(reply: HttpReply, status: int) -> bool:
    """Tell a JSON answer with ``status`` from a web page that carries the same status."""
    # A web page with 401/403 is a firewall or maintenance, not a verdict on the token.
    return reply.status == status and not reply.looks_like_html


def is_refusal(reply: HttpReply) -> bool:
    """A 4xx answered as JSON (5xx and 429 raised in http.request already)."""
    return (
        HTTPStatus.BAD_REQUEST <= reply.status < HTTPStatus.INTERNAL_SERVER_ERROR
        and not reply.looks_like_html
    )


def refuse_login(reply: HttpReply, message: str) -> None:
    """Raise the auth error a 401 or 403 (as JSON) to an authenticated call means."""
    if is_json_status(reply, HTTPStatus.FORBIDDEN) and _error_code(reply) == (DEVICE_MISMATCH_CODE):
        raise PovoDeviceRejectedError(
            "povo no longer accepts this device's login (403001); log in with a new code"
        )
    if is_json_status(reply, HTTPStatus.UNAUTHORIZED) or is_json_status(
        reply, HTTPStatus.FORBIDDEN
    ):
        raise CarrierAuthError(message)


def _error_code(reply: HttpReply) -> int | None:
    """The numeric `code` of an error answer, wherever povo put it; None when there is none."""
    try:
        payload = json.loads(reply.text)
    except ValueError, RecursionError:
        return None
    if not isinstance(payload, dict):
        return None
    for holder in (payload, payload.get("result"), payload.get("error")):
        if isinstance(holder, dict):
            code = holder.get("code")
            if isinstance(code, str) and code.isascii() and code.isdigit():
                return int(code)
            if isinstance(code, int) and not isinstance(code, bool):
                return code
    return None


def envelope(reply: HttpReply, refusal: CarrierError, failure: CarrierError | None = None) -> Any:
    """Return the `result` of a user-service answer {"success": true, "result": {...}}.

    Raises ``refusal`` for a 4xx and ``failure`` (default: ``refusal``) for "success": false.
    5xx and 429 never get here: http.request raised already.
    """
    if is_refusal(reply):
        raise refusal
    payload = reply.json()  # a web page raises CarrierMaintenanceError here
    with reading(payload):
        if not isinstance(payload, dict):
            raise CarrierParseError("povo's login answer is not an object")
        if payload.get("success") is False:
            raise failure or refusal
        result = payload.get("result")
        if payload.get("success") is not True or not isinstance(result, dict):
            raise CarrierParseError("povo's login answer has no result")
        return result
