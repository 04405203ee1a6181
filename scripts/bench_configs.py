"""The configurations scripts/bench.py runs: the base every instance shares, and the two peers.

Both peers are core ``rest`` as a user writes it by hand, against the same replay:

- ``rest``: one resource, three template sensors per line (remaining, carried over, allowance);
- ``peer``: the same figures Japan SIM Data shows on this account, written out as ten template
  sensors and two template binary sensors per line (see ``peer_yaml``).
"""

from __future__ import annotations

import json
from typing import Final

ACCOUNT_LINES: Final = 20
"""The most lines Japan SIM Data reads on one account (carriers/base.py MAX_LINES_PER_ACCOUNT):
more lines are more accounts, each with its own login, as a household with many lines has."""
LOGIN: Final = "mio-sentinel-user+{account}@example.com"
PASSWORD: Final = "sentinel-password-42"


def accounts(lines: int) -> list[range]:
    """The lines (numbered across accounts) of each account of a ``lines``-line benchmark."""
    return [
        range(first, min(first + ACCOUNT_LINES, lines)) for first in range(0, lines, ACCOUNT_LINES)
    ]


def session(kind: str, account: int) -> str:
    """The session cookie a peer is given for an account: `rest` cannot log in by itself.

    One per peer, so that the replay counts their requests apart ("bench-<kind>-...").
    """
    return f"bench-{kind}-session-{account}"


CONFIGURATION: Final = """\
# Written by scripts/bench.py.
homeassistant:
  name: Bench
  time_zone: Asia/Tokyo
  country: JP
  currency: JPY
  unit_system: metric
  language: en
frontend:
config:
api:
# As in every real installation: SQLite in the config directory, the default commit interval.
recorder:
logger:
  default: warning
bench_probe:
"""

PEER_SENSORS: Final = 10
PEER_BINARY_SENSORS: Final = 2


def _resource(url: str, kind: str, account: int) -> list[str]:
    return [
        f"  - resource: {url}/api/member/top",
        "    method: POST",
        "    headers:",
        f'      Cookie: "session={session(kind, account)}"',
        "      Content-Type: application/json",
        "    payload: '{}'",
        "    scan_interval: 1800",
    ]


def _entry(name: str, template: str, *extra: str) -> list[str]:
    # JSON strings are YAML strings: no escaping rules of our own for the templates' quotes.
    return [
        f"      - name: {name}",
        *(f"        {line}" for line in extra),
        f"        value_template: {json.dumps(template, ensure_ascii=False)}",
    ]


def rest_yaml(url: str, lines: int) -> str:
    """What a user writes for the three figures they look at: a rest resource per account."""
    out = ["rest:"]
    for account, numbers in enumerate(accounts(lines)):
        out += [*_resource(url, "rest", account), "    sensor:"]
        for index, line in enumerate(numbers):
            path = f"value_json.serviceInfoList[{index}]"
            for name, template in (
                ("remaining", f"{path}.couponData | sum(attribute='couponValue')"),
                ("carried over", f"{path}.couponData[0].couponValue"),
                ("allowance", f"{path}.totalCapacity"),
            ):
                out += _entry(
                    f"Line {line} {name}",
                    f"{{{{ {template} }}}}",
                    "unit_of_measurement: GB",
                    "device_class: data_size",
                )
    return "\n".join(out) + "\n"


def _figures(line: int, *names: str) -> str:
    """Jinja that sets what a template's figure is derived from, and only that.

    Every template stands alone (a rest template sees the answer, not its sibling entities):
    ``s`` the line, ``remaining`` in GiB, ``ends`` the day the soonest coupon expires (the
    last day of its month, as the integration reads IIJmio's "month"), ``days`` the calendar
    days it can still be used (today counts).
    """
    out = f"{{% set s = value_json.serviceInfoList[{line}] %}}"
    if "remaining" in names:
        out += (
            "{% set remaining = s.couponData | map(attribute='couponValue') | map('float') | sum %}"
        )
    if "days" in names:
        out += (
            "{% set m = s.couponData | map(attribute='month') | min %}"
            "{% set ends = (((m[:4] ~ '-' ~ m[4:] ~ '-28') | as_datetime + timedelta(days=4))"
            ".replace(day=1) - timedelta(days=1)).date() %}"
            "{% set days = (ends - now().date()).days + 1 %}"
        )
    return out


