"""The words contact preferences are made of: the languages a customer can choose, the
time zones offered on the portal, checking a time zone name, and how preferences read
to staff and to the customer. Shared by the service, the API, the portal and the console
so everyone reads the same words."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cache

from .models import ContactPreferences, Customer

DEFAULT_TIME_ZONE = "Europe/London"
WHAT_MATTERS_MAX = 4000
ACCESS_OTHER_MAX = 2000

# BCP 47 tags of the languages a customer can ask to be spoken or written to in: English
# first (the default), then the UK's own languages and the languages most often asked
# for by councils' interpreting services. The pages themselves are in English only.
LANGUAGES: list[tuple[str, str]] = [
    ("en", "English"),
    ("cy", "Welsh (Cymraeg)"),
    ("gd", "Scottish Gaelic (Gàidhlig)"),
    ("bfi", "British Sign Language"),
    ("pl", "Polish (Polski)"),
    ("ur", "Urdu (اردو)"),
    ("pa", "Punjabi (ਪੰਜਾਬੀ)"),
    ("bn", "Bengali (বাংলা)"),
    ("gu", "Gujarati (ગુજરાતી)"),
    ("ar", "Arabic (العربية)"),
    ("so", "Somali (Soomaali)"),
    ("ro", "Romanian (Română)"),
    ("pt", "Portuguese (Português)"),
    ("zh", "Chinese (中文)"),
    ("uk", "Ukrainian (Українська)"),
]
LANGUAGE_NAMES = dict(LANGUAGES)

# Offered on the portal's form (a short list a person can read); the API takes any IANA name.
COMMON_TIME_ZONES: list[tuple[str, str]] = [
    ("Europe/London", "UK (London)"),
    ("Europe/Dublin", "Ireland (Dublin)"),
    ("Europe/Paris", "Central Europe (Paris, Berlin, Warsaw)"),
    ("Europe/Bucharest", "Eastern Europe (Bucharest, Kyiv)"),
    ("Europe/Istanbul", "Turkey (Istanbul)"),
    ("Asia/Dubai", "Gulf (Dubai)"),
    ("Asia/Karachi", "Pakistan (Karachi)"),
    ("Asia/Kolkata", "India (Kolkata)"),
    ("Asia/Dhaka", "Bangladesh (Dhaka)"),
    ("America/New_York", "US Eastern (New York)"),
    ("Australia/Sydney", "Australia (Sydney)"),
]


@cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this server knows (e.g. Europe/London)."""
    return name in _time_zone_names()


@dataclass(frozen=True)
class PreferencesData:
    """Everything the customer sets at once (a PUT, or the portal's form)."""

    channels: list[str] = field(default_factory=list)
    quiet_from: time | None = None
    quiet_to: time | None = None
    language: str = "en"
    time_zone: str = DEFAULT_TIME_ZONE
    access_needs: list[str] = field(default_factory=list)
    access_other: str = ""
    what_matters_to_me: str = ""


@dataclass(frozen=True)
class PreferencesView:
    """A customer's preferences with the words for them (what staff and the customer read)."""

    customer: Customer
    preferences: ContactPreferences
    channels: list[str]
    channel_labels: list[str]
    quiet_from: time | None
    quiet_to: time | None
    language: str
    language_label: str
    time_zone: str
    access_needs: list[str]
    access_labels: list[str]
    access_other: str
    what_matters_to_me: str

    @property
    def quiet_hours(self) -> str:
        """'21:00 to 08:00 (Europe/London)', or '' when none are set."""
        if self.quiet_from is None or self.quiet_to is None:
            return ""
        return f"{self.quiet_from:%H:%M} to {self.quiet_to:%H:%M} ({self.time_zone})"

    def local_time(self, at: datetime) -> datetime:
        """`at` on the customer's clock."""
        return at.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    def is_quiet_at(self, at: datetime) -> bool:
        """Whether `at` falls in the customer's quiet hours (their local time; hours that
        run over midnight, 21:00 to 08:00, included)."""
        if self.quiet_from is None or self.quiet_to is None:
            return False
        now = self.local_time(at).time()
        if self.quiet_from < self.quiet_to:
            return self.quiet_from <= now < self.quiet_to
        return now >= self.quiet_from or now < self.quiet_to

    @property
    def how_to_contact(self) -> str:
        """'Text message, then phone call', or '' when not said."""
        if not self.channel_labels:
            return ""
        first, *rest = self.channel_labels
        return ", then ".join([first] + [label.lower() for label in rest])


def preferences_view(customer: Customer, preferences: ContactPreferences) -> PreferencesView:
    channels = [c for c in preferences.channels if c in ContactPreferences.Channel.values]
    needs = [n for n in preferences.access_needs if n in ContactPreferences.AccessNeed.values]
    return PreferencesView(
        customer=customer,
        preferences=preferences,
        channels=channels,
        channel_labels=[ContactPreferences.Channel(c).label for c in channels],
        quiet_from=preferences.quiet_from,
        quiet_to=preferences.quiet_to,
        language=customer.language,
        language_label=LANGUAGE_NAMES.get(customer.language, customer.language),
        time_zone=preferences.time_zone,
        access_needs=needs,
        access_labels=[ContactPreferences.AccessNeed(n).label for n in needs],
        access_other=customer.accessibility_needs,
        what_matters_to_me=customer.what_matters_to_me,
    )
