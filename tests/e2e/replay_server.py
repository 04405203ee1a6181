"""The IIJmio and mineo replays (tests/carriers/) as one process, for a real Home Assistant.

``python -m tests.e2e.replay_server --port N`` serves on 127.0.0.1 two IIJmio accounts:

- the member-site account (MIO_ID of tests/carriers/iijmio_replay.py): IIJmio's member-site
  routes, with the fixture's coupon months moved to this month and the next (so the data is
  current); the app API answers its login with 404, so its adapter falls back to the member site;
- the history account (HISTORY_LOGIN): the My IIJmio app API only, one line whose daily use
  (this month's days in /pastDataTraffic, the last seven in /dataTraffic) is made for today's
  date by ``DailyHistory``, shaped like tests/fixtures/iijmio/app_*.json (see that folder's
  README.md for the public client each shape follows);

plus control routes the tests use:

- ``POST /_e2e/state``: ``{"logins": n, "password": ...}`` of the member-site account;
- ``POST /_e2e/password`` ``{"password": "..."}``: the member-site account's password changes
  and every session ends, as when the user changes the password on IIJmio's site;
- ``POST /_e2e/history``: the history account's days as served, ``{"days": {"YYYY-MM-DD":
  "<MB>"}}`` (today's included), and ``{"day": ..., "mb": ...}`` corrects one day first, as
  IIJmio does when late traffic is counted;
- mineo's routes and its control routes (see ``add_mineo``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from tests.carriers.iijmio_replay import IijmioReplay
from tests.carriers.mineo_replay import MineoReplay
from tests.helpers import load_json_fixture

# The fixture (tests/fixtures/iijmio/member_top.json) is written for November 2025: coupons of
# 202511 (carried over, expiring this month) and 202512 (this month's allowance).
_FIXTURE_MONTHS = ("202511", "202512")
TOKYO: Final = ZoneInfo("Asia/Tokyo")

HISTORY_LOGIN: Final = "mio-history-user@example.com"
HISTORY_PASSWORD: Final = "history-password-7"
HISTORY_MIO_ID: Final = "MA0000002"
"""Not the member-site account's mioID: the two are separate accounts (separate entries)."""
HISTORY_SERVICE_CODE: Final = "hdc44444444"
HISTORY_TEL: Final = "080-0000-2468"
HISTORY_PLAN: Final = "ギガプラン 15GB"
_WEEKDAYS: Final = "月火水木金土日"
_RECENT_DAYS: Final = 7


def current_member_top(now: datetime) -> Any:
    """The fixture's payload with its coupon months moved to ``now``'s month and the next."""
    next_index = now.year * 12 + now.month  # the month after now's, counted from year 0
    months = (f"{now:%Y%m}", f"{next_index // 12:04d}{next_index % 12 + 1:02d}")
    text = json.dumps(load_json_fixture("iijmio/member_top.json"), ensure_ascii=False)
    for old, new in zip(_FIXTURE_MONTHS, months, strict=True):
        text = text.replace(f'"{old}"', f'"{new}"')
    return json.loads(text)


