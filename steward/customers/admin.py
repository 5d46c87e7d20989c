"""Customers are view-only in the admin: changes to a person's record must go through
services that write them to the timeline (editing arrives with the portal issue)."""

from django.contrib import admin
from django.http import HttpRequest

from .models import ContactPoint, Customer


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    readonly_fields = ("normalized",)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "preferred_name", "is_vulnerable", "created_at")
    search_fields = ("search_name",)
    inlines = [ContactPointInline]
    readonly_fields = ("search_name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
