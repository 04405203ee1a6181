"""SoftBank, Y!mobile and LINEMO adapters against a local server replaying the references' pages.

Every usage page here follows a public scraper's captured shape (tests/fixtures/softbank/README.md
names repo, path and commit); the figures asserted are the ones those references report or imply.
"""

from __future__ import annotations

import logging
from datetime import date

import aiohttp
import pytest

from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import end_of_day
from custom_components.japan_sim_data.carriers.errors import (
    CarrierAuthError,
    CarrierConnectionError,
    CarrierError,
    CarrierMaintenanceError,
    CarrierParseError,
    CarrierSessionExpiredError,
)
from custom_components.japan_sim_data.carriers.http import MOBILE_BROWSER_USER_AGENT
from custom_components.japan_sim_data.carriers.models import BucketKind, Carrier, DataBucket
from custom_components.japan_sim_data.carriers.softbank import (
    LinemoAdapter,
    SoftBankAdapter,
    YmobileAdapter,
    _MySoftBankAdapter,
)
from custom_components.japan_sim_data.carriers.softbank_login import (
    SoftBankIdVerificationError,
    read_form,
)
from custom_components.japan_sim_data.carriers.softbank_pages import (
    parse_softbank_usage,
)
from custom_components.japan_sim_data.carriers.units import GIB
from tests.carriers.softbank_replay import (
    LOGIN,
    PASSWORD,
    PHONE,
    PHONE_DIGITS,
    SB_HOP,
    USAGE,
    FakeMySoftBank,
    adapter_for,
    fixture,
    gb,
    on_portal,
)
from tests.conftest import ServeApp

# --- SoftBank: the flow and miya/mysb-reminder's sample ------------------------------------------


async def test_softbank_reads_the_mysb_reminder_sample(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """miya/mysb-reminder's README sample (dae3224): used 6.34, remainData 0.02.

    The reference's own identity: used + remaining = 5 (plan) + 1.0 (added) + 0.36 (given),
    so remainData is everything left and nothing is added on top of it.
    """
    fake, adapter = await on_portal(serve, http_session, reset_day=21)

    usage = await adapter.async_fetch()

    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}", f"GET {SB_HOP}", f"POST {USAGE}"]
    # The login form got the bare digits and the unescaped ticket; the usage page the hop fields.
    assert fake.forms[0] == {
        "telnum": PHONE_DIGITS,
        "password": PASSWORD,
        "ticket": "TICKET-a1b2c3&d4",
    }
    assert fake.forms[1] == {"mfiv": "IV-0f9e8d7c", "mfsb": 'SB-"x1"'}

    sim_id = anonymous_id("softbank", PHONE_DIGITS)
    assert adapter.account_id == sim_id
    assert list(usage.sims) == [sim_id]
    sim = usage.sims[sim_id]
    period_end = end_of_day(date(2025, 4, 20))
    assert sim.remaining == gb("0.02")
    assert sim.used == gb("6.34")
    assert round((sim.remaining + sim.used) / GIB, 2) == round(5 + 1.0 + 0.36, 2)
    assert sim.buckets == (
        # 0.98 of the 1.00 GB added is used, the 0.36 GB of carried-over added data is all
        # used: the 0.02 GB left is the addition's, and nothing is left of the plan.
        DataBucket(BucketKind.MONTHLY, remaining=0, expires=period_end),
        # "" means 0 ([MYSB] reads "" as "0").
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, expires=period_end),
        # currentGivenData: [MYSB] 47e8390 labels it 追加繰越データ量, carried-over added data.
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("0.36"), expires=period_end),
        DataBucket(BucketKind.TOPPING, remaining=gb("0.02"), total=gb("1.00"), expires=period_end),
    )
    assert sim.remaining_of(BucketKind.GIFT) is None
    assert sim.allowance is None
    assert sim.number_suffix == "5678"
    assert sim.resets_on == date(2025, 4, 21)
    assert sim.next_expiry == period_end
    assert PHONE_DIGITS not in sim_id


