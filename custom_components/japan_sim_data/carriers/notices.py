"""Read data figures out of carrier notices (SMS and e-mail) written in carrier Japanese.

SIMs without a usable carrier API (docomo, au, Rakuten, travel eSIMs) still tell their user
"残り500MB" or "速度制限中" by SMS or e-mail. These functions turn such a text into a reading
and ignore every other message (parcel notices, sign-in codes, adverts): a misread notice
would set a false figure, so a text is only a reading when a cue says what its amount means.

Every pattern, built-in or the user's own, runs on a bounded text with the ``regex`` engine's
time limit: a pattern that backtracks without end gives up instead of freezing its caller.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import regex

from .dates import TOKYO, end_of_day, is_plausible_day
from .errors import CarrierParseError
from .tracking_evidence import Evidence, NoticeKind
from .units import normalize_text, to_bytes, to_number
from .user_patterns import (
    MAX_TEXT_CHARS,
    USER_PATTERNS_BUDGET,
    Clock,
    PatternRun,
    matches_within,
)

# Notices are short; a long text is an e-mail with a footer or something hostile. Looking only
# at its beginning bounds the work any pattern can do.
MAX_NOTICE_CHARS: Final = MAX_TEXT_CHARS
# Seconds all the user's patterns together may spend on one notice, each an equal share of it;
# one that runs out of its share is given up (and reported). See user_patterns.
USER_PATTERN_TIMEOUT: Final = USER_PATTERNS_BUDGET
# Seconds one built-in pattern may spend on a notice. They are written to run in linear time;
# the limit is a safety net, and a pattern that hits it simply reads nothing.
BUILTIN_TIMEOUT: Final = 0.25


@dataclass(frozen=True, slots=True)
class NoticeReading:
    """What one notice says; a field the notice did not state is None, never 0.

    ``evidence`` gives the same as typed statements, each applied by its own rule.
    """

    remaining: int | None
    """Bytes left, as stated by the notice."""
    used: int | None
    """Bytes used in the period, as stated by the notice."""
    throttled: bool | None
    """True when the notice says the line is slowed down, False when it says that ended."""
    expires: datetime | None = None
    """The last moment the data stated (left, or added) can be used; alone: the plan's data."""
    exceeded: int | None = None
    """Use passed this many bytes (「3GBを超えました」): a lower bound, never the exact use."""
    top_up: int | None = None
    """Bytes added to the line (「1GBを追加しました」)."""

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """The notice's statements, typed by kind."""
        items: list[Evidence] = []
        if self.top_up is not None:
            dated = self.expires if self.remaining is None else None
            items.append(Evidence(NoticeKind.TOP_UP, self.top_up, dated))
        if self.used is not None:
            items.append(Evidence(NoticeKind.USED, self.used))
        if self.exceeded is not None:
            items.append(Evidence(NoticeKind.USAGE_EXCEEDED, self.exceeded))
        if self.remaining is not None:
            items.append(Evidence(NoticeKind.REMAINING, self.remaining, self.expires))
        elif self.top_up is None and self.expires is not None:
            items.append(Evidence(NoticeKind.EXPIRY, expires=self.expires))
        if self.throttled is not None:
            kind = NoticeKind.THROTTLED if self.throttled else NoticeKind.UNTHROTTLED
            items.append(Evidence(kind))
        return tuple(items)


class NoticePatternTimeout(Exception):  # noqa: N818 - a condition, not a failure of the caller
    """A user's pattern ran out of time on a notice; the caller should stop using it."""

    def __init__(self, pattern: regex.Pattern[str]) -> None:
        """Keep the pattern, so the caller knows which one; the message names none."""
        super().__init__("A notice pattern ran out of time")
        self.pattern = pattern


# ---------------------------------------------------------------------------------------------
# Built-in patterns.
#
# ASSUMPTIONS: no verbatim carrier SMS or e-mail templates were found in public sources
# (carriers.md, "Notifications"). Everything in this block is modelled on the phrasing Japanese
# carriers use in their notices and help pages (docomo's subject 「データ量残り〇〇MBのお知らせ」,
# 「ご利用可能なデータ量の残りが…になりました」, 「送受信最大128kbps」, 「速度制限」, 「制限解除」),
# plus a light set of English forms that travellers' eSIM apps send. Expiry dates follow the
# forms Japanese notices and member pages print (「有効期限：2026年12月31日」, 「12/31まで有効」,
# 「（2026/12/31まで）」), also assumed. Refine it here when real texts turn up; users can add
# their own patterns meanwhile.
#
# All patterns run on normalised text: NFKC-folded (ASCII digits, units and punctuation) with
# thousands separators removed. Every repetition is bounded or runs over characters its
# neighbours cannot match, so the work grows linearly with the text.

