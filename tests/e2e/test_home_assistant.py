"""A real Home Assistant: config entries added over REST, states read over REST."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import MIO_PASSWORD, RunningHomeAssistant
from tests.e2e.harness import ReplayProcess

pytestmark = pytest.mark.e2e

# The replay serves tests/fixtures/iijmio/member_top.json with its months moved to now: the
# voice line (…5678) has 4.56 GB carried over and 20 GB of this month, in GiB as IIJmio counts.
VOICE_LINE = "(5678)"
VOICE_LINE_REMAINING = 24.56


def _number(state: dict[str, Any]) -> float | None:
    try:
        return float(state["state"])
    except ValueError:
        return None


def _refresh(home_assistant: RunningHomeAssistant, entity_id: str) -> None:
    """Ask for a new reading now, as a dashboard's "update entity" does."""
    home_assistant.client.post(
        "/api/services/homeassistant/update_entity", {"entity_id": entity_id}
    )


def test_iijmio_login_and_sensors(
    home_assistant: RunningHomeAssistant, iijmio_entry: str, replay: ReplayProcess
) -> None:
    """The config flow logged in to the replay; every line has its sensors and figures."""
    entries = {entry["entry_id"]: entry for entry in home_assistant.client.config_entries()}
    assert entries[iijmio_entry]["state"] == "loaded"
    assert entries[iijmio_entry]["title"] == "IIJmio mi***"
    # The flow's login is handed to the entry's setup: the carrier sees one login, not two.
    assert replay.control("state")["logins"] == 1

    remaining = home_assistant.sim_entity(VOICE_LINE, "Remaining data")
    state = home_assistant.wait_for_state(remaining, _number, "to show a number")
    assert _number(state) == pytest.approx(VOICE_LINE_REMAINING, abs=0.01)
    assert state["attributes"]["unit_of_measurement"] == "GiB"
    assert state["attributes"]["device_class"] == "data_size"

    carried = home_assistant.state(home_assistant.sim_entity(VOICE_LINE, "Carried-over data"))
    assert _number(carried) == pytest.approx(4.56, abs=0.01)
    days_left = home_assistant.state(home_assistant.sim_entity(VOICE_LINE, "Days left"))
    assert _number(days_left) is not None
    assert 1 <= float(days_left["state"]) <= 31
    # Three lines on the account, each its own device with a remaining-data sensor.
    for line in ("(5678)", "(4321)", "(0002)"):
        sensor = home_assistant.sim_entity(line, "Remaining data")
        assert _number(home_assistant.state(sensor)) is not None


def test_iijmio_reauth_after_password_change(
    home_assistant: RunningHomeAssistant, iijmio_entry: str, replay: ReplayProcess
) -> None:
    """IIJmio refuses the stored password: a reauth flow, unavailable entities; then fixed."""
    client = home_assistant.client
    remaining = home_assistant.sim_entity(VOICE_LINE, "Remaining data")
    home_assistant.wait_for_state(remaining, _number, "to show a number")

    new_password = "changed-on-the-website-7"
    replay.control("password", {"password": new_password})
    try:
        _refresh(home_assistant, remaining)
        home_assistant.wait_for_state(
            remaining, lambda state: state["state"] == "unavailable", "to become unavailable"
        )
        reauth = [
            flow
            for flow in client.flows_in_progress()
            if flow["handler"] == "japan_sim_data" and flow["context"]["source"] == "reauth"
        ]
        assert len(reauth) == 1, client.flows_in_progress()
        assert reauth[0]["context"]["entry_id"] == iijmio_entry
        assert reauth[0]["step_id"] == "reauth_confirm"

        # The user types the new password into the reauth form.
        wrong = client.flow_step(reauth[0]["flow_id"], {"password": MIO_PASSWORD})
        assert wrong["type"] == "form"
        assert wrong["errors"] == {"base": "invalid_auth"}
        done = client.flow_step(reauth[0]["flow_id"], {"password": new_password})
        assert (done["type"], done["reason"]) == ("abort", "reauth_successful"), done
        state = home_assistant.wait_for_state(remaining, _number, "to show a number again")
        assert _number(state) == pytest.approx(VOICE_LINE_REMAINING, abs=0.01)
        assert not [
            flow for flow in client.flows_in_progress() if flow["handler"] == "japan_sim_data"
        ]
    finally:
        # Leave the account as other tests expect it, whatever happened above.
        replay.control("password", {"password": new_password})


