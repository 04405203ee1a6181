"""Read data figures out of carrier notices (SMS and e-mail) written in carrier Japanese.

SIMs without a usable carrier API (docomo, au, Rakuten, travel eSIMs) still tell their user
"残り500MB" or "速度制限中" by SMS or e-mail. These functions turn such a text into a reading
and ignore every other message (parcel notices, sign-in codes, adverts): a misread notice
would set a false figure, so a text is only a reading when a cue says what its amount means.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from .errors import CarrierParseError
from .units import normalize_text, to_bytes

# Notices are short; a long text is an e-mail with a footer or something hostile. Looking only
# at its beginning bounds the regex work whatever arrives.
MAX_NOTICE_CHARS: Final = 4000


@dataclass(frozen=True, slots=True)
class NoticeReading:
    """What one notice says; a field the notice did not state is None, never 0."""

    remaining: int | None
    """Bytes left, as stated by the notice."""
    used: int | None
    """Bytes used in the period, as stated by the notice."""
    throttled: bool | None
    """True when the notice says the line is slowed down, False when it says that ended."""


class InvalidNoticePattern(ValueError):  # noqa: N818 - the name the integration uses
    """A user's notice pattern cannot be used; ``reason`` names why, for a translated error."""

    def __init__(self, reason: Literal["syntax", "missing_groups"]) -> None:
        """Keep the reason as a stable key; the message never repeats the user's text."""
        super().__init__(f"Invalid notice pattern: {reason}")
        self.reason = reason


REQUIRED_GROUPS: Final = frozenset({"amount", "unit"})


def compile_user_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a user's regular expression, checked when entered rather than on every notice.

    It must name the groups ``amount`` and ``unit``; it is matched against the normalised text
    (ASCII digits and units, no thousands separators), ignoring case.
    """
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as err:
        raise InvalidNoticePattern("syntax") from err
    if not compiled.groupindex.keys() >= REQUIRED_GROUPS:
        raise InvalidNoticePattern("missing_groups")
    return compiled


# ---------------------------------------------------------------------------------------------
# Built-in patterns.
#
# ASSUMPTIONS: no verbatim carrier SMS or e-mail templates were found in public sources
# (carriers.md, "Notifications"). Everything in this block is modelled on the phrasing Japanese
# carriers use in their notices and help pages (docomo's subject 「データ量残り〇〇MBのお知らせ」,
# 「ご利用可能なデータ量の残りが…になりました」, 「送受信最大128kbps」, 「速度制限」, 「制限解除」),
# plus a light set of English forms that travellers' eSIM apps send. Refine it here when real
# texts turn up; users can add their own patterns meanwhile.
#
# All patterns run on normalised text: NFKC-folded (ASCII digits, units and punctuation) with
# thousands separators removed.

# An amount with a data unit. Up to 12 digits, so no arithmetic overflows; "Mbps" / "kbps" are
# speeds, not amounts, hence no letter may follow the unit.
_AMOUNT: Final = (
    r"(?<![\d.])(?P<amount>\d{1,12}(?:\.\d{1,6})?)\s*"
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
    re.compile(pattern, re.IGNORECASE)
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
    re.compile(pattern, re.IGNORECASE)
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

# Throttling ended: only completed forms; "解除されます" (will be lifted) says it has not ended.
_LIFTED: Final = re.compile(
    r"制限(?:を|が|は)?解除(?:しました|されました|いたしました|となりました|済|のお知らせ)"
    r"|制限解除(?!予定|日|まで|は|の予定|され(?:ます|る))"
    r"|通常(?:の)?(?:通信)?速度に(?:戻|復帰)"
    r"|\b(?:speed|throttling)\b[^!?\n]{0,20}?\b(?:restored|lifted|removed|back\s+to\s+normal)\b"
    r"|\b(?:no\s+longer|not)\s+(?:throttled|limited)\b",
    re.IGNORECASE,
)
# Throttled, or the limit that causes it was reached (past forms only).
_THROTTLED: Final = re.compile(
    r"速度(?:を|が|の)?制限"
    r"(?!なし|無し|がな|のな|を回避|を気にせず|を受けず|されず|なく|はかか(?:って|り)|はありません)"
    r"|低速化|送受信(?:時)?最大|最大\s*\d+(?:\.\d+)?\s*[kM]bps"
    r"|超え(?:ました|た|ており|ています)|超過|上限に(?:達|到達)|使い切"
    r"|\bthrottled\b|\bspeed\s+(?:has\s+been\s+|is\s+|was\s+)?(?:reduced|limited|restricted|capped)\b"
    r"|\blimit\s+(?:has\s+been\s+|was\s+)?reached\b|\breached\s+(?:your|the)\s+(?:data\s+)?limit\b"
    r"|\bexceeded\b|\bused\s+up\b",
    re.IGNORECASE,
)
# A sentence that says what *would* happen ("3GBを超えると…", "あと500MBで速度制限",
# "if you exceed…") is a warning, not a state.
_CONDITIONAL: Final = re.compile(
    r"ると|場合|たら|れば|際[はに]|次第|あと\s*(?:約)?\s*\d|\b(?:if|once|when)\b", re.IGNORECASE
)
_SENTENCE_END: Final = re.compile(r"[。!?\n]+|\.(?=\s|$)")
# End of the built-in patterns.
# ---------------------------------------------------------------------------------------------

_THOUSANDS: Final = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_JA_UNITS: Final = {
    "ギガ": "GB",
    "ギガバイト": "GB",
    "メガ": "MB",
    "メガバイト": "MB",
    "キロバイト": "KB",
}


def _prepare(text: str) -> str:
    """Fold full-width forms and drop thousands separators, within the examined length."""
    folded = normalize_text(text[:MAX_NOTICE_CHARS])[:MAX_NOTICE_CHARS]
    return _THOUSANDS.sub("", folded)


def _amount(match: re.Match[str]) -> int | None:
    """Read the amount and unit groups as bytes; None when they are not a usable figure."""
    amount, unit = match.group("amount"), match.group("unit")
    if amount is None or unit is None:
        return None
    unit = unit.strip()
    try:
        return to_bytes(amount.strip(), _JA_UNITS.get(unit, unit))
    except CarrierParseError, OverflowError:
        return None


def _first_amount(patterns: Sequence[re.Pattern[str]], text: str) -> int | None:
    """Return the first figure any of the patterns reads, in pattern order."""
    for pattern in patterns:
        for match in pattern.finditer(text):
            value = _amount(match)
            if value is not None:
                return value
    return None


def _throttle_state(text: str) -> bool | None:
    """Return the throttling state the last stating sentence gives; None when none does."""
    state: bool | None = None
    for sentence in _SENTENCE_END.split(text):
        if _CONDITIONAL.search(sentence):
            continue
        if _LIFTED.search(sentence):
            state = False
        elif _THROTTLED.search(sentence):
            state = True
    return state


def parse_notice(text: str, extra_patterns: Sequence[re.Pattern[str]] = ()) -> NoticeReading | None:
    """Read a carrier notice; None when the text is not about data at all.

    ``extra_patterns`` (from ``compile_user_pattern``) are tried before the built-in ones; their
    match gives the remaining amount. The built-in patterns still read used data and throttling.
    """
    prepared = _prepare(text)
    remaining = _first_amount(extra_patterns, prepared)
    if remaining is None:
        remaining = _first_amount(_REMAINING_PATTERNS, prepared)
    used = _first_amount(_USED_PATTERNS, prepared)
    throttled = _throttle_state(prepared)
    if remaining is None and used is None and throttled is None:
        return None
    return NoticeReading(remaining=remaining, used=used, throttled=throttled)