# An amount with a data unit. Up to 12 digits, so no arithmetic overflows; "Mbps" / "kbps" are
# speeds, not amounts, hence no letter may follow the unit. Never the tail of a number the one
# grammar refused ("10,000,00MB" is no 0 MB: _prepare leaves its commas, so "00" follows "0,").
_AMOUNT: Final = (
    r"(?<![\d.]|\d,)(?P<amount>\d{1,12}(?:\.\d{1,6})?)\s*"
    r"(?P<unit>[KMG]i?B|TB|ギガバイト|メガバイト|キロバイト|ギガ|メガ)(?![A-Za-z])"
)
# The words that may stand between a cue and its amount: a short run within one sentence,
# with no other number in it. The remaining and used gaps must not cross the other's cue, so
# that "通信量の残りは500MB" is not read as 500 MB used.
_JA_GAP_REMAINING: Final = r"(?:(?!利用(?!可能)|使用)[^\d。!?\n]){0,14}?"
_JA_GAP_USED: Final = r"(?:(?!残)[^\d。!?\n]){0,14}?"
_EN_GAP_REMAINING: Final = r"(?:(?!used)[^\d.!?\n]){0,16}?"
_EN_GAP_USED: Final = r"(?:(?!remaining|left)[^\d.!?\n]){0,16}?"
_OF_DATA: Final = r"(?:of\s+(?:high[- ]speed\s+)?data\s+)?"

_REMAINING_PATTERNS: Final = tuple(
    regex.compile(pattern, regex.IGNORECASE)
    for pattern in (
        # 残り500MB / 残りデータ量:0.8GB / データ残量は1.2GB / 残りが1.5GBになりました
        rf"(?:残り|残量|残容量){_JA_GAP_REMAINING}{_AMOUNT}",
        # ご利用可能なデータ量は1.5GBです
        rf"利用可能な?{_JA_GAP_REMAINING}{_AMOUNT}",
        # 500MBが残っています
        rf"{_AMOUNT}\s*(?:が|分)?\s*残って",
        # あと500MBで速度制限
        rf"あと\s*(?:約)?\s*{_AMOUNT}\s*(?:で|です|ご利用|利用|使)",
        # 500MB of 3GB remaining
        rf"{_AMOUNT}\s*(?:of|/|out\s+of)\s*[\d.]+\s*[KMGT]i?B\s*{_OF_DATA}(?:remaining|left)\b",
        # 1.2 GB of data remaining (not the "3GB" of "500MB of 3GB remaining")
        rf"(?<!of )(?<!/){_AMOUNT}\s*{_OF_DATA}(?:remaining|left)\b",
        # remaining 1.2GB / data left: 500MB / data balance: 2GB
        rf"\b(?:remaining|left|balance)\b{_EN_GAP_REMAINING}{_AMOUNT}",
    )
)

_USED_PATTERNS: Final = tuple(
    regex.compile(pattern, regex.IGNORECASE)
    for pattern in (
        # ご利用データ量:2.5GB / 今月の使用量は800MB / データ通信量 3GB
        # (not a bare 「データ量」, which is as often the plan's allowance)
        (
            rf"(?:(?:利用|使用)(?:した)?(?:データ(?:通信)?)?(?:量|容量)"
            rf"|データ(?:通信)?(?:利用|使用)量|通信量){_JA_GAP_USED}{_AMOUNT}"
        ),
        # 2.5GBを使用しました / 2.5GB利用済み
        rf"{_AMOUNT}\s*を?\s*(?:ご)?(?:使用|利用)(?:し(?:ました|ています|ております)|済)",
        # 2GB of 3GB used
        rf"{_AMOUNT}\s*(?:of|/|out\s+of)\s*[\d.]+\s*[KMGT]i?B\s*{_OF_DATA}used\b",
        # 2.1 GB used
        rf"(?<!of )(?<!/){_AMOUNT}\s*{_OF_DATA}(?:has\s+been\s+|was\s+)?used\b",
        # data used: 2.1GB / you have used 2GB
        rf"\bused\b{_EN_GAP_USED}{_AMOUNT}",
    )
)

