"""Config flow: pick a carrier, log in, and create one entry per carrier account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import aiohttp
import probatio as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
)
from homeassistant.const import CONF_EMAIL, CONF_NAME, CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers.aiohttp_client import async_create_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util

from .adapters import CARRIER_PROFILES, CarrierProfile, LoginKind
from .carriers.base import CarrierAdapter
from .carriers.dates import TOKYO
from .carriers.errors import CarrierError
from .carriers.models import Carrier
from .const import (
    CONF_AUTH_TOKEN,
    CONF_CARRIER,
    CONF_CODE,
    CONF_DEVICE_ID,
    CONF_PHONE_NUMBER,
    CONF_PLAN_SHAPE,
    CONF_RESEND_CODE,
    CONF_TRACKED_CARRIER,
    DOMAIN,
    LOGGER,
    PlanShape,
)
from .credentials import (
    VerifiedLogin,
    async_offer_login,
    login_fingerprint,
    without_rejection,
)
from .error_keys import error_key, short_error_text
from .identifiers import InstallationKeyUnreadableError, async_get_installation_key
from .mineo_flow import MineoLoginFlow
from .tracker_reconfigure import TrackerReconfigureFlow

if TYPE_CHECKING:
    from .carriers.povo import PovoAdapter
    from .options_flow import JapanSimDataOptionsFlow

# Home Assistant imports this module when it sets up any entry: the povo adapter, the tracker's
# forms (which compile notice patterns) and the options flow are imported when a step needs them.

_PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
_LOGIN_SELECTORS = {
    CONF_EMAIL: TextSelector(TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="email")),
    CONF_PHONE_NUMBER: TextSelector(
        TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
    ),
}
_USERNAME_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="username"))
_CODE_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="one-time-code"))

# Japanese mobile numbers have 11 digits (070/080/090); 10 covers older and data-only lines.
_MIN_PHONE_DIGITS = 10


def _login_schema(profile: CarrierProfile) -> vol.Schema:
    selector = _LOGIN_SELECTORS.get(profile.login_field, _USERNAME_SELECTOR)
    return vol.Schema(
        {
            vol.Required(profile.login_field): selector,
            vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
        }
    )


def _form_errors(error: str) -> dict[str, str]:
    """A form's errors: one about a field is shown under that field, any other above the form."""
    return {CONF_PHONE_NUMBER: error} if error == "invalid_phone_number" else {"base": error}


def _title(profile: CarrierProfile, data: Mapping[str, Any]) -> str:
    """Name the entry so accounts can be told apart without revealing the login.

    Home Assistant logs titles (e.g. "not ready yet"), so only a hint of the login is kept:
    a phone number's last four digits, or the first two characters of a login id.
    """
    login = str(data[profile.login_field]).strip()
    if profile.login_field == CONF_PHONE_NUMBER:
        hint = "".join(ch for ch in login if ch.isdigit())[-4:]
    else:
        hint = f"{login[:2]}***"
    # β: the route is experimental (LINEMO), and the entry says so wherever it is listed.
    return f"{profile.name} {hint} (β)" if profile.experimental else f"{profile.name} {hint}"