def peer_yaml(url: str, lines: int) -> str:
    """The figures Japan SIM Data shows for each line, written by hand with core ``rest``.

    Ten sensors (remaining, monthly allowance, this period's data, carried over, used this
    period, days left, daily budget, data expires, data resets on, plan) and two binary
    sensors (low data at 1 GB, data expiring within 3 days: the integration's defaults), with
    the integration's units, device and state classes. The integration's two figures that
    need a history (Used today, Runs out on) and Throttled (unknown on the member site) have
    no hand-written equivalent. Used this period, unknown in the integration on the member
    site, is written as a user would: the allowance less this period's data left.
    """
    out = ["rest:"]
    for account, numbers in enumerate(accounts(lines)):
        sensors: list[str] = []
        binary: list[str] = []
        for index, line in enumerate(numbers):
            line_sensors, line_binary = _peer_line(index, line)
            sensors += line_sensors
            binary += line_binary
        out += [*_resource(url, "peer", account), "    sensor:", *sensors]
        out += ["    binary_sensor:", *binary]
    return "\n".join(out) + "\n"


def _peer_line(index: int, line: int) -> tuple[list[str], list[str]]:
    """One line's sensors and binary sensors; ``index`` is its place in its account's answer."""
    gib = ("unit_of_measurement: GiB", "device_class: data_size")
    measurement = "state_class: measurement"
    problem = "device_class: problem"
    sensors: list[str] = []
    binary: list[str] = []
    name = f"Line {line}"
    both = _figures(index, "remaining", "days")
    line_only = _figures(index)
    sensors += [
        *_entry(
            f"{name} remaining data",
            _figures(index, "remaining") + "{{ remaining | round(2) }}",
            *gib,
            measurement,
        ),
        *_entry(f"{name} monthly data allowance", line_only + "{{ s.totalCapacity }}", *gib),
        *_entry(
            f"{name} this period's data", line_only + "{{ s.couponData[1].couponValue }}", *gib
        ),
        *_entry(f"{name} carried-over data", line_only + "{{ s.couponData[0].couponValue }}", *gib),
        *_entry(
            f"{name} used this period",
            line_only + "{{ (s.totalCapacity | float"
            " - s.couponData[1].couponValue | float) | round(2) }}",
            *gib,
            measurement,
        ),
        *_entry(
            f"{name} days left",
            _figures(index, "days") + "{{ days }}",
            "unit_of_measurement: d",
            "device_class: duration",
            measurement,
        ),
        # MiB to two significant figures, rounded down: the integration's daily budget.
        *_entry(
            f"{name} daily budget",
            both + "{% set mib = (remaining * 1024 / days) | round(0, 'floor') | int %}"
            "{% set step = 10 ** ([0, (mib | string | length) - 2] | max) %}"
            "{{ mib // step * step }}",
            "unit_of_measurement: MiB",
            "device_class: data_size",
            measurement,
        ),
        *_entry(
            f"{name} data expires",
            _figures(index, "days") + "{{ ends.isoformat() }}",
            "device_class: date",
        ),
        *_entry(
            f"{name} data resets on",
            "{{ (now().replace(day=28) + timedelta(days=4)).replace(day=1).date().isoformat() }}",
            "device_class: date",
        ),
        *_entry(f"{name} plan", line_only + "{{ s.planName }}"),
    ]
    binary += [
        *_entry(f"{name} low data", _figures(index, "remaining") + "{{ remaining <= 1 }}", problem),
        *_entry(f"{name} data expiring soon", both + "{{ remaining > 0 and days <= 3 }}", problem),
    ]
    return sensors, binary