@pytest.mark.parametrize(
    "marker",
    [
        'chartType":  "pie",',  # [MYSB]'s regex: exactly two spaces
        'chartType": "pie",',
        'chartType":"pie",',
        'chartType" :\t"pie" ,',
    ],
)
def test_softbank_chart_marker_spacing(marker: str) -> None:
    """miya/mysb-reminder matches `chartType": {2}"pie",`; any spacing reads the same."""
    reference = fixture("softbank_usage.html")
    respaced = reference.replace('chartType":  "pie",', marker)
    assert parse_softbank_usage(respaced) == parse_softbank_usage(reference)


def test_softbank_other_charts_are_not_the_figures() -> None:
    text = fixture("softbank_usage.html").replace('"pie"', '"bar"')
    with pytest.raises(CarrierParseError, match="no data chart"):
        parse_softbank_usage(text)


def test_softbank_reads_only_the_chart_object() -> None:
    """[MYSB] rebuilds the one flat object after the marker; figures elsewhere are not it."""
    text = (
        '{"remainData": "9.99"} {"chartType": "pie", "remainData": "1.00",}]};'
        ' {"usedGigaData": "7.00"}'
    )
    parsed = parse_softbank_usage(text)
    assert parsed.buckets == (DataBucket(BucketKind.MONTHLY, remaining=gb("1.00")),)
    assert parsed.used is None


def test_softbank_values_as_numbers_or_quoted_either_way() -> None:
    parsed = parse_softbank_usage(
        "<script>var d = [{\"chartType\": \"pie\", remainData: '2.5', 'usedGigaData': 1.25,"
        ' stepRemainData : "", "currentAdditionalData": "", "currentAdditionalUsedData": "",'
        ' "currentGivenData": "1.00", "currentGivenUsedData": "0.25",}]</script>'
    )
    assert parsed.used == gb("1.25")
    assert parsed.buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb("1.75")),
        DataBucket(BucketKind.CARRIED_OVER, remaining=0),
        DataBucket(BucketKind.CARRIED_OVER, remaining=gb("0.75"), total=gb("1.00")),
        DataBucket(BucketKind.TOPPING, remaining=0, total=0),
    )
    assert sum(bucket.remaining or 0 for bucket in parsed.buckets) == gb("2.5")


def test_softbank_longer_key_is_not_the_key() -> None:
    parsed = parse_softbank_usage('"chartType": "pie", "remainDataX": "5", "remainData": "1"}')
    assert parsed.buckets[0].remaining == gb("1")


@pytest.mark.parametrize(
    ("figures", "remain"),
    [
        # Every key but the additions: the slices cannot be told apart, the total is one slice.
        ('"remainData": "2.25", "stepRemainData": "1.00"', "2.25"),
        # The slices would not fit inside remainData: only the total is trusted.
        (
            (
                '"remainData": "0.10", "stepRemainData": "1.00", "currentAdditionalData": "",'
                ' "currentAdditionalUsedData": "", "currentGivenData": "",'
                ' "currentGivenUsedData": ""'
            ),
            "0.10",
        ),
    ],
)
def test_softbank_unsliceable_figures_are_one_slice(figures: str, remain: str) -> None:
    parsed = parse_softbank_usage(f'"chartType":  "pie",{figures},}}]}};')
    assert parsed.buckets == (DataBucket(BucketKind.MONTHLY, remaining=gb(remain)),)


