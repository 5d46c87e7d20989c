"""Requests are read-only in the admin: owners and statuses change only through the
services, which write the timeline event with the change."""

from django.contrib import admin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import Request


@admin.register(Request)
class RequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "subject", "customer", "organisation", "owner", "status", "due_at")
    list_filter = ("status", "organisation")
    list_select_related = ("customer", "organisation", "owner")
    search_fields = ("subject",)
