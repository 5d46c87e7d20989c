"""How contact details are normalised so that the same phone number or postcode written
two ways is found by one search."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    digits = _NON_DIGITS.sub("", value)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        # UK national format: 07700 900123 and +44 7700 900123 are the same number.
        digits = "44" + digits[1:]
    if digits.startswith("440"):
        # "+44 (0)7700 900123": the bracketed trunk 0 is not dialled from abroad.
        digits = "44" + digits[3:]
    return digits


def normalise_postcode(value: str) -> str:
    return _SPACES.sub("", value).upper()


def looks_like_email(value: str) -> bool:
    return "@" in value


_PHONE_PUNCTUATION = re.compile(r"[\d\s+()\-./]")


def looks_like_phone(value: str) -> bool:
    """At least six digits, and nothing but the way phone numbers are written around
    them (spaces, +, brackets, dashes, dots), give or take two other characters."""
    digits = _NON_DIGITS.sub("", value)
    return len(digits) >= 6 and len(_PHONE_PUNCTUATION.sub("", value)) <= 2


_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")


def looks_like_postcode(value: str) -> bool:
    return bool(_POSTCODE.match(normalise_postcode(value)))


_POSTCODE_START = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?(\d[A-Z]?)?$")


def looks_like_postcode_start(value: str) -> bool:
    """The first part of a postcode (``LS1``, ``SW1A``, ``LS1 4``): names have no digits."""
    return bool(_POSTCODE_START.match(normalise_postcode(value)))