@pytest.mark.parametrize(
    ("remain", "carried", "added", "added_used", "given", "given_used"),
    [
        ("0.02", "0", "1.00", "0.98", "0.36", "0.36"),
        ("16.48", "1.20", "", "", "1.00", "0.25"),
        ("3.33", "0.01", "0.97", "0.41", "0.33", "0.07"),
        ("7.77", "2.22", "1.11", "2.00", "0", "0"),
        ("1024.5", "512.25", "100.125", "0.5", "3", "1"),
    ],
)
def test_softbank_slices_add_up_to_remain_data(
    remain: str, carried: str, added: str, added_used: str, given: str, given_used: str
) -> None:
    """Whatever the slices, SimUsage.remaining is remainData to the byte."""
    parsed = parse_softbank_usage(
        f'"chartType":  "pie","remainData": "{remain}","stepRemainData": "{carried}",'
        f'"currentAdditionalData": "{added}","currentAdditionalUsedData": "{added_used}",'
        f'"currentGivenData": "{given}","currentGivenUsedData": "{given_used}",}}]}};'
    )
    assert len(parsed.buckets) == 4
    assert sum(bucket.remaining or 0 for bucket in parsed.buckets) == gb(remain)
    assert all(bucket.remaining is not None and bucket.remaining >= 0 for bucket in parsed.buckets)


@pytest.mark.parametrize(
    "value", ['"-1"', '"1e300"', '"NaN"', '"1.2.3"', "null", "-", '"' + "9" * 30 + '"']
)
def test_softbank_garbage_is_a_parse_error(value: str) -> None:
    with pytest.raises(CarrierParseError):
        parse_softbank_usage(f'"chartType": "pie", "remainData": {value}, "usedGigaData": "1"}}')


async def test_softbank_missing_key_shows_the_total(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    _, adapter = await on_portal(serve, http_session, usage_page="softbank_usage_missing_key.html")

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    period_end = end_of_day(date(2025, 4, 30))
    assert sim.buckets == (
        DataBucket(BucketKind.MONTHLY, remaining=gb("2.25"), expires=period_end),
    )
    assert sim.remaining_of(BucketKind.CARRIED_OVER) is None
    assert sim.used == gb("0.75")
    assert sim.resets_on == date(2025, 5, 1)


async def test_softbank_page_without_remain_data_is_a_parse_error_with_an_outline(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    _, adapter = await on_portal(serve, http_session, usage_page="softbank_usage_no_figures.html")

    with pytest.raises(CarrierParseError, match="how much data is left") as raised:
        await adapter.async_fetch()
    outline = raised.value.skeleton["html"]
    assert "<script>" in [line.strip() for line in outline]
    # The outline keeps tags and text lengths, never the text.
    assert not any("データ" in line for line in outline)


# --- The flow, shared by the brands -----------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "status"),
    [("hop", 200), ("usage", 200), ("hop", 404), ("usage", 403)],
)
async def test_maintenance_page(
    serve: ServeApp, http_session: aiohttp.ClientSession, where: str, status: int
) -> None:
    fake = FakeMySoftBank()
    if where == "hop":
        fake.hop_page, fake.hop_status = "maintenance.html", status
    else:
        fake.usage_page, fake.usage_status = "maintenance.html", status
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierMaintenanceError):
        await adapter.async_fetch()


async def test_server_maintenance_status_is_mapped_by_the_http_layer(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    _, adapter = await on_portal(
        serve, http_session, hop_page="softbank_usage_no_figures.html", hop_status=503
    )

    with pytest.raises(CarrierMaintenanceError, match="HTTP 503"):
        await adapter.async_fetch()


@pytest.mark.parametrize(
    ("where", "status", "error"),
    [
        ("hop", 404, CarrierConnectionError),
        ("hop", 200, CarrierParseError),
        ("usage", 404, CarrierConnectionError),
    ],
)
async def test_unexpected_pages(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    where: str,
    status: int,
    error: type[CarrierError],
) -> None:
    fake = FakeMySoftBank()
    if where == "hop":
        fake.hop_page, fake.hop_status = "softbank_usage_no_figures.html", status
    else:
        fake.usage_page, fake.usage_status = "softbank_usage_no_figures.html", status
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(error) as raised:
        await adapter.async_fetch()
    assert type(raised.value) is error
    if isinstance(raised.value, CarrierParseError):
        assert raised.value.skeleton is not None
        assert "html" in raised.value.skeleton


async def test_cut_short_usage_page_is_a_parse_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    text = fixture("softbank_usage.html")
    # Cut before the footer, whose maintenance-news link would make it read as maintenance.
    _, adapter = await on_portal(serve, http_session, usage_text=text[: text.index("<p><a")])

    with pytest.raises(CarrierParseError, match="cut short"):
        await adapter.async_fetch()


async def test_wrong_password_is_an_auth_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session, password="wrong-password")

    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert fake.logins == 1