# Use passed an amount: a lower bound on use (「データ量が3GBを超えました」, "exceeded 3GB"), never
# the exact use nor what is left. Past forms only; 「3GBを超えると」 is a warning.
_EXCEEDED_PATTERNS: Final = tuple(
    regex.compile(pattern, regex.IGNORECASE)
    for pattern in (
        (
            rf"{_AMOUNT}\s*(?:を|が)?\s*(?:超え(?:ました|た|ており|ています)|超過|突破)"
            r"(?!\s*(?:場合|ら|時|際|とき|ると|れば))"
        ),
        rf"\b(?:exceeded|passed|gone\s+over|over)\s+(?:your\s+|the\s+)?{_AMOUNT}",
        rf"\bmore\s+than\s+{_AMOUNT}\s+(?:of\s+data\s+)?(?:has\s+been\s+|was\s+)?used\b",
    )
)
# Data added to the line: 「1GBを追加しました」, 「データ1GBのチャージが完了しました」, "1GB added".
_TOP_UP_PATTERNS: Final = tuple(
    regex.compile(pattern, regex.IGNORECASE)
    for pattern in (
        (
            rf"{_AMOUNT}\s*(?:分)?\s*(?:の)?\s*(?:データ(?:量|容量)?)?\s*(?:を|が)?\s*"
            r"(?:追加|チャージ|購入)(?:しました|されました|いたしました|が完了|完了|済)"
        ),
        rf"\b(?:added|topped\s+up(?:\s+with)?)\s+{_AMOUNT}",
        rf"{_AMOUNT}\s*(?:of\s+data\s+)?(?:has\s+been\s+|was\s+)?(?:added|topped\s+up)\b",
    )
)
# A built-in pattern reads only a notice about a data plan: one that names it (データ量,
# データ容量, 通信量, パケット, a speed limit, "mobile data", ...) and is no storage notice
# (「iCloudストレージの残り容量が2GB」 states an amount with 残り, and is not about the line).
_PLAN_CONTEXT: Final = regex.compile(
    r"データ(?:を|の)?(?:量|容量|残量|残り|通信|チャージ|追加|繰越|くりこし|利用|使用|プラン)"
    r"|高速データ|モバイルデータ|通信量|通信容量|パケット|速度|送受信最大|高速通信"
    r"|\d\s*[kM]bps|\bspeed\b|\bthrottl"
    r"|\b(?:mobile|cellular|high[- ]speed|roaming)\s+data\b"
    r"|\bdata\s+(?:plan|balance|allowance|usage|used|remaining|left|pack|bundle|package"
    r"|top[- ]?up|limit|quota)\b|\b(?:your|of)\s+data\b|\be?sim\b",
    regex.IGNORECASE,
)
# What names the data itself, for an expiry stated without an amount.
_DATA_NAMED: Final = regex.compile(
    r"データ(?:の)?(?:量|容量)|通信量|パケット|\bdata\b", regex.IGNORECASE
)
_NOT_A_PLAN: Final = regex.compile(
    r"ストレージ|iCloud|クラウド|メールボックス|ディスク|Google\s*ドライブ|OneDrive|Dropbox"
    r"|\b(?:storage|mailbox|disk|drive)\b",
    regex.IGNORECASE,
)
# Throttling ended: only completed forms; "解除されます" (will be lifted) says it has not ended.
_LIFTED: Final = regex.compile(
    r"制限(?:を|が|は)?解除(?:しました|されました|いたしました|となりました|済|のお知らせ)"
    r"|制限解除(?!予定|日|まで|は|の予定|され(?:ます|る))"
    r"|通常(?:の)?(?:通信)?速度に(?:戻|復帰)"
    r"|\b(?:speed|throttling)\b[^!?\n]{0,20}?\b(?:restored|lifted|removed|back\s+to\s+normal)\b"
    r"|\b(?:no\s+longer|not)\s+(?:throttled|limited)\b",
    regex.IGNORECASE,
)
# Throttled, or the limit that causes it was reached (past forms only).
_THROTTLED: Final = regex.compile(
    r"速度(?:を|が|の)?制限"
    r"(?!なし|無し|がな|のな|を回避|を気にせず|を受けず|されず|なく|はかか(?:って|り)|はありません)"
    r"|低速化|送受信(?:時)?最大|最大\s*\d+(?:\.\d+)?\s*[kM]bps"
    r"|上限(?:に(?:達|到達)|を?(?:超え|超過))|使い切"
    r"|\bthrottled\b|\bspeed\s+(?:has\s+been\s+|is\s+|was\s+)?(?:reduced|limited|restricted|capped)\b"
    r"|\blimit\s+(?:has\s+been\s+|was\s+)?reached\b|\breached\s+(?:your|the)\s+(?:data\s+)?limit\b"
    r"|\bused\s+up\b",
    regex.IGNORECASE,
)
# A sentence that says what *would* happen ("3GBを超えると…", "あと500MBで速度制限",
# "if you exceed…") is a warning, not a state.
_CONDITIONAL: Final = regex.compile(
    r"ると|場合|たら|れば|際[はに]|次第|あと\s*(?:約)?\s*\d|\b(?:if|once|when)\b", regex.IGNORECASE
)
_SENTENCE_END: Final = regex.compile(r"[。!?\n]+|\.(?=\s|$)")
# A stated date: 2026年12月31日, 2026/12/31, 2026-12-31, 令和8年12月31日, or 12/31 and 12月31日
# (the year then follows from today).
_DATE: Final = (
    r"(?:(?:(?P<year>\d{4})|令和\s*(?P<reiwa>\d{1,2}|元))\s*[年/.-]\s*)?"
    r"(?<!\d)(?P<month>\d{1,2})\s*[月/.-]\s*(?P<day>\d{1,2})(?!\d)\s*日?"
)
# Only a cue that speaks of the data's own validity: not 支払期限 (a payment due date).
_EXPIRY_PATTERNS: Final = tuple(
    regex.compile(pattern, regex.IGNORECASE)
    for pattern in (
        # 有効期限:2026年12月31日 / ご利用期限は12/31
        rf"(?:有効|利用|使用|利用可能)期限\s*(?:は|:)?\s*{_DATE}",
        # 2026年12月31日まで有効 / 12/31 23:59までご利用いただけます / (2026/12/31まで)
        (
            rf"{_DATE}\s*(?:\d{{1,2}}:\d{{2}})?\s*(?:まで|迄)\s*"
            r"(?:\)|有効|ご?利用(?:可能|いただけ|でき)|使え|お使い)"
        ),
        # valid until 2026-12-31 / expires on 2026/12/31 / expiry date: 12/31
        (
            r"\b(?:valid\s+(?:until|till|through|thru)|expir(?:es|y|ation)(?:\s+date)?)"
            rf"(?:\s+on)?\s*:?\s*{_DATE}"
        ),
    )
)
# How far from the amount a stated expiry may stand, before and after it.
_EXPIRY_BEFORE: Final = 40
_EXPIRY_AFTER: Final = 60
# End of the built-in patterns.
# ---------------------------------------------------------------------------------------------

