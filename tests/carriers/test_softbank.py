"""SoftBank, Y!mobile and LINEMO adapters against a local server replaying the references' pages.

Every usage page here follows a public scraper's captured shape (tests/fixtures/softbank/README.md
names repo, path and commit); the figures asserted are the ones those references report or imply.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.japan_sim_data.carriers import softbank_login, ymobile_pages
from custom_components.japan_sim_data.carriers.base import anonymous_id
from custom_components.japan_sim_data.carriers.dates import TOKYO, end_of_day
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
    next_reset,
)
from custom_components.japan_sim_data.carriers.softbank_login import (
    MAX_FORM_VALUE_LENGTH,
    PAGE_MAX_BYTES,
    SoftBankIdVerificationError,
    find_hidden_inputs,
    is_login_page,
    read_form,
)
from custom_components.japan_sim_data.carriers.softbank_pages import (
    ParsedUsage,
    parse_softbank_usage,
)
from custom_components.japan_sim_data.carriers.units import GIB
from custom_components.japan_sim_data.carriers.ymobile_pages import (
    find_ymobile_tables,
    parse_ymobile_usage,
)
from tests.carriers.softbank_replay import (
    LOGIN,
    PASSWORD,
    PHONE,
    PHONE_DIGITS,
    SB_HOP,
    USAGE,
    YM_ENTRY,
    YM_HOP,
    FakeMySoftBank,
    adapter_for,
    fixture,
    gb,
    page,
)
from tests.conftest import ServeApp


def _section(*tables: str, classes: str = "list-toggle-content js-toggle-content m-top-20") -> str:
    return f'<div class="{classes}">{"".join(tables)}</div>'


def _table(label: str | None, *cells: str) -> str:
    head = f"<tr><th>{label}</th></tr>" if label is not None else ""
    rows = "".join(f"<tr><td>{cell}</td></tr>" for cell in cells)
    return f"<table><tbody>{head}{rows}</tbody></table>"


# --- SoftBank: the flow and miya/mysb-reminder's sample ------------------------------------------


async def test_softbank_reads_the_mysb_reminder_sample(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """miya/mysb-reminder's README sample (dae3224): used 6.34, remainData 0.02.

    The reference's own identity: used + remaining = 5 (plan) + 1.0 (added) + 0.36 (given),
    so remainData is everything left and nothing is added on top of it.
    """
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake, reset_day=21)

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
    fake = FakeMySoftBank(usage_page="softbank_usage_missing_key.html")
    adapter = await adapter_for(serve, http_session, fake)

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
    fake = FakeMySoftBank(usage_page="softbank_usage_no_figures.html")
    adapter = await adapter_for(serve, http_session, fake)

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
    fake = FakeMySoftBank(hop_page="softbank_usage_no_figures.html", hop_status=503)
    adapter = await adapter_for(serve, http_session, fake)

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
    fake = FakeMySoftBank(usage_text=text[: text.index("<p><a")])
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierParseError, match="cut short"):
        await adapter.async_fetch()


async def test_wrong_password_is_an_auth_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake, password="wrong-password")

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
    fake = FakeMySoftBank(brand=brand, login_page="ymobile_verification.html")
    adapter = await adapter_for(serve, http_session, fake, cls)

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
    fake = FakeMySoftBank(login_page="softbank_entry.html")
    adapter = await adapter_for(serve, http_session, fake)

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
    fake = FakeMySoftBank(login_page=page, login_status=status)
    adapter = await adapter_for(serve, http_session, fake)

    if error is None:
        # A 200 page that is no login form counts as success; the hop will tell the truth.
        await adapter.async_login()
    else:
        with pytest.raises(error):
            await adapter.async_login()


async def test_session_is_reused_across_fetches(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)

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
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)
    await adapter.async_fetch()
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
    fake = FakeMySoftBank(one_shot_fields=True)
    adapter = await adapter_for(serve, http_session, fake)
    await adapter.async_fetch()
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
    fake = FakeMySoftBank(remember_sessions=usage_logouts > 0, usage_logouts=usage_logouts)
    adapter = await adapter_for(serve, http_session, fake)
    if usage_logouts:
        await adapter.async_login()
        fake.hits.clear()

    with pytest.raises(CarrierSessionExpiredError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_async_login(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)

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
    fake = FakeMySoftBank(brand="ymobile", entry_page=page)
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    with pytest.raises(error):
        await adapter.async_login()
    assert fake.logins == 0


async def test_every_request_sends_the_mobile_user_agent(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake)
    await adapter.async_fetch()
    await adapter.async_login()

    assert len(fake.user_agents) == 5
    assert set(fake.user_agents) == {MOBILE_BROWSER_USER_AGENT}


# --- Where requests may go, and what is sent back ------------------------------------------


def test_each_brand_talks_only_to_its_own_hosts(http_session: aiohttp.ClientSession) -> None:
    def hosts(cls: type[_MySoftBankAdapter]) -> frozenset[str]:
        return cls(http_session, phone_number=PHONE, password=PASSWORD)._policy.hosts

    softbank_hosts = {"my.softbank.jp", "id.my.softbank.jp", "re11.my.softbank.jp"}
    assert hosts(SoftBankAdapter) == softbank_hosts
    assert hosts(LinemoAdapter) == softbank_hosts
    assert hosts(YmobileAdapter) == {"my.ymobile.jp", "id.my.ymobile.jp", "re61.my.ymobile.jp"}


async def test_redirect_within_the_portal_is_followed(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(login_redirect=SB_HOP)
    adapter = await adapter_for(serve, http_session, fake)

    usage = await adapter.async_fetch()

    assert fake.hits == [
        f"GET {SB_HOP}",
        f"POST {LOGIN}",
        f"GET {SB_HOP}",  # the redirect, as a GET without the form
        f"GET {SB_HOP}",
        f"POST {USAGE}",
    ]
    assert usage.sims


async def test_redirect_to_another_host_sends_nothing_there(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    elsewhere: list[str] = []

    async def record(request: web.Request) -> web.Response:
        elsewhere.append(request.path)
        return web.Response(text=page(""), content_type="text/html")

    other = web.Application()
    other.router.add_route("*", "/{tail:.*}", record)
    other_url = (await serve(other)).replace("127.0.0.1", "localhost")
    fake = FakeMySoftBank(login_redirect=f"{other_url}/collect")
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierConnectionError, match="outside its own"):
        await adapter.async_fetch()
    assert elsewhere == []


@pytest.mark.parametrize(
    "value",
    [
        "has space",
        "line\nbreak",
        "ｆｕｌｌ",
        "x" * (MAX_FORM_VALUE_LENGTH + 1),
    ],
)
async def test_unusable_hop_fields_are_never_sent_back(
    serve: ServeApp, http_session: aiohttp.ClientSession, value: str
) -> None:
    escaped = value.replace("\n", "&#10;")
    fake = FakeMySoftBank(
        hop_text=page(
            f'<form><input type="hidden" name="mfiv" value="{escaped}">'
            '<input type="hidden" name="mfsb" value="SB-1"></form>'
        )
    )
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierParseError, match="unusable mfiv") as raised:
        await adapter.async_fetch()
    assert f"POST {USAGE}" not in fake.hits
    assert value not in str(raised.value)
    assert raised.value.skeleton is not None


async def test_unusable_ticket_is_never_sent_back(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(
        brand="ymobile",
        entry_text=page('<form><input type="hidden" name="ticket" value="T X"></form>'),
    )
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    with pytest.raises(CarrierParseError, match="unusable ticket"):
        await adapter.async_login()
    assert fake.logins == 0


async def test_page_over_the_cap_is_not_read(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(usage_text=page("x" * PAGE_MAX_BYTES))
    adapter = await adapter_for(serve, http_session, fake)

    with pytest.raises(CarrierParseError, match="larger than"):
        await adapter.async_fetch()


async def test_pages_are_read_off_the_event_loop(
    serve: ServeApp, http_session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, set[int]] = {"form": set(), "usage": set()}

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            threads[name].add(threading.get_ident())
            return real(*args)

        return wrapped

    monkeypatch.setattr(softbank_login, "read_form", spy("form", softbank_login.read_form))
    monkeypatch.setattr(
        ymobile_pages, "find_ymobile_tables", spy("usage", ymobile_pages.find_ymobile_tables)
    )
    fake = FakeMySoftBank(brand="ymobile")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    assert (await adapter.async_fetch()).sims

    assert threads["form"]
    assert threads["usage"]
    assert loop_thread not in threads["form"] | threads["usage"]


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_softbank_usage, 'chartType"' + " " * 200_000),
        (parse_softbank_usage, 'chartType": ' * 100_000),
        (parse_softbank_usage, '"chartType": "pie", ' + '"remainData":' * 50_000),
        (
            parse_ymobile_usage,
            '<div class="list-toggle-content">' + "<div>" * 60_000 + "</p>" * 60_000,
        ),
        (parse_ymobile_usage, _section(*(_table(None, "1" * 200_000) for _ in range(4)))),
        (parse_ymobile_usage, _section("<table>" * 30_000 + "</table>" * 30_000)),
    ],
)
def test_hostile_pages_are_read_in_linear_time(
    parse: Callable[[str], ParsedUsage], text: str
) -> None:
    """Inputs that make a backtracking pattern or a quadratic scan run for minutes."""
    started = time.monotonic()
    with pytest.raises(CarrierParseError):
        parse(text)
    assert time.monotonic() - started < 5


# --- Y!mobile ----------------------------------------------------------------------------------


async def test_ymobile_reads_the_four_tables_by_position(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """Y-mobile-monitor-App af13d42's live run: 0.88 + 30.0 + 0.0 − 1.51 = 29.37 of 30.88 GB.

    The same four tables nairoki23/ymobile_bot reads by position (e2b4717).
    """
    fake = FakeMySoftBank(brand="ymobile")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter, reset_day=11)

    usage = await adapter.async_fetch()

    # No cookie of the portal yet: MWBWL0130 hands out the ticket first, no hop is tried.
    assert fake.hits == [
        f"GET {YM_ENTRY}",
        f"POST {LOGIN}",
        f"GET {YM_HOP}",
        f"POST {USAGE}",
    ]
    assert fake.forms[0]["ticket"] == "YM-TICKET-77"
    assert fake.forms[1] == {"mfiv": "YIV-123", "mfym": "YM-456"}
    assert set(fake.user_agents) == {MOBILE_BROWSER_USER_AGENT}

    sim = usage.sims[anonymous_id("ymobile", PHONE_DIGITS)]
    period_end = end_of_day(date(2025, 5, 10))
    # くりこし分 on its own, used first: the 1.51 GB used takes the 0.88 carried over, then
    # 0.63 of the base.
    assert sim.buckets == (
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("0.88"), expires=period_end),
        DataBucket(
            BucketKind.MONTHLY,
            remaining=gb("30.0") - (gb("1.51") - gb("0.88")),
            total=gb("30.0"),
            expires=period_end,
        ),
        DataBucket(BucketKind.TOPPING, remaining=0, total=0, expires=period_end),
    )
    assert sim.remaining == gb("30.0") + gb("0.88") - gb("1.51")
    assert round(sim.remaining / GIB, 2) == 29.37  # KYM's live run
    assert sim.used == gb("1.51")
    assert sim.resets_on == date(2025, 5, 11)
    assert sim.number_suffix == "5678"


def test_ymobile_labelled_tables() -> None:
    """nairoki23/discord-bot 77b44da keys the tables by label: くりこし分, 基本データ量 残り
    ("A／B", A taken), 使用量 合計, every other table granted data (here a 5th, as e63d3b0).

    1.20 + 20.00 + 0.50 + 1.00 − 3.30 = 19.40 of 22.70 GB.
    """
    parsed = parse_ymobile_usage(fixture("ymobile_usage_labelled.html"))
    # The 3.30 GB used takes the 1.20 carried over, then 2.10 of the base; the other grant
    # (page order) and the paid data are untouched.
    assert parsed.buckets == (
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("1.20")),
        DataBucket(
            BucketKind.MONTHLY,
            remaining=gb("20.00") - (gb("3.30") - gb("1.20")),
            total=gb("20.00"),
        ),
        DataBucket(BucketKind.GIFT, remaining=gb("0.50"), total=gb("0.50")),
        DataBucket(BucketKind.TOPPING, remaining=gb("1.00"), total=gb("1.00")),
    )
    assert sum(bucket.remaining or 0 for bucket in parsed.buckets) == (
        gb("1.20") + gb("20.00") + gb("0.50") + gb("1.00") - gb("3.30")
    )
    assert parsed.used == gb("3.30")


def test_ymobile_paid_figure_in_the_second_row() -> None:
    """nairoki23/discord-bot d5762ef reads the paid figure from the 2nd row, before a link.

    0.25 + 5.00 + 1.00 − 2.75 = 3.50 GB.
    """
    parsed = parse_ymobile_usage(fixture("ymobile_usage_paid_second_row.html"))
    assert parsed.buckets == (
        DataBucket(BucketKind.CARRIED_OVER, remaining=0, total=gb("0.25")),
        DataBucket(
            BucketKind.MONTHLY,
            remaining=gb("5.00") - (gb("2.75") - gb("0.25")),
            total=gb("5.00"),
        ),
        DataBucket(BucketKind.TOPPING, remaining=gb("1.00"), total=gb("1.00")),
    )
    assert parsed.used == gb("2.75")


def _remaining(text: str) -> int:
    return sum(bucket.remaining or 0 for bucket in parse_ymobile_usage(text).buckets)


def test_ymobile_labels_win_over_positions() -> None:
    shuffled = _section(
        _table("使用量 合計", "1.00GB"),
        _table("有料データ量", "0.50GB"),
        _table("くりこし分", "2.00GB"),
        _table("基本データ量 残り", "3.00GB"),
    )
    assert _remaining(shuffled) == gb("4.50")


def test_ymobile_old_captions_are_still_labels() -> None:
    old = _section(
        "<table><caption>使用済み</caption><tr><td>1GB</td></tr></table>",
        "<table><caption>繰越</caption><tr><td>1GB</td></tr></table>",
        "<table><caption>有料</caption><tr><td>512MB</td></tr></table>",
        "<table><caption>基本</caption><tr><td>2GB</td></tr></table>",
    )
    assert _remaining(old) == gb("2.5")


def test_ymobile_figures_full_width_and_in_mb() -> None:
    tables = _section(
        _table(None, "０．５０ＧＢ"),
        _table(None, "―", "1,024MB"),
        _table(None, "0GB"),
        _table(None, "1"),
    )
    assert _remaining(tables) == gb("0.5")


def test_ymobile_first_of_a_pair_is_the_figure() -> None:
    tables = _section(
        _table("くりこし分", "0GB"),
        _table("基本データ量 残り", "18.50GB／20.00GB"),
        _table("有料", "0GB"),
        _table("使用量 合計", "1.50GB"),
    )
    assert _remaining(tables) == gb("17.00")


def test_ymobile_container_by_one_class_and_the_full_one_first() -> None:
    """discord-bot 77b44da finds `.list-toggle-content`; the others need all three classes."""
    four = [_table(None, "1GB"), _table(None, "", "2GB"), _table(None, "0GB"), _table(None, "1GB")]
    assert _remaining(_section(*four, classes="list-toggle-content")) == gb("2")
    decoy = _section(*four[:2], _table(None, "9GB"), four[3], classes="list-toggle-content")
    assert _remaining(decoy + _section(*four)) == gb("2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<table><tr><td>1GB</td></tr></table>" * 4, "no data-usage section"),
        (_section(_table(None, "1GB"), _table(None, "1GB")), "fewer tables"),
        (
            _section(*(_table(None, "1GB") for _ in range(5))),
            "lacks a table",
        ),
        (
            _section(
                _table("くりこし分", "1GB"),
                _table("基本", "1GB"),
                _table("基本", "2GB"),
                _table("使用量 合計", "1GB"),
            ),
            "two base tables",
        ),
        (
            _section(
                _table(None, "1GB"),
                _table(None, "", "1GB"),
                _table(None, "0GB"),
                _table(None, "3GB"),
            ),
            "do not add up",
        ),
        (
            _section(
                _table(None, "―"), _table(None, "", "1GB"), _table(None, "0GB"), _table(None, "1GB")
            ),
            "carried_over table holds no figure",
        ),
    ],
)
def test_ymobile_unreadable_sections(text: str, message: str) -> None:
    with pytest.raises(CarrierParseError, match=message):
        parse_ymobile_usage(text)


def test_ymobile_other_tables_count_only_amounts_with_a_unit() -> None:
    five = _section(
        _table("くりこし分", "1GB"),
        _table("基本データ量 残り", "2GB"),
        _table("ご利用期間", "2026/03/01〜2026/03/31"),
        _table("有料", "1GB"),
        _table("使用量 合計", "1GB"),
    )
    assert _remaining(five) == gb("3")


def test_ymobile_nested_and_unclosed_tables() -> None:
    """A nested table's text stays its own; unclosed rows and cells end as a browser ends them."""
    nested = _section(
        "<table><tr><td>" + _table(None, "1GB") + "</td></tr></table>",
        "<table><tbody><tr><td>―<tr><td>2GB</table>",
        "</span></td>",
    )
    tables = find_ymobile_tables(nested)
    assert [table.rows for table in tables] == [
        [[(False, "")]],
        [[(False, "1GB")]],
        [[(False, "―")], [(False, "2GB")]],
    ]


