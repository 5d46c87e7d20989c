"""Service agreements are read-only in the admin: they start, end and change coordinator
only through the services, which write the timeline event with the change."""

from django.contrib import admin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import ServiceAgreement


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "customer", "provider", "commissioner", "coordinator", "service", "status", "started_at")
    list_filter = ("status", "provider", "commissioner")
    list_select_related = ("customer", "provider", "commissioner", "coordinator")
    search_fields = ("service", "customer__search_name")