def test_tracker_follows_an_incoming_sms(home_assistant: RunningHomeAssistant) -> None:
    """A plan-tracker SIM's remaining data changes when a carrier SMS event arrives."""
    client = home_assistant.client
    menu = client.start_flow()
    if "tracker" not in menu["menu_options"]:
        client.request("DELETE", f"/api/config/config_entries/flow/{menu['flow_id']}")
        pytest.skip("the config flow has no 'tracker' menu option yet (plan tracker, issue 9)")
    form = client.flow_step(menu["flow_id"], {"next_step_id": "tracker"})
    assert form["step_id"] == "tracker", form
    plan = client.flow_step(form["flow_id"], {"name": "E2E eSIM", "tracked_carrier": "docomo"})
    assert plan["step_id"] == "tracker_plan", plan
    monthly = client.flow_step(form["flow_id"], {"allowance": 3, "plan_shape": "monthly"})
    assert monthly["step_id"] == "tracker_monthly", monthly
    sources = client.flow_step(form["flow_id"], {"reset_day": 1})
    assert sources["step_id"] == "tracker_sources", sources
    # docomo's own filter (its e-mail domain) would refuse an SMS: name the SMS sender instead.
    created = client.flow_step(
        form["flow_id"],
        {"notice_events": ["sms.incoming_sms"], "notice_senders": ["+81 120-800-000"]},
    )
    assert created["type"] == "create_entry", created
    assert created["result"]["state"] == "loaded", created

    remaining = home_assistant.sim_entity("E2E eSIM", "Remaining data")
    # Added mid-period with no usage source: how much is left is not known yet (never 0).
    assert home_assistant.state(remaining)["state"] == "unknown"

    # As the former core Gammu integration (and its community ports) fired it.
    client.post(
        "/api/events/sms.incoming_sms",
        {
            "phone": "+81120800000",
            "date": "2026-11-25 12:34:56",
            "text": "ご利用可能なデータ量の残りが1.5GBになりました。",
        },
    )
    state = home_assistant.wait_for_state(remaining, _number, "to follow the SMS")
    assert _number(state) == pytest.approx(1.5, abs=0.01)
    assert state["attributes"]["unit_of_measurement"] == "GiB"

    # A later notice, in full-width digits, lowers it again.
    client.post(
        "/api/events/sms.incoming_sms",
        {
            "phone": "+81120800000",
            "date": "2026-11-25 18:00:00",
            "text": "残りデータ量は５１２ＭＢです",
        },
    )
    state = home_assistant.wait_for_state(
        remaining, lambda state: _number(state) == pytest.approx(0.5), "to follow the next SMS"
    )

    # An unrelated message, and a forged one from another number, change nothing.
    client.post(
        "/api/events/sms.incoming_sms",
        {"phone": "+8180", "date": "2026-11-25 12:41:00", "text": "残りデータ量は100GBです"},
    )
    client.post(
        "/api/events/sms.incoming_sms",
        {"phone": "+8190", "date": "2026-11-25 12:40:00", "text": "明日の待ち合わせ、10時でいい？"},
    )
    assert _number(home_assistant.state(remaining)) == pytest.approx(0.5)


def test_tracker_asks_by_sms_and_reads_the_reply(home_assistant: RunningHomeAssistant) -> None:
    """A tracked SIM asks through a script standing in for a modem; the reply sets the figure.

    The script (tests/e2e/harness.py) answers only the exact message and number set here, as
    an ``sms.incoming_sms`` event from a placeholder carrier number.
    """
    client = home_assistant.client
    menu = client.start_flow()
    form = client.flow_step(menu["flow_id"], {"next_step_id": "tracker"})
    plan = client.flow_step(form["flow_id"], {"name": "E2E SMS SIM", "tracked_carrier": "other"})
    monthly = client.flow_step(plan["flow_id"], {"allowance": 3, "plan_shape": "monthly"})
    sources = client.flow_step(monthly["flow_id"], {"reset_day": 1})
    assert sources["step_id"] == "tracker_sources", sources
    created = client.flow_step(
        sources["flow_id"],
        {"notice_events": ["sms.incoming_sms"], "notice_senders": ["0120-000-000"]},
    )
    assert created["type"] == "create_entry", created
    entry_id = created["result"]["entry_id"]
    remaining = home_assistant.sim_entity("E2E SMS SIM", "Remaining data")
    assert home_assistant.state(remaining)["state"] == "unknown"

    # Options → SMS inquiry: an action that does not exist is refused; the script is offered.
    options = client.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    assert "inquiry" in options["menu_options"], options
    form = client.post(
        f"/api/config/config_entries/options/flow/{options['flow_id']}",
        {"next_step_id": "inquiry"},
    )
    assert form["step_id"] == "inquiry", form
    action_field = next(f for f in form["data_schema"] if f["name"] == "inquiry_action")
    assert "script.e2e_modem_send_sms" in action_field["selector"]["select"]["options"]
    inquiry = {
        "inquiry_recipient": "0120-000-000",
        "inquiry_message": "ZANRYO",
        "inquiry_stale_hours": 1,
        "inquiry_recipient_field": "target",
        "inquiry_message_field": "message",
    }
    refused = client.post(
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {**inquiry, "inquiry_action": "notify.no_such_modem"},
    )
    assert refused["errors"] == {"inquiry_action": "inquiry_action_not_found"}, refused
    saved = client.post(
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {**inquiry, "inquiry_action": "script.e2e_modem_send_sms"},
    )
    assert saved["type"] == "create_entry", saved

    # The entry reloads; with no figure yet, the inquiry is due at once and the reply is read.
    state = home_assistant.wait_for_state(
        remaining, lambda state: _number(state) is not None, "to follow the inquiry's reply"
    )
    assert _number(state) == pytest.approx(2.5, abs=0.01)
    last_inquiry = home_assistant.sim_entity("E2E SMS SIM", "Last inquiry")
    asked = home_assistant.wait_for_state(
        last_inquiry, lambda state: state["attributes"].get("replied") is True, "to say replied"
    )
    assert asked["attributes"]["device_class"] == "timestamp"
    script = home_assistant.state("script.e2e_modem_send_sms")
    assert script["attributes"]["last_triggered"] is not None

    # Asked again at once (a double press): refused in words, and nothing is sent.
    refused_refresh = client.request(
        "POST",
        "/api/services/japan_sim_data/refresh",
        {"config_entry_id": entry_id},
        expect=(400, 500),
    )
    assert "SMS inquiry" in str(refused_refresh), refused_refresh
    after = home_assistant.state("script.e2e_modem_send_sms")
    assert after["attributes"]["last_triggered"] == script["attributes"]["last_triggered"]