async def test_ymobile_wrong_password(serve: ServeApp, http_session: aiohttp.ClientSession) -> None:
    fake = FakeMySoftBank(brand="ymobile")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter, password="nope")

    with pytest.raises(CarrierAuthError):
        await adapter.async_fetch()
    assert fake.logins == 1


async def test_ymobile_page_without_the_section_is_a_parse_error(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank(brand="ymobile", usage_page="softbank_usage_no_figures.html")
    adapter = await adapter_for(serve, http_session, fake, YmobileAdapter)

    with pytest.raises(CarrierParseError, match="no data-usage section") as raised:
        await adapter.async_fetch()
    assert raised.value.skeleton is not None


# --- LINEMO ------------------------------------------------------------------------------------


async def test_linemo_is_experimental_on_the_softbank_route(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    """No public client reads LINEMO: it is tried on SoftBank's route and flagged experimental."""
    fake = FakeMySoftBank()
    adapter = await adapter_for(serve, http_session, fake, LinemoAdapter)

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


# --- Pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "reset_day", "expected"),
    [
        (date(2025, 1, 1), 1, date(2025, 2, 1)),
        (date(2025, 1, 31), 1, date(2025, 2, 1)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
        (date(2025, 12, 31), 1, date(2026, 1, 1)),
        (date(2025, 2, 10), 11, date(2025, 2, 11)),
        (date(2025, 2, 11), 11, date(2025, 3, 11)),
        (date(2025, 12, 11), 11, date(2026, 1, 11)),
        (date(2025, 12, 31), 11, date(2026, 1, 11)),
        (date(2025, 1, 20), 21, date(2025, 1, 21)),
        (date(2025, 1, 21), 21, date(2025, 2, 21)),
        (date(2024, 2, 29), 21, date(2024, 3, 21)),
        (date(2025, 12, 25), 21, date(2026, 1, 21)),
    ],
)
def test_next_reset(today: date, reset_day: int, expected: date) -> None:
    assert next_reset(today, reset_day) == expected


def test_next_reset_rejects_other_days() -> None:
    with pytest.raises(ValueError, match="1, 11 or 21"):
        next_reset(date(2025, 1, 1), 15)


async def test_reset_uses_the_tokyo_date(
    serve: ServeApp, http_session: aiohttp.ClientSession
) -> None:
    fake = FakeMySoftBank()
    base_url = await serve(fake.app())
    # 15:30 UTC on 31 January is already 1 February in Tokyo.
    adapter = SoftBankAdapter(
        http_session,
        phone_number=PHONE,
        password=PASSWORD,
        base_url=base_url + "/",
        clock=lambda: datetime(2025, 1, 31, 15, 30, tzinfo=UTC),
    )

    sim = next(iter((await adapter.async_fetch()).sims.values()))

    assert sim.resets_on == date(2025, 3, 1)
    assert sim.data_expires == end_of_day(date(2025, 2, 28))


async def test_default_clock_is_tokyo_now(http_session: aiohttp.ClientSession) -> None:
    adapter = SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD)
    now = adapter._clock()
    assert now.tzinfo is TOKYO
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=1)