# A run of digits and commas: a number with thousands separators, or a misread one.
_NUMBER_RUN: Final = regex.compile(r"\d[\d,]*\d")
_JA_UNITS: Final = {
    "ギガ": "GB",
    "ギガバイト": "GB",
    "メガ": "MB",
    "メガバイト": "MB",
    "キロバイト": "KB",
}


def _drop_separators(match: regex.Match[str]) -> str:
    """A number the one grammar (units.to_number) reads, without its separators; else as is."""
    run = match.group()
    try:
        to_number(run)
    except CarrierParseError:
        return run  # "1,0" or "10,000,00": no figure, and _AMOUNT never reads its tail
    return run.replace(",", "")


def _prepare(text: str) -> str:
    """Fold full-width forms and drop thousands separators, within the examined length."""
    folded = normalize_text(text[:MAX_NOTICE_CHARS])[:MAX_NOTICE_CHARS]
    if "," not in folded:
        return folded
    try:
        return _NUMBER_RUN.sub(_drop_separators, folded, timeout=BUILTIN_TIMEOUT)
    except TimeoutError:
        return folded


def _amount(match: regex.Match[str]) -> int | None:
    """Read the amount and unit groups as bytes; None when they are not a usable figure."""
    amount, unit = match.group("amount"), match.group("unit")
    if amount is None or unit is None:
        return None
    unit = unit.strip()
    try:
        return to_bytes(amount.strip(), _JA_UNITS.get(unit, unit))
    except CarrierParseError, OverflowError:
        return None


