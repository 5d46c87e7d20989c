"""Trusted people are view-only in the admin: naming, changing and ending them goes
through the customer's own services, which write the timeline with the change."""

from django.contrib import admin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import TrustedPerson


@admin.register(TrustedPerson)
class TrustedPersonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "relationship", "customer", "created_at", "ends_at", "revoked_at")
    search_fields = ("name", "email")
    list_select_related = ("customer",)
