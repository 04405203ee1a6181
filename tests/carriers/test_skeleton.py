"""Skeletons of unreadable answers keep their shape and lose every personal value."""

from __future__ import annotations

import pytest

from custom_components.japan_sim_data.carriers.errors import CarrierParseError
from custom_components.japan_sim_data.carriers.skeleton import (
    MAX_ITEMS,
    describe,
    outline,
    reading,
)

PERSONAL = (
    "090-1234-5678",
    "09012345678",
    "someone@example.com",
    "hdc12345678",
    "eyJhbGciOiJIUzI1NiJ9",
    "山田太郎",
    "4.56",
)


def test_json_keeps_keys_types_and_lengths_only() -> None:
    payload = {
        "serviceInfoList": [
            {
                "serviceCode": "hdc12345678",
                "phoneNo": "090-1234-5678",
                "couponValue": 4.56,
                "dataShareExistence": True,
                "planName": "山田太郎",
                "hdc12345678": {"mail": "someone@example.com"},
                "someone@example.com": None,
                "token": "eyJhbGciOiJIUzI1NiJ9",
            }
        ],
        "count": 3,
    }
    skeleton = describe(payload)
    assert skeleton == {
        "serviceInfoList": [
            {
                "serviceCode": "str(11)",
                "phoneNo": "str(13)",
                "couponValue": "float",
                "dataShareExistence": "bool",
                "planName": "str(4)",
                "<key str(11)>": {"mail": "str(19)"},
                "<key str(19)>": "null",
                "token": "str(20)",
            }
        ],
        "count": "int",
    }
    assert not any(value in repr(skeleton) for value in PERSONAL)


def test_big_and_deep_answers_stay_small() -> None:
    deep: object = "leaf"
    for _ in range(100):
        deep = [deep]
    wide = {f"key{chr(97 + i % 26)}{i % 7}": i for i in range(200)}
    skeleton = describe({"deep": deep, "wide": wide, "list": list(range(500))})
    assert len(repr(skeleton)) < 5000
    assert skeleton["list"][-1] == f"… {500 - MAX_ITEMS} more items"
    assert "… " in repr(skeleton["deep"]) or "…" in repr(skeleton["deep"])


def test_a_page_becomes_its_tag_outline() -> None:
    page = (
        "<!DOCTYPE html><html><body><div class='list-toggle-content m-top-20' id='usage'>"
        "<table><tr><th>くりこし分</th><td>1.23GB</td></tr></table>"
        "<input type='hidden' name='mfiv' value='eyJhbGciOiJIUzI1NiJ9'>"
        "<span class='tel-09012345678'>090-1234-5678</span>"
        "<a href='mailto:someone@example.com'>someone@example.com</a></div></body></html>"
    )
    skeleton = describe(page)
    lines = skeleton["html"]
    assert '<div class="list-toggle-content m-top-20" id="usage">' in [
        line.strip() for line in lines
    ]
    assert any('<input type="hidden" name="mfiv">' in line for line in lines)
    assert any(line.strip() == "text(5)" for line in lines)
    assert not any(value in repr(skeleton) for value in PERSONAL)
    assert "1.23GB" not in repr(skeleton)


def test_outline_is_bounded() -> None:
    lines = outline("<p>x</p>" * 10_000)
    assert len(lines) <= 401
    assert lines[-1] == "…"


def test_reading_attaches_the_skeleton_once() -> None:
    with pytest.raises(CarrierParseError) as caught, reading({"a": "secret-value"}):
        raise CarrierParseError("unreadable")
    assert caught.value.skeleton == {"a": "str(12)"}

    with pytest.raises(CarrierParseError) as kept, reading({"outer": 1}):
        raise CarrierParseError("inner", skeleton={"inner": "int"})
    assert kept.value.skeleton == {"inner": "int"}

    with pytest.raises(ValueError, match="other"), reading({"a": 1}):
        raise ValueError("other")


@pytest.mark.parametrize(
    "key",
    [
        "12",  # a line number used as a key
        "090-1234-5678",
        "+81 90 1234 5678",
        "8981100012345678901",  # an ICCID
        "a1b2c3d4e5f6",  # a hex id
        "3f2a9c4e-1b7d-4e2f-9a0b-5c6d7e8f9a0b",  # a UUID
        "someone%40example.com",
        "someone＠example.com",
        "eyJhbGciOiJIUzI1NiJ9",  # a token
        "x9Kq2LmP7rTz4WvB",
    ],
)
def test_identifier_shaped_keys_are_redacted(key: str) -> None:
    skeleton = describe({key: 1, "planName": "x"})
    assert skeleton == {f"<key str({len(key)})>": "int", "planName": "str(1)"}


@pytest.mark.parametrize(
    "key",
    ["serviceInfoList", "couponValue", "data_share", "v2", "line1", "plan_kb", "deadlineDate"],
)
def test_structural_keys_are_kept(key: str) -> None:
    assert describe({key: None}) == {key: "null"}


def test_html_ids_and_names_keep_only_their_structure() -> None:
    page = (
        "<html><body>"
        "<div id='sim_1' class='card'><input name='line-2' type='hidden'></div>"
        "<div id='a1b2c3d4e5f6'></div>"
        "<input name='090-1234-5678'><input name='iccid8981100012345678901'>"
        "<form id='someone%40example.com'></form>"
        "</body></html>"
    )
    lines = [line.strip() for line in describe(page)["html"]]
    assert '<div id="sim_#" class="card">' in lines
    assert '<input name="line-#" type="hidden">' in lines
    assert lines.count("<div>") == 1
    assert lines.count("<input>") == 2
    assert "<form>" in lines
    for value in ("a1b2c3d4e5f6", "1234", "8981100012345678901", "example"):
        assert value not in repr(lines)