async def test_constructor_validation(http_session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="reset_day"):
        SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD, reset_day=10)
    with pytest.raises(ValueError, match="phone_number") as raised:
        SoftBankAdapter(http_session, phone_number="12-", password=PASSWORD)
    assert "12-" not in str(raised.value)
    # Full-width digits and hyphens name the same account (ids stay what they always were).
    full_width = SoftBankAdapter(
        http_session, phone_number="０９０－１２３４－５６７８", password=PASSWORD
    )
    assert full_width.account_id == anonymous_id("softbank", PHONE_DIGITS)


@pytest.mark.parametrize("cls", [SoftBankAdapter, YmobileAdapter, LinemoAdapter])
async def test_sim_ids_stay_what_they_were(
    http_session: aiohttp.ClientSession, cls: type[_MySoftBankAdapter]
) -> None:
    """Existing entities keep their ids: sha256("<carrier>\\x1f<digits>"), first 16 hex."""
    adapter = cls(http_session, phone_number=PHONE, password=PASSWORD)
    digest = hashlib.sha256(f"{cls.carrier.value}\x1f{PHONE_DIGITS}".encode()).hexdigest()
    assert adapter.account_id == digest[:16]


async def test_urls(http_session: aiohttp.ClientSession) -> None:
    real = SoftBankAdapter(http_session, phone_number=PHONE, password=PASSWORD)
    url = "https://re11.my.softbank.jp/resfe/top/?a=1"
    assert real._url(url) == url
    local = SoftBankAdapter(
        http_session, phone_number=PHONE, password=PASSWORD, base_url="http://127.0.0.1:8/x/"
    )
    assert local._url(url) == "http://127.0.0.1:8/x/resfe/top/?a=1"
    assert local._policy.hosts == {"127.0.0.1"}


