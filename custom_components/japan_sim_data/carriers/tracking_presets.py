"""What is usual for each brand a plan tracker follows, as suggestions the user can change.

Per brand: the senders of its data notices, the shapes of those notices, when its allowance
renews, and its ordinary plan sizes and price steps. Every value names the public page it was
read from and when (``Source``); pages the search tools could not find are not guessed: the
value is left out (None or empty) and a comment says so. Most pages are third-party write-ups
of the carrier's plan (``official=False``); carriers change plans, so these are only the
form's starting values, never figures.

Sizes are in bytes with GB as carriers count them (1 GB = 1024 MB, as ``units`` reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from .units import GIB, MIB


@dataclass(frozen=True, slots=True)
class Source:
    """A public page a value was read from."""

    url: str
    read: date
    """The day the page was read (through the project's search tools)."""
    official: bool = False
    """True for the carrier's own page; False for a third party's account of it."""


class ResetRule(StrEnum):
    """How a brand's allowance renews."""

    MONTHLY = "monthly"
    """A new allowance every month, on a day of the month (the billing cycle's first)."""
    VALIDITY = "validity"
    """One allowance valid for a number of days from purchase (travel SIMs, top-ups)."""


class NoticeStatement(StrEnum):
    """What a data notice states."""

    REMAINING = "remaining"
    """Data left crossed a threshold: 「データ量残り〇〇MB」."""
    EXCEEDED = "exceeded"
    """Use passed an amount or the allowance ran out: a lower bound on use, not data left."""


@dataclass(frozen=True, slots=True)
class NoticeShape:
    """How a brand's data notice reads, and when it is sent."""

    channel: str
    """"email" or "sms"."""
    kind: NoticeStatement
    shape: str
    """The wording's shape as the source gives it (〇〇 for the amount), not a full text."""
    thresholds: tuple[int, ...]
    """Bytes at which it is sent (data left for REMAINING); empty when the source names none."""
    source: Source


@dataclass(frozen=True, slots=True)
class PlanSize:
    """One ordinary plan of a brand."""

    name: str
    """The plan's name as the carrier writes it."""
    allowance: int | None
    """Bytes of data per period before throttling; None for a plan without a cap."""
    price_steps: tuple[int, ...] = ()
    """Bytes of use at which the month's price goes up (a tiered plan), in order."""
    days: int | None = None
    """Days the allowance lasts, for a VALIDITY brand's plan."""

    @property
    def gigabytes(self) -> float | None:
        """The allowance in GB as carriers count them, for the plan form."""
        return None if self.allowance is None else self.allowance / GIB


@dataclass(frozen=True, slots=True)
class CarrierPreset:
    """The usual facts of one brand, each with its source; None or empty when not known."""

    reset: ResetRule
    reset_day: int | None
    """Day of the month a MONTHLY allowance renews; None when it depends on the contract."""
    reset_source: Source
    plans: tuple[PlanSize, ...] = ()
    plans_source: Source | None = None
    notices: tuple[NoticeShape, ...] = ()
    senders: tuple[str, ...] = ()
    """Who sends the data notices (a domain, an address or a number), for the sender filter."""
    suggested: str | None = None
    """The plan the form starts from (a brand with one ordinary plan); None: the user's."""

    @property
    def suggested_plan(self) -> PlanSize | None:
        """The plan named ``suggested``."""
        return next((plan for plan in self.plans if plan.name == self.suggested), None)


_READ: Final = date(2026, 12, 6)


def _gb(amount: float) -> int:
    return round(amount * GIB)


# docomo's data notices: the opt-in データ量到達通知サービス e-mails
# 「データ量残り〇〇MBのお知らせ」 at amounts docomo chooses (the user cannot set them).
_DOCOMO_NOTICE: Final = NoticeShape(
    channel="email",
    kind=NoticeStatement.REMAINING,
    shape="データ量残り〇〇MBのお知らせ",
    thresholds=(),  # the amounts are docomo's and the source does not list them
    source=Source("https://novlog.me/nw/docomo-data-volume-arrival/", _READ),
)
# docomo slows a line "until the month's end" once its allowance is used (2018 account of
# docomo's throttling mail): the allowance renews on the 1st.
_DOCOMO_MONTH: Final = Source("http://www.gapsis.jp/2018/03/jougen-toutatsu-mail.html", _READ)
# ASSUMPTIONS: the sender of docomo's data notices, DoCoMo@docomo-bill.ne.jp, per
# https://www.koregasiritai.com/docomo-bill-ne-jp-mail/ (a third-party page, unconfirmed by
# docomo). Not docomo.ne.jp: every docomo customer's own mail is sent from it. irumo and
# eximo are docomo's own plans and share it; ahamo is a brand of its own whose notice sender
# no page read names. No public page found names any other brand's sender: theirs start empty.
_DOCOMO_SENDERS: Final = ("docomo-bill.ne.jp",)

PRESETS: Final[Mapping[str, CarrierPreset]] = {
    # docomo's own plans are eximo and irumo (below); no plan sizes under the docomo name.
    "docomo": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=1,
        reset_source=_DOCOMO_MONTH,
        notices=(_DOCOMO_NOTICE,),
        senders=_DOCOMO_SENDERS,
    ),
    # ahamo: 30 GB a month; 大盛り adds data up to 110 GB. Renews every month (2025 account).
    "ahamo": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=1,
        reset_source=Source(
            "https://services.awaisora.com/2025/10/08/69087583-d207-471d-9d68-c27894209c24", _READ
        ),
        plans=(PlanSize("ahamo", _gb(30)),),
        suggested="ahamo",
        plans_source=Source(
            "https://lifestyle.assist-all.co.jp/ahamo-plan-guide-fee-data-call-overseas", _READ
        ),
    ),
    # irumo: 0.5, 3, 6 or 9 GB; what is left is lost at the month's end.
    "irumo": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=1,
        reset_source=Source("https://masamobile.co.jp/irumo/share-pack", _READ),
        plans=(
            PlanSize("irumo 0.5GB", _gb(0.5)),
            PlanSize("irumo 3GB", _gb(3)),
            PlanSize("irumo 6GB", _gb(6)),
            PlanSize("irumo 9GB", _gb(9)),
        ),
        plans_source=Source("https://masamobile.co.jp/irumo/share-pack", _READ),
        notices=(_DOCOMO_NOTICE,),
        senders=_DOCOMO_SENDERS,
    ),
    # eximo: no cap, a price that rises in three steps from 1 GB ("1GB~ギガ無制限"). The
    # step amounts after the first are not on the pages read: the steps are left out.
    "eximo": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=1,
        reset_source=_DOCOMO_MONTH,
        plans=(PlanSize("eximo", None),),
        plans_source=Source(
            "https://nttdocomo-ssw.com/nssw/dhkr/ouchinetpress/communication/article634", _READ
        ),
        notices=(_DOCOMO_NOTICE,),
        senders=_DOCOMO_SENDERS,
    ),
    # au: スマホミニプラン, price steps at 1, 2 and 3 GB, slowed "until the month's end" past
    # 4 GB (2023-01-10). The other plans' sizes (使い放題MAX…) are not on the pages read: left
    # out, and nothing is suggested. No page read names au's notice sender.
    "au": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=1,
        reset_source=Source("https://news.mynavi.jp/article/20230110-2559236/", _READ),
        plans=(PlanSize("スマホミニプラン", _gb(4), (_gb(1), _gb(2), _gb(3))),),
        plans_source=Source("https://news.mynavi.jp/article/20230110-2559236/", _READ),
    ),
    # UQ mobile: ミニミニプラン 4 GB (announced 2023-05-23). The sizes of トクトクプラン and
    # コミコミプラン and UQ's reset day are not on the pages read: left out; the day is the user's.
    "uq_mobile": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=None,
        reset_source=Source("https://kakuyasusumaho-manual.com/uqmobile-minimini-plan/", _READ),
        plans=(PlanSize("ミニミニプラン", _gb(4)),),
        plans_source=Source("https://kakuyasusumaho-manual.com/uqmobile-minimini-plan/", _READ),
    ),
    # povo 2.0: toppings, each valid for its own days from purchase (300GB / 90日 as one
    # example). povo e-mails the au ID address when the month's and added data left falls to
    # 500 MB and to 100 MB (povo's topping page, quoted for povo 1.0).
    "povo": CarrierPreset(
        reset=ResetRule.VALIDITY,
        reset_day=None,
        reset_source=Source("https://gadget.awaisora.com/?p=116273", _READ),
        notices=(
            NoticeShape(
                channel="email",
                kind=NoticeStatement.REMAINING,
                shape="データ残容量が500MB、100MB以下になった場合…お知らせします",
                thresholds=(500 * MIB, 100 * MIB),
                source=Source("https://king.mineo.jp/reports/136325", _READ),
            ),
        ),
    ),
    # Rakuten Mobile: Rakuten最強プラン has no cap; the price steps at 3 GB and 20 GB of a
    # month's use. The day the month starts is not on the page read: the user's.
    "rakuten_mobile": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=None,
        reset_source=Source(
            "https://k-tai.watch.impress.co.jp/docs/column/value/1501281.html", _READ
        ),
        plans=(PlanSize("Rakuten最強プラン", None, (_gb(3), _gb(20))),),
        suggested="Rakuten最強プラン",
        plans_source=Source(
            "https://k-tai.watch.impress.co.jp/docs/column/value/1501281.html", _READ
        ),
    ),
    # SoftBank: the allowance renews after the billing cycle closes, on the 11th, 21st or 1st
    # by contract: the day is the user's. ミニフィットプラン+ steps at 1 and 2 GB, cap 3 GB.
    # SoftBank sends an SMS before throttling, at 200 MB left on current plans.
    "softbank": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=None,
        reset_source=Source("https://kotonova.com/918", _READ),
        plans=(PlanSize("ミニフィットプラン+", _gb(3), (_gb(1), _gb(2))),),
        plans_source=Source("https://mobile-norikae.com/minifit-plan-plus-guide/", _READ),
        notices=(
            NoticeShape(
                channel="sms",
                kind=NoticeStatement.REMAINING,
                shape="残り200MBになります",
                thresholds=(200 * MIB,),
                source=Source("https://leadtofuture.com/1235.html", _READ),
            ),
        ),
    ),
    # LINEMO: ベストプラン, price step at 3 GB, slowed past 10 GB until the month's end; LINEMO
    # sends an SMS when a plan's data is used up (2025-06-30 account).
    "linemo": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=1,
        reset_source=Source("https://syachu.net/2025063001", _READ),
        plans=(PlanSize("ベストプラン", _gb(10), (_gb(3),)),),
        suggested="ベストプラン",
        plans_source=Source("https://kotomobile.jp/?p=2364", _READ),
        notices=(
            NoticeShape(
                channel="sms",
                kind=NoticeStatement.EXCEEDED,
                shape="〇〇GBを使い切った",
                thresholds=(),
                source=Source("https://syachu.net/2025063001", _READ),
            ),
        ),
    ),
    # Y!mobile: シンプル2 S / M / L, 4 / 20 / 30 GB, slowed until the month's end (Y!mobile's
    # own page). Its reset day follows the SoftBank billing cycle (carriers.md): the user's.
    "ymobile": CarrierPreset(
        reset=ResetRule.MONTHLY,
        reset_day=None,
        reset_source=Source("https://kotonova.com/918", _READ),
        plans=(
            PlanSize("シンプル2 S", _gb(4)),
            PlanSize("シンプル2 M", _gb(20)),
            PlanSize("シンプル2 L", _gb(30)),
        ),
        plans_source=Source(
            "https://www.ymobile.jp/jusetsu/mvno2/jusetsu04/", _READ, official=True
        ),
    ),
    # Travel SIMs: one allowance for a number of days, e.g. b-mobile VISITOR SIM 5GB / 21 Days
    # (its own page). b-mobile's 500 MB-left e-mail is named in carriers.md but no page read
    # states it: no notice shape here.
    "travel": CarrierPreset(
        reset=ResetRule.VALIDITY,
        reset_day=None,
        reset_source=Source(
            "https://www.bmobile.ne.jp/english/note_un_m.html", _READ, official=True
        ),
        plans=(PlanSize("VISITOR SIM 5GB / 21Days", _gb(5), days=21),),
        suggested="VISITOR SIM 5GB / 21Days",
        plans_source=Source(
            "https://www.bmobile.ne.jp/english/note_un_m.html", _READ, official=True
        ),
    ),
}
"""Presets by tracked brand (the keys of ``const.TRACKED_CARRIERS``); others have none."""


def preset_for(brand: str | None) -> CarrierPreset | None:
    """The preset of a tracked brand; None for a brand without one (IIJmio, mineo, other)."""
    return PRESETS.get(brand or "")


def official_senders(brand: str | None) -> list[str]:
    """The default sender filter of a tracked brand (empty when none is known)."""
    preset = preset_for(brand)
    return list(preset.senders) if preset is not None else []
