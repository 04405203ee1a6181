"""Each carrier's profile builds its real adapter from a config entry's data and options."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.japan_sim_data.adapters import CARRIER_PROFILES
from custom_components.japan_sim_data.carriers.base import CarrierAdapter
from custom_components.japan_sim_data.carriers.iijmio import IijmioAdapter
from custom_components.japan_sim_data.carriers.models import Carrier
from custom_components.japan_sim_data.carriers.povo import PovoAdapter
from custom_components.japan_sim_data.carriers.softbank import (
    LinemoAdapter,
    SoftBankAdapter,
    YmobileAdapter,
)

DATA = {
    "username": "mio",
    "password": "pw",
    "email": "user@example.com",
    "device_id": "0" * 32,
    "auth_token": "token",
    "phone_number": "090-1111-2222",
}


@pytest.mark.parametrize(
    ("carrier", "adapter_type"),
    [
        (Carrier.IIJMIO, IijmioAdapter),
        (Carrier.POVO, PovoAdapter),
        (Carrier.SOFTBANK, SoftBankAdapter),
        (Carrier.YMOBILE, YmobileAdapter),
        (Carrier.LINEMO, LinemoAdapter),
    ],
)
async def test_profiles_build_their_adapter(
    carrier: Carrier, adapter_type: type[CarrierAdapter]
) -> None:
    async with aiohttp.ClientSession() as session:
        adapter = CARRIER_PROFILES[carrier].build(session, DATA, {"reset_day": "21"})
        assert isinstance(adapter, adapter_type)
        assert adapter.carrier is carrier
        assert len(adapter.account_id) == 16
        # The login id is a secret the diagnostics must redact.
        assert CARRIER_PROFILES[carrier].login_field in CARRIER_PROFILES[carrier].secret_keys
