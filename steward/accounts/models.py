"""Sign-in identities. A `User` is who signs in; what they may do comes from elsewhere
(a staff member's organisation and team, later a customer's portal account)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who can sign in. Staff details live on `organisations.StaffMember`."""

    class Meta:
        db_table = "accounts_user"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a SHA-256 digest is stored; the token
    itself is shown once, when issued."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token in lists.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class CustomerToken(models.Model):
    """A bearer token for the customer's side of the API (``/api/v1/customer/...``): it
    acts as one customer, never as staff. Only a SHA-256 digest is stored; the token
    itself is shown once, when issued."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token in lists.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… (customer #{self.customer_id})"


class SignInFailure(models.Model):
    """One failed attempt to sign in with a password, counted towards a lockout.

    ``username`` is what was typed (normalised), whether or not such a user exists, so
    an unknown username locks exactly like a real one and the lockout reveals nothing.
    Rows older than the counting window are deleted as new ones arrive."""

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    cleared = models.BooleanField(
        default=False,
        help_text="The username signed in successfully since: no longer counted for it (still for the address).",
    )

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="sign_in_failure_user_idx"),
            models.Index(fields=["address", "at"], name="sign_in_failure_address_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.address or 'unknown address'} at {self.at:%Y-%m-%d %H:%M}"


class SignInLockout(models.Model):
    """A username (or a network address) locked after too many failed sign-ins.

    Kept as the record administrators and supervisors read (in the admin): who was
    locked, from where, after how many failures, and until when. Nothing changes it
    afterwards; the lock simply runs out at ``locked_until``."""

    class Scope(models.TextChoices):
        USERNAME = "username", "Username"
        ADDRESS = "address", "Network address"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    username = models.CharField(max_length=150, blank=True, help_text="The username locked (scope username).")
    address = models.GenericIPAddressField(null=True, blank=True, help_text="Where the last failure came from.")
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account with that username, if there is one (shown to administrators only).",
    )
    failures = models.PositiveIntegerField(help_text="Failures counted within the window when it locked.")
    locked_at = models.DateTimeField()
    locked_until = models.DateTimeField()

    class Meta:
        ordering = ["-locked_at", "-id"]
        indexes = [
            models.Index(fields=["username", "locked_until"], name="sign_in_lock_user_idx"),
            models.Index(fields=["address", "locked_until"], name="sign_in_lock_address_idx"),
        ]

    def __str__(self) -> str:
        who = self.username if self.scope == self.Scope.USERNAME else str(self.address)
        return f"{who} locked until {self.locked_until:%Y-%m-%d %H:%M}"
