"""Sender checks per source, without Home Assistant.

Shapes: the companion app's notification sensor puts the posting app in ``package`` and the
title in ``android.title`` (home-assistant/android, NotificationSensorManager.kt); Home
Assistant's imap integration gives ``headers`` as each header name with a tuple of its values
(homeassistant/components/imap/coordinator.py, ``ImapMessage.headers``).
"""

from __future__ import annotations

import pytest

from custom_components.japan_sim_data.carriers.tracking_senders import (
    SMS_APP_PACKAGES,
    SenderFilter,
    mail_failed_authentication,
)

MESSAGES = "com.google.android.apps.messaging"
GMAIL = "com.google.android.gm"
LINE = "jp.naver.line.android"


def test_entries_are_sorted_by_shape() -> None:
    sender_filter = SenderFilter.of(
        ["DoCoMo@docomo-bill.ne.jp", "docomo-bill.ne.jp", "151", "jp.co.example.sms_app", " "]
    )
    assert sender_filter.addresses == {"docomo@docomo-bill.ne.jp"}
    assert sender_filter.domains == {"docomo-bill.ne.jp"}
    assert sender_filter.names == {"151"}
    assert sender_filter.packages == {"jp.co.example.sms_app"}
    assert sender_filter.checks_mail
    # A package shaped like a domain is both: each source reads its own.
    both = SenderFilter.of(["com.example.sms"])
    assert both.domains == both.packages == {"com.example.sms"}
    assert not SenderFilter.of(["151"]).checks_mail


@pytest.mark.parametrize(
    ("entries", "title", "package", "accepted"),
    [
        # The title alone proves nothing: Gmail or LINE may title a notification "docomo".
        (["docomo"], "docomo", GMAIL, False),
        (["docomo"], "docomo", LINE, False),
        # The SMS app's notification with the carrier's title is read.
        (["docomo"], "docomo", MESSAGES, True),
        (["docomo"], "ＤＯＣＯＭＯ", "com.samsung.android.messaging", True),
        (["docomo"], "mother", MESSAGES, False),
        (["docomo"], None, MESSAGES, False),
        # An app the user names is read like an SMS app.
        (["docomo", LINE], "docomo", LINE, True),
        # Only the app named: its every notification passes the sender check.
        (["jp.co.example.sms_app"], "anything", "jp.co.example.sms_app", True),
        # An e-mail domain names no app: a notification cannot pass it.
        (["docomo-bill.ne.jp"], "docomo", MESSAGES, False),
        # An emptied filter reads everything.
        ([], "x", GMAIL, True),
    ],
)
def test_notifications_are_judged_by_the_posting_app_and_the_title(
    entries: list[str], title: str | None, package: str, accepted: bool
) -> None:
    assert SenderFilter.of(entries).accepts_notification(title, package) is accepted


def test_the_sms_apps_are_the_three_known_ones() -> None:
    assert MESSAGES in SMS_APP_PACKAGES
    assert GMAIL not in SMS_APP_PACKAGES
    assert LINE not in SMS_APP_PACKAGES


_PASS = "mx.example.com; dkim=pass header.d=docomo-bill.ne.jp; spf=pass; dmarc=pass"


@pytest.mark.parametrize(
    ("headers", "failed"),
    [
        ({"Authentication-Results": (_PASS,)}, False),
        ({"Authentication-Results": ("mx.example.com; spf=fail; dmarc=fail (p=REJECT)",)}, True),
        ({"authentication-results": ["mx; dmarc=fail"]}, True),
        # DMARC decides when it was evaluated: a forward that breaks SPF but keeps DKIM passes.
        ({"Authentication-Results": ("mx; spf=softfail; dkim=pass; dmarc=pass",)}, False),
        # Without DMARC, SPF's failure counts, soft or hard.
        ({"Authentication-Results": ("mx; spf=softfail smtp.mailfrom=x",)}, True),
        ({"Received-SPF": ("fail (domain does not designate 192.0.2.1)",)}, True),
        ({"Received-SPF": ("pass (domain designates 192.0.2.1)",)}, False),
        # Two results, one of them a failure (a forger can only add passes).
        ({"Authentication-Results": (_PASS, "mx2; dmarc=fail")}, True),
        ({"Subject": ("残り1GB",)}, False),
        ({"Authentication-Results": "mx; dmarc=fail"}, True),
        ({"Authentication-Results": 5, 7: ("dmarc=fail",)}, False),
        ({"Authentication-Results": (None, "mx; spf=pass")}, False),
        (None, False),
        ("dmarc=fail", False),
    ],
)
def test_mail_authentication_results(headers: object, failed: bool) -> None:
    assert mail_failed_authentication(headers) is failed