@dataclass
class DailyHistory:
    """The history account's line: a made-up figure for every day, current for ``today``."""

    corrections: dict[date, str] = field(default_factory=dict)

    def megabytes(self, day: date) -> str:
        """The day's high-speed use in MB as IIJmio writes it: a string, whole or with ".5"."""
        if (corrected := self.corrections.get(day)) is not None:
            return corrected
        # Uneven from day to day, the same on every run; more at weekends.
        spread = int(hashlib.sha256(day.isoformat().encode()).hexdigest()[:6], 16)
        weekend = 150 if day.weekday() >= 5 else 0
        whole = 60 + spread % 400 + weekend
        return f"{whole}.5" if spread % 3 == 0 else str(whole)

    def served(self, today: date) -> dict[date, str]:
        """Every day either answer holds: this month's up to yesterday, and the last seven."""
        days = [today.replace(day=number) for number in range(1, today.day)]
        days += [today - timedelta(days=back) for back in range(_RECENT_DAYS)]
        return {day: self.megabytes(day) for day in sorted(set(days))}

    def install(self, replay: IijmioReplay, today: date) -> None:
        """Give ``replay`` the app API's three answers for ``today``."""
        replay.line_info = {
            "statusCode": "200",
            "lineInfo": {"hdcList": [{**self._line(), "number": "01"}], "hddList": []},
        }
        replay.data_traffic = {"statusCode": "200", "dataTraffic": self._traffic(today)}
        replay.past_traffic = self._past(today)

    @staticmethod
    def _line() -> dict[str, Any]:
        return {
            "serviceCode": HISTORY_SERVICE_CODE,
            "lineServiceCode": "hdu44444444",
            "groupServiceCode": "",
            "planName": HISTORY_PLAN,
            "telNo": HISTORY_TEL,
        }

    def _traffic(self, today: date) -> dict[str, Any]:
        this_month, carried = "15.00", "2.10"
        following = today.replace(day=28) + timedelta(days=4)
        recent = [today - timedelta(days=back) for back in reversed(range(_RECENT_DAYS))]
        line = {
            **self._line(),
            "msIsdn": "8000002468",
            "couponValue": 17.1,
            "expireList": [
                {
                    "expireYear": str(today.year),
                    "expireMonth": str(today.month),
                    "remainingDataTraffic": carried,
                    "dataUnit": "GB",
                },
                {
                    "expireYear": str(following.year),
                    "expireMonth": str(following.month),
                    "remainingDataTraffic": this_month,
                    "dataUnit": "GB",
                },
            ],
            "thisMonthDataList": {
                "availableDataTraffic": "17.10",
                "availableDataTrafficUnit": "GB",
                "maxDataTraffic": 15,
                "maxDataTrafficUnit": "GB",
                "couponStatus": 1,
                "regulationStatus": 0,
                "dataShare": 0,
                "usePeriod": "1日-末日",
            },
            "lastSevenDaysDataList": {
                "lastSevenDays": "7日間",
                "lastSevenDaysDataHighUnit": "MB",
                "lastSevenDaysDataLowUnit": "MB",
                "dailyDataList": [
                    {
                        "month": str(day.month),
                        "date": str(day.day),
                        "dayOfWeek": _WEEKDAYS[day.weekday()],
                        "high": self.megabytes(day),
                        "low": "1",
                    }
                    for day in recent
                ],
            },
        }
        return {"hdcList": [line], "hddList": []}

    def _past(self, today: date) -> dict[str, Any]:
        days = [today.replace(day=number) for number in range(1, today.day)]
        used = sum(float(self.megabytes(day)) for day in [*days, today]) / 1024
        months = [(today.month - back - 1) % 12 + 1 for back in range(5)]
        return {
            "serviceCode": HISTORY_SERVICE_CODE,
            "statusCode": "200",
            "lastFiveMonthDataUnit": "GB",
            "lastFiveMonthInfo": [
                *({"month": str(month), "dataTraffic": "9.5"} for month in reversed(months[1:])),
                {"month": str(today.month), "dataTraffic": f"{used:.2f}"},
            ],
            "thisMonthInfo": {"month": str(today.month), "day": str(today.day)},
            "thisMonthDailyInfo": [
                {
                    "date": str(day.day),
                    "dayOfWeek": _WEEKDAYS[day.weekday()],
                    "dataTraffic": self.megabytes(day),
                    "dataTrafficUnit": "MB",
                }
                for day in days
            ],
        }


def build_app(replay: IijmioReplay, history: IijmioReplay | None = None) -> web.Application:
    """The replay's routes plus the control routes; with ``history``, that account's app API."""
    app = replay.app()
    if history is not None:
        add_history(app, history)

    async def state(request: web.Request) -> web.Response:
        return web.json_response({"logins": replay.logins, "password": replay.password})

    async def password(request: web.Request) -> web.Response:
        replay.password = (await request.json())["password"]
        replay.sessions.clear()
        return web.json_response({"password": replay.password})

    app.router.add_post("/_e2e/state", state)
    app.router.add_post("/_e2e/password", password)
    return app


def add_history(app: web.Application, replay: IijmioReplay) -> None:
    """The history account's app API, and its control route."""
    history = DailyHistory()
    history.install(replay, datetime.now(TOKYO).date())
    replay.add_app_api_routes(app)

    async def days(request: web.Request) -> web.Response:
        today = datetime.now(TOKYO).date()
        body = await request.json() if request.can_read_body else {}
        if body:
            history.corrections[date.fromisoformat(body["day"])] = str(body["mb"])
        history.install(replay, today)
        served = history.served(today)
        return web.json_response({"days": {day.isoformat(): mb for day, mb in served.items()}})

    app.router.add_post("/_e2e/history", days)


def add_mineo(app: web.Application, mineo: MineoReplay) -> None:
    """mineo's token endpoint and API on the same server, with their control routes.

    - ``POST /_e2e/mineo``: refresh-token uses, how many were distinct, spent ones reused;
    - ``POST /_e2e/mineo/expire``: every id_token handed out stops working (as after 24 h).
    """
    mineo.install(app)

    async def state(request: web.Request) -> web.Response:
        uses = mineo.refresh_uses
        return web.json_response(
            {"refresh_uses": len(uses), "distinct": len(set(uses)), "reused": mineo.reused}
        )

    async def expire(request: web.Request) -> web.Response:
        mineo.expire_id_tokens()
        return web.json_response({"expired": True})

    app.router.add_post("/_e2e/mineo", state)
    app.router.add_post("/_e2e/mineo/expire", expire)


def main() -> None:
    """Serve until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The member-site account's app API stays off (404): its adapter falls back to the member
    # site these tests drive. The history account answers on the app API alone.
    replay = IijmioReplay(top_payload=current_member_top(datetime.now(TOKYO)), app_api=False)
    history = IijmioReplay(
        login_id=HISTORY_LOGIN,
        password=HISTORY_PASSWORD,
        account_mio_id=HISTORY_MIO_ID,
        top_payload=None,
    )
    app = build_app(replay, history)
    add_mineo(app, MineoReplay())
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