class JapanSimDataConfigFlow(MineoLoginFlow, TrackerReconfigureFlow, domain=DOMAIN):
    """Add a carrier account (mineo's steps: mineo_flow.py)."""

    VERSION = 1
    MINOR_VERSION = 2
    """1.2: unique ids and device identifiers keyed with the installation's secret."""

    def __init__(self) -> None:
        """Start with no carrier chosen."""
        self._carrier: Carrier | None = None
        self._povo: PovoAdapter | None = None
        self._povo_session: aiohttp.ClientSession | None = None
        self._povo_data: dict[str, Any] = {}
        self._tracker_title = ""
        self._tracker_brand = ""
        self._tracker_data: dict[str, Any] = {}
        self._verified: VerifiedLogin | None = None
        """The login the last password step verified, until it is handed to setup."""

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: ConfigEntry,  # noqa: ARG004 - Home Assistant's signature
    ) -> JapanSimDataOptionsFlow:
        """Options: alert thresholds, and the billing cycle where the user picks it."""
        from .options_flow import JapanSimDataOptionsFlow  # noqa: PLC0415 - when it opens

        return JapanSimDataOptionsFlow()

    @callback
    def async_remove(self) -> None:
        """Close the HTTP sessions a login kept open that no entry took over."""
        self._close_povo_session()
        self._release_verified()

    @callback
    def _release_verified(self) -> None:
        if self._verified is not None:
            self._verified.release()
            self._verified = None

    async def _async_hand_over(self, data: Mapping[str, Any]) -> None:
        """Let the entry's setup use the login just verified, instead of logging in again."""
        if (verified := self._verified) is None or self.unique_id is None:
            return
        self._verified = None
        key = await async_get_installation_key(self.hass)
        profile = CARRIER_PROFILES[Carrier(data[CONF_CARRIER])]
        verified.fingerprint = login_fingerprint(key, data, profile.secret_keys)
        async_offer_login(self.hass, self.unique_id, verified)

    @callback
    def _close_povo_session(self) -> None:
        if self._povo_session is not None:
            # Home Assistant's sessions share its connector: detach, never close.
            self._povo_session.detach()
            self._povo_session = None

    async def _async_account_unique_id(self, adapter: CarrierAdapter) -> str:
        """The entry's unique id: the account's id, keyed so it reveals nothing."""
        try:
            key = await async_get_installation_key(self.hass)
        except InstallationKeyUnreadableError:
            # A new key would give the same account another id: a duplicate entry.
            raise AbortFlow("installation_key_unreadable") from None
        return key.account_id(adapter.account_id)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the carrier."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[*(carrier.value for carrier in CARRIER_PROFILES), Carrier.TRACKER.value],
        )

    async def async_step_iijmio(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the mioID and password, and log in before creating the entry."""
        return await self._async_step_password_login(Carrier.IIJMIO, user_input)

    async def async_step_softbank(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the SoftBank phone number and password."""
        return await self._async_step_password_login(Carrier.SOFTBANK, user_input)

    async def async_step_ymobile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Y!mobile phone number and password."""
        return await self._async_step_password_login(Carrier.YMOBILE, user_input)

    async def async_step_linemo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the LINEMO phone number and password."""
        return await self._async_step_password_login(Carrier.LINEMO, user_input)

    async def _async_step_password_login(
        self, carrier: Carrier, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        profile = CARRIER_PROFILES[carrier]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_CARRIER: carrier.value, **user_input}
            account_id, error = await self._async_try_login(data)
            if error is None:
                await self.async_set_unique_id(account_id)
                self._abort_if_unique_id_configured()
                await self._async_hand_over(data)
                return self.async_create_entry(title=_title(profile, data), data=data)
            errors = _form_errors(error)
        return self.async_show_form(
            step_id=carrier.value,
            data_schema=self.add_suggested_values_to_schema(
                _login_schema(profile),
                {profile.login_field: (user_input or {}).get(profile.login_field)},
            ),
            errors=errors,
        )

    # -- povo: e-mail, then the code povo e-mails -----------------------------------------------

    async def async_step_povo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the povo account's e-mail address, then have povo send a code to it."""
        from .carriers.povo import new_device_id  # noqa: PLC0415 - when povo is picked

        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_CARRIER: Carrier.POVO.value,
                CONF_EMAIL: user_input[CONF_EMAIL].strip(),
                CONF_DEVICE_ID: new_device_id(),
            }
            adapter = self._povo_adapter(data)
            await self.async_set_unique_id(await self._async_account_unique_id(adapter))
            self._abort_if_unique_id_configured()
            if (error := await self._async_request_povo_code(adapter, data)) is None:
                return await self.async_step_povo_code()
            errors["base"] = error
        return self.async_show_form(
            step_id="povo",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_EMAIL): _LOGIN_SELECTORS[CONF_EMAIL]}),
                user_input or {},
            ),
            errors=errors,
        )

    async def async_step_povo_code(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the one-time code; a new code can be requested from here."""
        assert self._povo is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(CONF_RESEND_CODE):
                if (error := await self._async_request_povo_code(self._povo, None)) is not None:
                    errors["base"] = error
            else:
                errors = await self._async_submit_povo_code(user_input.get(CONF_CODE, ""))
                if not errors:
                    return self._async_finish_povo()
        return self.async_show_form(
            step_id="povo_code",
            data_schema=vol.Schema(
                {
                    vol.Optional(CONF_CODE): _CODE_SELECTOR,
                    vol.Optional(CONF_RESEND_CODE, default=False): BooleanSelector(),
                }
            ),
            description_placeholders={"email": self._povo_data[CONF_EMAIL]},
            errors=errors,
        )

    async def async_step_povo_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that povo needs a new code, and send it when the user is ready."""
        entry = (
            self._get_reauth_entry()
            if self.source == SOURCE_REAUTH
            else self._get_reconfigure_entry()
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            data = dict(entry.data)
            if (
                error := await self._async_request_povo_code(self._povo_adapter(data), data)
            ) is None:
                return await self.async_step_povo_code()
            errors["base"] = error
        return self.async_show_form(
            step_id="povo_reauth",
            description_placeholders={"email": entry.data[CONF_EMAIL]},
            errors=errors,
        )

    def _povo_adapter(self, data: Mapping[str, Any]) -> PovoAdapter:
        from .carriers.povo import PovoAdapter  # noqa: PLC0415 - when povo is picked

        # The code request and the code submission must share cookies: one session per flow.
        self._close_povo_session()
        self._povo_session = async_create_clientsession(
            self.hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar()
        )
        return PovoAdapter(
            self._povo_session, email=data[CONF_EMAIL], device_id=data[CONF_DEVICE_ID]
        )

    async def _async_request_povo_code(
        self, adapter: PovoAdapter, data: dict[str, Any] | None
    ) -> str | None:
        error = await _async_guarded(adapter.async_request_code(), "povo 2.0")
        if error is None:
            self._povo = adapter
            if data is not None:
                self._povo_data = data
        return error

    async def _async_submit_povo_code(self, code: str) -> dict[str, str]:
        assert self._povo is not None
        if not code.strip():
            return {CONF_CODE: "invalid_code"}
        error = await _async_guarded(self._povo.async_submit_code(code), "povo 2.0")
        if error == "invalid_code":
            return {CONF_CODE: error}
        return {"base": error} if error else {}

    def _async_finish_povo(self) -> ConfigFlowResult:
        assert self._povo is not None
        data = without_rejection(
            {**self._povo_data, CONF_AUTH_TOKEN: self._povo.refreshed_secrets()[CONF_AUTH_TOKEN]}
        )
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            return self.async_update_reload_and_abort(entry, data=data)
        return self.async_create_entry(
            title=_title(CARRIER_PROFILES[Carrier.POVO], data), data=data
        )

    # -- plan tracker: a SIM without a usable carrier API (forms in tracker_flow.py) -----------

    async def async_step_tracker(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name the tracked SIM and pick its brand."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        if user_input is not None:
            self._tracker_brand = user_input[CONF_TRACKED_CARRIER]
            self._tracker_title = user_input[CONF_NAME].strip()
            return await self.async_step_tracker_plan()
        return self.async_show_form(step_id="tracker", data_schema=tracker_flow.BRAND_SCHEMA)

    async def async_step_tracker_plan(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the allowance and the plan's shape, starting from the brand's preset."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        brand = self._tracker_brand
        errors: dict[str, str] = {}
        if user_input is not None and not (errors := tracker_flow.plan_errors(user_input)):
            self._tracker_data = {
                CONF_CARRIER: Carrier.TRACKER.value,
                **tracker_flow.plan_start({CONF_TRACKED_CARRIER: brand, **user_input}),
            }
            if user_input[CONF_PLAN_SHAPE] == PlanShape.VALIDITY:
                return await self.async_step_tracker_validity()
            return await self.async_step_tracker_monthly()
        return self.async_show_form(
            step_id="tracker_plan",
            description_placeholders=tracker_flow.plan_placeholders(brand),
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.PLAN_SCHEMA, user_input or tracker_flow.plan_suggestions(brand)
            ),
            errors=errors,
        )

    async def async_step_tracker_monthly(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the day of the month the allowance arrives."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        errors: dict[str, str] = {}
        if user_input is not None and not (errors := tracker_flow.plan_errors(user_input)):
            self._tracker_data |= tracker_flow.monthly_plan(user_input)
            return await self.async_step_tracker_sources()
        return self.async_show_form(
            step_id="tracker_monthly",
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.MONTHLY_SCHEMA, tracker_flow.monthly_suggestions(self._tracker_brand)
            ),
            errors=errors,
        )

    async def async_step_tracker_validity(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask when a fixed-validity plan starts, and its length or last day."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        errors: dict[str, str] = {}
        if user_input is not None:
            plan, errors = tracker_flow.validity_plan(user_input)
            if not errors:
                self._tracker_data |= plan
                return await self.async_step_tracker_sources()
        today = dt_util.now().astimezone(TOKYO).date().isoformat()
        return self.async_show_form(
            step_id="tracker_validity",
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.VALIDITY_SCHEMA,
                user_input or tracker_flow.validity_suggestions(self._tracker_brand, today),
            ),
            errors=errors,
        )

    async def async_step_tracker_sources(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask where usage and carrier notices come from (all optional), then add the SIM."""
        from . import tracker_flow  # noqa: PLC0415 - when a tracker is added

        errors: dict[str, str] = {}
        counters = tracker_flow.counter_choices(self.hass)
        if user_input is not None:
            options, errors = tracker_flow.clean_sources(user_input)
            if not errors:
                # Several SIMs can be tracked: each entry gets its own random id.
                await self.async_set_unique_id(uuid4().hex)
                return self.async_create_entry(
                    title=self._tracker_title or tracker_flow.default_title(self._tracker_data),
                    data=self._tracker_data,
                    options=options,
                )
        return self.async_show_form(
            step_id="tracker_sources",
            description_placeholders=tracker_flow.sources_placeholders(counters),
            data_schema=self.add_suggested_values_to_schema(
                tracker_flow.sources_schema(counters),
                user_input
                or tracker_flow.notice_defaults(self._tracker_data, {})
                | counters.suggested([], new=True),
            ),
            errors=errors,
        )

    # -- reauth and reconfigure -------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start re-authentication when the carrier rejected the stored credentials."""
        if CARRIER_PROFILES[Carrier(entry_data[CONF_CARRIER])].login is LoginKind.EMAIL_CODE:
            return await self.async_step_povo_reauth()
        if CARRIER_PROFILES[Carrier(entry_data[CONF_CARRIER])].login is LoginKind.REFRESH_TOKEN:
            return await self.async_step_mineo_reauth()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of the same account."""
        entry = self._get_reauth_entry()
        profile = CARRIER_PROFILES[Carrier(entry.data[CONF_CARRIER])]
        errors: dict[str, str] = {}
        if user_input is not None:
            result, errors = await self._async_relogin(entry, user_input)
            if result is not None:
                return result
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR}),
            description_placeholders={"carrier": profile.name, "account": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the login of the same account (for example a new password)."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_CARRIER] == Carrier.TRACKER:
            # A tracked SIM has no login: Reconfigure changes its plan (tracker_reconfigure.py).
            return await self.async_step_reconfigure_plan()
        profile = CARRIER_PROFILES[Carrier(entry.data[CONF_CARRIER])]
        if profile.login is LoginKind.EMAIL_CODE:
            return await self.async_step_povo_reauth()
        if profile.login is LoginKind.REFRESH_TOKEN:
            return await self.async_step_mineo_reauth()
        errors: dict[str, str] = {}
        if user_input is not None:
            result, errors = await self._async_relogin(entry, user_input)
            if result is not None:
                return result
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _login_schema(profile),
                {profile.login_field: (user_input or entry.data).get(profile.login_field)},
            ),
            errors=errors,
        )

    async def _async_relogin(
        self, entry: ConfigEntry, user_input: dict[str, Any]
    ) -> tuple[ConfigFlowResult | None, dict[str, str]]:
        """Log in to the same account with new details; update the entry when that works."""
        # The login is checked now: a rejection remembered from before no longer holds.
        data = without_rejection({**entry.data, **user_input})
        account_id, error = await self._async_try_login(data)
        if error is not None:
            return None, _form_errors(error)
        await self.async_set_unique_id(account_id)
        self._abort_if_unique_id_mismatch(reason="wrong_account")
        await self._async_hand_over(data)
        return self.async_update_reload_and_abort(entry, data=data), {}

    async def _async_try_login(self, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """Log in with ``data``; return the account's id and the form error, if any."""
        profile = CARRIER_PROFILES[Carrier(data[CONF_CARRIER])]
        if profile.login_field == CONF_PHONE_NUMBER and (
            sum(ch.isdigit() for ch in data[CONF_PHONE_NUMBER]) < _MIN_PHONE_DIGITS
        ):
            return None, "invalid_phone_number"
        self._release_verified()
        session = async_create_clientsession(
            self.hass, auto_cleanup=False, cookie_jar=aiohttp.CookieJar()
        )
        adapter: CarrierAdapter = profile.build(session, data, {})
        if (error := await _async_guarded(adapter.async_login(), profile.name)) is not None:
            # Home Assistant's sessions share its connector: detach, never close.
            session.detach()
            return None, error
        # Kept logged in: the entry's setup takes this session over (credentials.py), or the
        # flow lets it go when it ends.
        self._verified = VerifiedLogin(adapter, session, fingerprint="")
        return await self._async_account_unique_id(adapter), None


async def _async_guarded(call: Any, carrier_name: str) -> str | None:
    """Await a login call; return the form error it ends in, or None."""
    try:
        await call
    except CarrierError as err:
        LOGGER.debug("%s login failed: %s", carrier_name, short_error_text(err))
        return error_key(err, "unexpected_answer")
    except Exception:  # noqa: BLE001 - a form error beats a crashed flow
        LOGGER.exception("Unexpected error while logging in to %s", carrier_name)
        return "unknown"
    return None