def _first_amount_of(
    pattern: regex.Pattern[str], text: str, budget: float, clock: Clock = time.monotonic
) -> tuple[int, regex.Match[str]] | None:
    """The first usable figure a pattern reads, with its match; TimeoutError past ``budget``."""
    for match in matches_within(pattern, text, budget, clock):
        value = _amount(match)
        if value is not None:
            return value, match
    return None


type Found = tuple[int, regex.Match[str]]


def _first_builtin_amount(
    patterns: Sequence[regex.Pattern[str]], text: str, taken: Sequence[Found | None] = ()
) -> Found | None:
    """The first figure any of the built-in patterns reads, in pattern order.

    An amount another statement already read (``taken``) is not read again: the "3GB" of
    「ご利用データ量が3GBを超えました」 is a lower bound, not the exact use as well.
    """
    spans = [found[1].span("amount") for found in taken if found is not None]
    for pattern in patterns:
        try:
            for match in matches_within(pattern, text, BUILTIN_TIMEOUT):
                value = _amount(match)
                if value is not None and match.span("amount") not in spans:
                    return value, match
        except TimeoutError:
            continue
    return None


def _first_user_amount(
    patterns: Sequence[regex.Pattern[str]], text: str
) -> tuple[int, regex.Match[str]] | None:
    """The first figure any of the user's patterns reads, all within one budget per notice.

    Each pattern gets its share of the budget. Handed a PatternRun, what each pattern spent and
    which ran out of its share are noted in it, and the next patterns still run; handed plain
    patterns, one that runs out raises NoticePatternTimeout.
    """
    run = patterns
    if not isinstance(run, PatternRun):
        run = PatternRun(patterns, budget=USER_PATTERN_TIMEOUT)
    for pattern in run:
        started = run.clock()
        try:
            found = _first_amount_of(pattern, text, run.share, run.clock)
        except TimeoutError as err:
            run.note(pattern, run.clock() - started, ran_out=True)
            if run is not patterns:
                raise NoticePatternTimeout(pattern) from err
            continue
        run.note(pattern, run.clock() - started)
        if found is not None:
            return found
    return None


