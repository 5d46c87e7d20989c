"""Signing people in to the portal without a password: a one-time code sent to an
email address a customer gave us (theirs, or that of someone they trust), and a record
of every time a code was asked for (what the rate limits count)."""

from __future__ import annotations

from django.db import models


class SignInCode(models.Model):
    """A six-digit code emailed to a customer or to someone a customer trusts. Only an
    HMAC of it is stored. It works once, for ten minutes, and stops working after five
    wrong tries (``voided_at``). It signs in the *address*; whose requests they then see
    is decided at each page (their own, or a customer's who trusts them)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The customer whose address it is; empty for a trusted person who is not a customer.",
    )
    email = models.CharField(max_length=500, help_text="The address it was sent to, lower-cased.")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Wrong codes entered so far.")
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "-created_at"], name="portal_code_email_idx")]

    def __str__(self) -> str:
        return f"code for {self.email} at {self.created_at:%Y-%m-%d %H:%M}"


class CodeRequest(models.Model):
    """Someone asked for a sign-in code for ``email`` from ``ip``, whether or not the
    address is known (so the limits treat both alike and reveal nothing)."""

    email = models.CharField(max_length=500)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent = models.BooleanField(
        default=False, help_text="A code was emailed (the address is a customer's or a trusted person's)."
    )

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="portal_codereq_email_idx"),
            models.Index(fields=["ip", "created_at"], name="portal_codereq_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"code asked for {self.email} at {self.created_at:%Y-%m-%d %H:%M}"


class PortalPassword(models.Model):
    """An optional password for an address that signs in to the portal (a customer's, or
    a trusted person's), as an alternative to a code. Set only after signing in with a
    code; stored with Django's password hashers, never as written."""

    email = models.CharField(max_length=500, unique=True, help_text="Lower-cased, as codes are sent to it.")
    password_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"password for {self.email}"


class PasswordAttempt(models.Model):
    """A wrong password (or a password for an address that has none, or is unknown: all
    alike), counted for the same limits as codes."""

    email = models.CharField(max_length=500)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="portal_pwtry_email_idx"),
            models.Index(fields=["ip", "created_at"], name="portal_pwtry_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"wrong password for {self.email} at {self.created_at:%Y-%m-%d %H:%M}"
