"""Customers are view-only in the admin: changes to a person's record must go through
services that write them to the timeline (editing arrives with the portal issue)."""

from django.contrib import admin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import ContactPoint, Customer


class ContactPointInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ContactPoint
    extra = 0
    readonly_fields = ("normalized",)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("full_name", "preferred_name", "is_vulnerable", "created_at")
    search_fields = ("search_name",)
    inlines = [ContactPointInline]
    readonly_fields = ("search_name",)
