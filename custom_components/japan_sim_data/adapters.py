"""Which carriers can be added, what each asks for, and how its adapter is built.

Each build function imports its adapter module when it is called, so Home Assistant imports
only the adapters of the carriers that are configured (and the one a flow logs in to).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, CONF_USERNAME

from .carriers.models import Carrier
from .const import (
    CONF_ACCOUNT_ID,
    CONF_AUTH_TOKEN,
    CONF_DEVICE_ID,
    CONF_ID_TOKEN,
    CONF_ID_TOKEN_EXPIRES,
    CONF_PHONE_NUMBER,
    CONF_REFRESH_TOKEN,
    CONF_RESET_DAY,
)

if TYPE_CHECKING:
    from .carriers.base import CarrierAdapter


class LoginKind(StrEnum):
    """How a carrier's account is logged in to from the config flow."""

    PASSWORD = "password"  # noqa: S105 - a kind of login, not a secret
    """A login id and a password, checked by logging in."""
    EMAIL_CODE = "email_code"
    """An e-mail address, then a one-time code the carrier e-mails."""
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a kind of login, not a secret
    """A refresh token the user pastes; it rotates at each use (mineo_flow.py)."""


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
    """No public client confirms the route: labelled as such in the flow and the entry.

    Stated here rather than read from the adapter class, which is not imported until needed.
    """


def _build_iijmio(
    session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
) -> CarrierAdapter:
    from .carriers.iijmio import IijmioAdapter  # noqa: PLC0415 - imported when configured

    return IijmioAdapter(session, mio_id=data[CONF_USERNAME], password=data[CONF_PASSWORD])


def _build_povo(
    session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
) -> CarrierAdapter:
    from .carriers.povo import PovoAdapter  # noqa: PLC0415 - imported when configured

    return PovoAdapter(
        session,
        email=data[CONF_EMAIL],
        device_id=data[CONF_DEVICE_ID],
        auth_token=data.get(CONF_AUTH_TOKEN),
    )


def _softbank_family(name: str, adapter: str, *, experimental: bool = False) -> CarrierProfile:
    """The SoftBank ID brands differ only in their portal: same login, same options.

    ``adapter`` names the brand's class in carriers/softbank.py.
    """

    def build(
        session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
    ) -> CarrierAdapter:
        from .carriers import softbank  # noqa: PLC0415 - imported when configured

        adapter_class: type[
            softbank.SoftBankAdapter | softbank.YmobileAdapter | softbank.LinemoAdapter
        ] = getattr(softbank, adapter)
        return adapter_class(
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
        experimental=experimental,
    )


def _build_mineo(
    session: aiohttp.ClientSession, data: Mapping[str, Any], options: Mapping[str, Any]
) -> CarrierAdapter:
    from .carriers.mineo import MineoAdapter  # noqa: PLC0415 - imported when configured

    return MineoAdapter(
        session,
        refresh_token=data[CONF_REFRESH_TOKEN],
        aid=data[CONF_DEVICE_ID],
        id_token=data.get(CONF_ID_TOKEN),
        id_token_expires=data.get(CONF_ID_TOKEN_EXPIRES),
        account_id=data.get(CONF_ACCOUNT_ID),
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
    Carrier.SOFTBANK: _softbank_family("SoftBank", "SoftBankAdapter"),
    Carrier.YMOBILE: _softbank_family("Y!mobile", "YmobileAdapter"),
    Carrier.LINEMO: _softbank_family("LINEMO", "LinemoAdapter", experimental=True),
    Carrier.MINEO: CarrierProfile(
        name="mineo",
        login=LoginKind.REFRESH_TOKEN,
        login_field=CONF_REFRESH_TOKEN,
        build=_build_mineo,
        # The expiry is no secret, but it is kept with the tokens it describes.
        secret_keys=frozenset(
            {
                CONF_REFRESH_TOKEN,
                CONF_ID_TOKEN,
                CONF_ID_TOKEN_EXPIRES,
                CONF_DEVICE_ID,
                CONF_ACCOUNT_ID,
            }
        ),
    ),
}
