from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import ApiToken, CustomerToken, SignInLockout, User


@admin.register(User)
class StewardUserAdmin(UserAdmin):
    # Deactivating a staff member must go through `staff_deactivate` so their open
    # requests move to a named person (I1); the flag is read-only here for that reason.
    readonly_fields = ("is_active", "last_login", "date_joined")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "label", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")


@admin.register(CustomerToken)
class CustomerTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shown, not made here: `manage.py issue_customer_token` prints the token once."""

    list_display = ("prefix", "customer", "label", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")


@admin.register(SignInLockout)
class SignInLockoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every lockout after too many failed sign-ins: the record administrators check
    when someone says they cannot get in, or when someone is guessing passwords."""

    list_display = ("locked_at", "scope", "username", "user", "address", "failures", "locked_until")
    list_filter = ("scope",)
    search_fields = ("username", "address")
    date_hierarchy = "locked_at"