def test_find_hidden_inputs() -> None:
    assert find_hidden_inputs(fixture("softbank_hop.html")) == {
        "mfiv": "IV-0f9e8d7c",
        "mfsb": 'SB-"x1"',
    }
    assert find_hidden_inputs(fixture("softbank_entry.html")) == {"ticket": "TICKET-a1b2c3&d4"}
    assert find_hidden_inputs('<input type="hidden" value="x"><input type="hidden" name="e">') == {
        "e": ""
    }
    assert find_hidden_inputs("<p>no form</p>") == {}


def test_is_login_page() -> None:
    assert is_login_page(fixture("softbank_entry.html"))
    assert is_login_page(fixture("session_expired.html"))
    assert not is_login_page(fixture("softbank_hop.html"))
    assert not is_login_page(fixture("softbank_usage.html"))


def test_read_form() -> None:
    """Fields by name, as y-mobile-data-usage-app matches name="mfiv" / name="mfym"."""
    hop = read_form(fixture("ymobile_hop.html"), ("ticket", "mfiv", "mfym"))
    assert hop.fields == {"mfiv": "YIV-123", "mfym": "YM-456"}
    assert hop.has(("mfiv", "mfym"))
    assert not hop.login_form
    rejected = read_form(fixture("softbank_login_error.html"))
    assert rejected.rejected
    assert rejected.login_form
    assert rejected.fields == {}
    # The maintenance-news link of a working page is read, but only consulted on failure.
    assert read_form(fixture("softbank_usage.html")).maintenance
    assert read_form(fixture("maintenance.html")).maintenance
