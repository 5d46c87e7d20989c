"""Alerts are read-only in the admin: they are raised and resolved only through the
services, which notify the person and write the timeline entry with the change."""

from django.contrib import admin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import Alert


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "title", "assigned_to", "organisation", "status", "raised_at")
    list_filter = ("kind", "status", "organisation")
    list_select_related = ("assigned_to", "organisation")
    search_fields = ("title", "subject")