def _search(pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
    """A built-in pattern's first match; None when there is none or it ran out of time."""
    try:
        return pattern.search(text, timeout=BUILTIN_TIMEOUT)
    except TimeoutError:
        return None


def _throttle_state(text: str) -> bool | None:
    """Return the throttling state the last stating sentence gives; None when none does."""
    state: bool | None = None
    try:
        sentences = _SENTENCE_END.split(text, timeout=BUILTIN_TIMEOUT)
    except TimeoutError:
        return None
    for sentence in sentences:
        if _search(_CONDITIONAL, sentence):
            continue
        if _search(_LIFTED, sentence):
            state = False
        elif _search(_THROTTLED, sentence):
            state = True
    return state


def _stated_day(match: regex.Match[str], today: date | None) -> date | None:
    """The day an expiry match names; None when it is no real day or its year is unknown."""
    month, day = int(match.group("month")), int(match.group("day"))
    earliest: date | None = None
    if (year_text := match.group("year")) is not None:
        years = [int(year_text)]
    elif (reiwa := match.group("reiwa")) is not None:
        # 令和元年 is 2019.
        years = [2018 + (1 if reiwa == "元" else int(reiwa))]
    elif today is not None:
        # No year: the next such day from today (data left does not expire in the past).
        years, earliest = [today.year, today.year + 1], today
    else:
        return None
    for year in years:
        try:
            stated = date(year, month, day)
        except ValueError:
            continue
        # The one plausibility rule of the library (dates.py), against the notice's today.
        if is_plausible_day(stated, today) and (earliest is None or stated >= earliest):
            return stated
    return None


def _stated_expiry(
    text: str, amount: regex.Match[str] | None, today: date | None
) -> datetime | None:
    """The expiry a notice states next to an amount (anywhere without one); None if none."""
    window = text
    if amount is not None:
        window = text[max(0, amount.start() - _EXPIRY_BEFORE) : amount.end() + _EXPIRY_AFTER]
    for pattern in _EXPIRY_PATTERNS:
        match = _search(pattern, window)
        if match is not None and (day := _stated_day(match, today)) is not None:
            return end_of_day(day)
    return None


def _sentence_at(text: str, position: int) -> str:
    """The sentence of ``text`` that holds ``position``."""
    begin, end = 0, len(text)
    try:
        for match in _SENTENCE_END.finditer(text, timeout=BUILTIN_TIMEOUT):
            if match.end() <= position:
                begin = match.end()
            elif match.start() >= position:
                end = match.start()
                break
    except TimeoutError:
        pass
    return text[begin:end]


def _as_fact(text: str, found: Found | None) -> Found | None:
    """``found``, unless its sentence says what *would* happen (「3GBを超えた場合」)."""
    if found is None or _search(_CONDITIONAL, _sentence_at(text, found[1].start())):
        return None
    return found


def _plan_sentences(text: str) -> str:
    """The sentences of ``text`` that name the data itself (データ量, データ容量, data)."""
    try:
        sentences = _SENTENCE_END.split(text, timeout=BUILTIN_TIMEOUT)
    except TimeoutError:
        return ""
    return "\n".join(sentence for sentence in sentences if _search(_DATA_NAMED, sentence))


def _is_plan_notice(text: str) -> bool:
    """Tell whether a text speaks of a data plan, so the built-in patterns may read it."""
    return _search(_PLAN_CONTEXT, text) is not None and _search(_NOT_A_PLAN, text) is None


def parse_notice(
    text: str,
    extra_patterns: Sequence[regex.Pattern[str]] = (),
    *,
    now: datetime | None = None,
) -> NoticeReading | None:
    """Read a carrier notice; None when the text is not about data at all.

    ``extra_patterns`` (from ``compile_user_pattern``) are tried before the built-in ones; their
    match gives the remaining amount, whatever the text. The built-in patterns read only a
    notice about a data plan (``_PLAN_CONTEXT``): what is left, what was used, a use passed
    (a lower bound), a top-up, an expiry and throttling. An expiry stated next to the amount
    left (or added) belongs to it; a date without a year needs ``now`` to place it. Raises
    NoticePatternTimeout when one of ``extra_patterns`` runs out of its share of the time they
    share: the caller should drop it and read the notice again without it. Handed a
    ``PatternRun`` (user_patterns), it notes that instead and reads on.
    """
    prepared = _prepare(text)
    found = _first_user_amount(extra_patterns, prepared)
    exceeded = top_up = used_found = None
    throttled: bool | None = None
    plan_notice = _is_plan_notice(prepared)
    if plan_notice:
        exceeded = _as_fact(prepared, _first_builtin_amount(_EXCEEDED_PATTERNS, prepared))
        top_up = _first_builtin_amount(_TOP_UP_PATTERNS, prepared, [exceeded])
        found = found or _first_builtin_amount(_REMAINING_PATTERNS, prepared, [exceeded, top_up])
        used_found = _first_builtin_amount(_USED_PATTERNS, prepared, [exceeded, top_up, found])
        throttled = _throttle_state(prepared)
    today = None if now is None else now.astimezone(TOKYO).date()
    dated = found or top_up
    expires = None
    if dated is not None:
        expires = _stated_expiry(prepared, dated[1], today)
    elif plan_notice:
        # An expiry stated on its own is the plan's data's, when its sentence names the data
        # (「データ容量の有効期限は…」), not a date beside a throttling notice.
        expires = _stated_expiry(_plan_sentences(prepared), None, today)
    if (found, top_up, used_found, exceeded, throttled, expires) == (None,) * 6:
        return None
    return NoticeReading(
        remaining=None if found is None else found[0],
        used=None if used_found is None else used_found[0],
        throttled=throttled,
        expires=expires,
        exceeded=None if exceeded is None else exceeded[0],
        top_up=None if top_up is None else top_up[0],
    )