@pytest.mark.parametrize(
    ("cls", "brand"), [(YmobileAdapter, "ymobile"), (SoftBankAdapter, "softbank")]
)
async def test_identity_check_after_the_password_is_not_a_wrong_password(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    cls: type[_MySoftBankAdapter],
    brand: str,
) -> None:
    """ma-chin-365ho/automation-web: My Y!mobile may ask for a 本人確認 code after the password.

    Its form has a password input, so it used to read as the login form again: a wrong
    password. It is an auth error of its own kind (polls stop: each login sends a new code).
    """
    fake, adapter = await on_portal(
        serve, http_session, cls, brand=brand, login_page="ymobile_verification.html"
    )

    with pytest.raises(SoftBankIdVerificationError, match="identity-check code") as raised:
        await adapter.async_fetch()
    assert isinstance(raised.value, CarrierAuthError)
    assert "rejected" not in str(raised.value)
    assert fake.logins == 1
    assert not adapter.logged_in
    assert read_form(fixture("ymobile_verification.html")).verification
    assert not read_form(fixture("softbank_login_error.html")).verification


async def test_login_form_again_without_a_message_is_an_auth_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """Y-Mobile-MonitorApp-kotaro judges a login failed when it lands on the login form again."""
    _, adapter = await on_portal(serve, http_session, login_page="softbank_entry.html")

    with pytest.raises(CarrierAuthError):
        await adapter.async_login()


@pytest.mark.parametrize(
    ("page", "status", "error"),
    [
        ("maintenance.html", 200, None),
        ("maintenance.html", 403, CarrierMaintenanceError),
        ("softbank_usage_no_figures.html", 403, CarrierConnectionError),
    ],
)
async def test_login_answers_that_are_not_a_rejection(
    serve: ServeApp,
    http_session: aiohttp.ClientSession,
    page: str,
    status: int,
    error: type[CarrierError] | None,
) -> None:
    _, adapter = await on_portal(serve, http_session, login_page=page, login_status=status)

    if error is None:
        # A 200 page that is no login form counts as success; the hop will tell the truth.
        await adapter.async_login()
    else:
        with pytest.raises(error):
            await adapter.async_login()


async def test_session_is_reused_across_fetches(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session)

    first = await adapter.async_fetch()
    fake.hits.clear()
    second = await adapter.async_fetch()

    assert first == second
    # The fields that opened the usage page open it again: one request.
    assert fake.hits == [f"POST {USAGE}"]
    assert fake.forms[-1] == fake.hop_fields


async def test_expired_session_logs_in_again_exactly_once(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session, polls=1)
    fake.forget_sessions()
    fake.hits.clear()

    usage = await adapter.async_fetch()

    # The kept fields meet a login page; the hop says the session ended and offers a ticket.
    assert fake.hits == [
        f"POST {USAGE}",
        f"GET {SB_HOP}",
        f"POST {LOGIN}",
        f"GET {SB_HOP}",
        f"POST {USAGE}",
    ]
    assert usage.sims
    assert adapter.logged_in


async def test_usage_host_logout_fetches_a_ticket_and_logs_in_once(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session, polls=1, one_shot_fields=True)
    await adapter.async_fetch()  # learns that the fields open the page once
    fake.usage_logouts = 1
    fake.hits.clear()

    await adapter.async_fetch()

    # The usage host's login page has no ticket, so the entry page is asked for one.
    assert fake.hits == [
        f"GET {SB_HOP}",
        f"POST {USAGE}",
        f"GET {SB_HOP}",
        f"POST {LOGIN}",
        f"GET {SB_HOP}",
        f"POST {USAGE}",
    ]


