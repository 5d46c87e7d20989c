"""Requests are read-only in the admin: owners and statuses change only through the
services, which write the timeline event with the change."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Request


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "customer", "organisation", "owner", "status", "due_at")
    list_filter = ("status", "organisation")
    list_select_related = ("customer", "organisation", "owner")
    search_fields = ("subject",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
