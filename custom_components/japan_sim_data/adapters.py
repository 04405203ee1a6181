"""Which carriers can be added, what each asks for, and how its adapter is built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import aiohttp
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_USERNAME

from .carriers.base import CarrierAdapter
from .carriers.iijmio import IijmioAdapter
from .carriers.models import Carrier
from .carriers.povo import PovoAdapter
from .carriers.softbank import LinemoAdapter, SoftBankAdapter, YmobileAdapter
from .const import CONF_AUTH_TOKEN, CONF_DEVICE_ID, CONF_PHONE_NUMBER, CONF_RESET_DAY


class LoginKind(StrEnum):
    """How a carrier's account is logged in to from the config flow."""

    PASSWORD = "password"  # noqa: S105 - a kind of login, not a secret
    """A login id and a password, checked by logging in."""
    EMAIL_CODE = "email_code"
    """An e-mail address, then a one-time code the carrier e-mails."""


@dataclass(frozen=True, slots=True)
class CarrierProfile:
    """How the integration sets up one carrier."""

    name: str
    """The carrier's own name, shown in titles and device names."""
    login: LoginKind
    login_field: str
    """The entry data key of the account's login id (mioID, phone number, e-mail)."""
    build: Callable[[aiohttp.ClientSession, Mapping[str, Any], Mapping[str, Any]], CarrierAdapter]
    """Make an adapter from a config entry's data and options."""
    secret_keys: frozenset[str]
    """Entry data that must never reach logs or diagnostics."""
    has_reset_day: bool = False
    """The monthly reset follows a billing cycle the user picks in the options."""
    experimental: bool = False
    """No public client confirms the route: labelled as such in the flow and the entry."""


def _build_iijmio(
    session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
) -> CarrierAdapter:
    return IijmioAdapter(session, mio_id=data[CONF_USERNAME], password=data[CONF_PASSWORD])


def _build_povo(
    session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
) -> CarrierAdapter:
    return PovoAdapter(
        session,
        email=data[CONF_EMAIL],
        device_id=data[CONF_DEVICE_ID],
        auth_token=data.get(CONF_AUTH_TOKEN),
    )


def _softbank_family(
    name: str, adapter: type[SoftBankAdapter | YmobileAdapter | LinemoAdapter]
) -> CarrierProfile:
    """The SoftBank ID brands differ only in their portal: same login, same options."""

    def build(
        session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
    ) -> CarrierAdapter:
        return adapter(
            session,
            phone_number=data[CONF_PHONE_NUMBER],
            password=data[CONF_PASSWORD],
            reset_day=int(options.get(CONF_RESET_DAY, 1)),
        )

    return CarrierProfile(
        name=name,
        login=LoginKind.PASSWORD,
        login_field=CONF_PHONE_NUMBER,
        build=build,
        secret_keys=frozenset({CONF_PHONE_NUMBER, CONF_PASSWORD}),
        has_reset_day=True,
        experimental=adapter.experimental,
    )


CARRIER_PROFILES: Final[Mapping[Carrier, CarrierProfile]] = {
    Carrier.IIJMIO: CarrierProfile(
        name="IIJmio",
        login=LoginKind.PASSWORD,
        login_field=CONF_USERNAME,
        build=_build_iijmio,
        secret_keys=frozenset({CONF_USERNAME, CONF_PASSWORD}),
    ),
    Carrier.POVO: CarrierProfile(
        name="povo 2.0",
        login=LoginKind.EMAIL_CODE,
        login_field=CONF_EMAIL,
        build=_build_povo,
        secret_keys=frozenset({CONF_EMAIL, CONF_DEVICE_ID, CONF_AUTH_TOKEN}),
    ),
    Carrier.SOFTBANK: _softbank_family("SoftBank", SoftBankAdapter),
    Carrier.YMOBILE: _softbank_family("Y!mobile", YmobileAdapter),
    Carrier.LINEMO: _softbank_family("LINEMO", LinemoAdapter),
}