@pytest.mark.parametrize("usage_logouts", [0, 2])
async def test_login_that_does_not_stick_never_loops(
    serve: ServeApp, http_session: aiohttp.ClientSession, usage_logouts: int
) -> None:
    fake, adapter = await on_portal(
        serve, http_session, remember_sessions=usage_logouts > 0, usage_logouts=usage_logouts
    )
    if usage_logouts:
        await adapter.async_login()
        fake.hits.clear()

    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_async_login(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    fake, adapter = await on_portal(serve, http_session)

    await adapter.async_login()
    assert fake.hits == [f"GET {SB_HOP}", f"POST {LOGIN}"]

    # Logged in already: SoftBank's entry page is the hop page, and no password is sent again.
    fake.hits.clear()
    await adapter.async_login()
    assert fake.hits == [f"GET {SB_HOP}"]
    assert adapter.refreshed_secrets() == {}


@pytest.mark.parametrize(
    ("page", "error"),
    [("maintenance.html", CarrierMaintenanceError), ("ymobile_usage.html", CarrierParseError)],
)
async def test_login_without_a_ticket(
    serve: ServeApp, http_session: aiohttp.ClientSession, page: str, error: type[CarrierError]
) -> None:
    fake, adapter = await on_portal(
        serve, http_session, YmobileAdapter, brand="ymobile", entry_page=page
    )

    with pytest.raises(error):
        await adapter.async_login()
    assert fake.logins == 0


async def test_every_request_sends_the_mobile_user_agent(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake, adapter = await on_portal(serve, http_session, polls=1)
    await adapter.async_login()

    assert len(fake.user_agents) == 5
    assert set(fake.user_agents) == {MOBILE_BROWSER_USER_AGENT}


# --- LINEMO ------------------------------------------------------------------------------------


async def test_linemo_is_experimental_on_the_softbank_route(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """No public client reads LINEMO: it is tried on SoftBank's route and flagged experimental."""
    _, adapter = await on_portal(serve, http_session, LinemoAdapter)

    usage = await adapter.async_fetch()

    assert LinemoAdapter.experimental
    assert not SoftBankAdapter.experimental
    assert not YmobileAdapter.experimental
    assert adapter.carrier is Carrier.LINEMO
    assert adapter.account_id == anonymous_id("linemo", PHONE_DIGITS)
    assert adapter.account_id != anonymous_id("softbank", PHONE_DIGITS)
    assert usage.sims[adapter.account_id].used == gb("6.34")


# --- Secrets ----------------------------------------------------------------------------------


async def test_secrets_never_reach_errors_or_logs(
    serve: ServeApp, http_session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scenarios = [
        (FakeMySoftBank(), "wrong-password"),
        (FakeMySoftBank(usage_page="softbank_usage_no_figures.html"), PASSWORD),
        (FakeMySoftBank(usage_page="maintenance.html"), PASSWORD),
        (FakeMySoftBank(remember_sessions=False), PASSWORD),
        (FakeMySoftBank(hop_page="softbank_usage_no_figures.html", hop_status=404), PASSWORD),
    ]
    messages: list[str] = []
    for fake, password in scenarios:
        adapter = await adapter_for(serve, http_session, fake, password=password)
        with pytest.raises(CarrierError) as raised:
            await adapter.async_fetch()
        messages.append(f"{raised.value} {raised.value!r} {getattr(raised.value, 'skeleton', '')}")
        http_session.cookie_jar.clear()
    # Tickets, hop fields and session cookies are secrets too.
    issued = [
        value
        for fake, _ in scenarios
        for value in [*fake.issued, *(v for form in fake.forms for v in form.values())]
    ]
    assert issued

    text = "\n".join([*messages, caplog.text])
    for secret in (PHONE, PHONE_DIGITS, PASSWORD, "wrong-password", "TICKET-a1b2c3", *issued):
        assert secret not in text
