"""Who may send a tracked SIM's notices: the sender filter, per kind of source.

A notice sets the figures, so a message that only looks like one (a Gmail or LINE notification
titled like the carrier, an e-mail forging the carrier's address) must not pass. Each source
is judged by what it can prove: an e-mail by its address and its receiving server's
authentication results, a companion-app notification by the app that posted it as well as its
title, an SMS event by its number.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Final

import regex

# ASSUMPTIONS: the Android apps that post received SMS as notifications, by their package
# (the ``package`` attribute of the companion app's notification sensor). Each is the app's
# Google Play id: Google Messages (play.google.com/store/apps/details?id=
# com.google.android.apps.messaging), Samsung Messages (com.samsung.android.messaging) and
# AOSP's messaging app (com.android.mms); public notification listeners name the same three
# as "the SMS apps". A carrier's +メッセージ or another SMS app: the user names its package in
# the sender filter.
SMS_APP_PACKAGES: Final = frozenset(
    {"com.google.android.apps.messaging", "com.samsung.android.messaging", "com.android.mms"}
)

# A domain name, as a sender filter entry: labels of letters, digits and hyphens, and a
# top-level label of letters (so "090.1234.5678" is a number, not a domain).
_DOMAIN: Final = regex.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# An Android package name (com.example.sms_app): dotted Java identifiers.
_PACKAGE: Final = regex.compile(r"[a-z][a-z0-9_]{0,63}(?:\.[a-z][a-z0-9_]{0,63}){1,15}")
# What a phone number or a name may be written with, and is not compared.
_NAME_NOISE: Final = regex.compile(r"[\s\-()]+")
# RFC 8601 Authentication-Results, as the receiving server writes it: "dmarc=fail", "spf=fail".
_RESULT: Final = regex.compile(r"\b(dmarc|spf)\s*=\s*([a-z]+)", regex.IGNORECASE)
_FAILED: Final = frozenset({"fail", "softfail"})


def _fold_name(text: str) -> str:
    """A sender name or number in one form: no spaces or hyphens, Japan's +81 as a 0."""
    folded = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return "0" + folded[3:] if folded.startswith("+81") else folded


@dataclass(frozen=True, slots=True)
class SenderFilter:
    """Which senders' messages are read; an empty filter reads every message.

    An entry with an @ is an e-mail address, matched whole. An entry that is a domain name
    matches addresses at that domain or any of its subdomains (``docomo-bill.ne.jp`` accepts
    ``DoCoMo@docomo-bill.ne.jp`` and ``x@mail.docomo-bill.ne.jp``, never
    ``x@docomo-bill.ne.jp.attacker.example``). An entry shaped like an Android package names an
    app whose notifications are read. Any other entry (a phone number, a notification title)
    matches a sender that is not an e-mail address and is exactly that, ignoring case, spaces
    and hyphens. A display name never counts: ``docomo <evil@attacker.example>`` is judged by
    its address alone.
    """

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    packages: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> SenderFilter:
        """Sort the user's entries into addresses, domains, packages and names."""
        addresses, domains, names, packages = set(), set(), set(), set()
        for entry in entries:
            folded = entry.strip().casefold()
            if "@" in folded:
                addresses.add(folded)
                continue
            if _DOMAIN.fullmatch(folded):
                domains.add(folded)
            if _PACKAGE.fullmatch(folded):
                # jp.example.sms is both a domain and a package: each source reads its own.
                packages.add(folded)
            elif folded and folded not in domains:
                names.add(_fold_name(folded))
        return cls(frozenset(addresses), frozenset(domains), frozenset(names), frozenset(packages))

    def __bool__(self) -> bool:
        """An empty filter filters nothing."""
        return bool(self.addresses or self.domains or self.names or self.packages)

    @property
    def checks_mail(self) -> bool:
        """True when the filter names e-mail senders (an address or a domain)."""
        return bool(self.addresses or self.domains)

    def accepts(self, sender: str | None) -> bool:
        """Tell whether a message from ``sender`` is read; a message with no sender is not."""
        if not self:
            return True
        if not sender:
            return False
        if "@" not in sender:
            return _fold_name(sender) in self.names
        _, address = parseaddr(sender)
        local, at, domain = address.casefold().rpartition("@")
        if not (local and at and domain):
            return False
        return address.casefold() in self.addresses or any(
            domain == wanted or domain.endswith(f".{wanted}") for wanted in self.domains
        )

    def accepts_notification(self, title: str | None, package: str) -> bool:
        """Tell whether a phone notification posted by ``package`` is read.

        The title alone proves nothing: any app may title a notification like the carrier. A
        notification is read when an SMS app (or an app the filter names) posted it and, when
        the filter names titles or numbers, its title is one of them.
        """
        if not self:
            return True
        package = package.casefold()
        if package not in self.packages and package not in SMS_APP_PACKAGES:
            return False
        if self.names:
            return title is not None and _fold_name(title) in self.names
        return package in self.packages


def mail_failed_authentication(headers: object) -> bool:
    """Tell whether an e-mail's own headers say it failed DMARC (or, without DMARC, SPF).

    ``headers`` is the ``headers`` of Home Assistant's ``imap_content`` event: each header name
    with a tuple of its values (``ImapMessage.headers``). The receiving server writes
    ``Authentication-Results``; a forger can add more such headers, but only ones saying
    "pass", which are never needed here: only a failure is acted on. DMARC decides when it was
    evaluated, so a forwarded message that fails SPF but passes DMARC is still read.
    """
    if not isinstance(headers, Mapping):
        return False
    results: dict[str, set[str]] = {"dmarc": set(), "spf": set()}
    for name, values in headers.items():
        lowered = name.strip().casefold() if isinstance(name, str) else ""
        for text in _header_values(values):
            if lowered == "authentication-results":
                for method, result in _RESULT.findall(text[:4000]):
                    results[method.casefold()].add(result.casefold())
            elif lowered == "received-spf":
                results["spf"].add(text.strip().split(" ", 1)[0].casefold())
    if results["dmarc"]:
        return bool(results["dmarc"] & _FAILED)
    return bool(results["spf"] & _FAILED)


def _header_values(values: object) -> list[str]:
    """A header's values as the imap event gives them (a tuple; a list once stored as JSON)."""
    if isinstance(values, str):
        return [values]
    if isinstance(values, list | tuple):
        return [value for value in values if isinstance(value, str)]
    return []
