"""Admin screens for setting up organisations. Deactivation and reporting-line changes
go through the services (API or `staff_deactivate`), so those fields are read-only here."""

from django.contrib import admin

from .models import Organisation, StaffMember, Team


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "created_at")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "lead")
    list_filter = ("organisation",)
    search_fields = ("name",)
    raw_id_fields = ("lead",)


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("display_name", "job_title", "organisation", "team", "supervisor", "is_active")
    list_filter = ("organisation", "is_active")
    search_fields = ("display_name", "user__username")
    list_select_related = ("organisation", "team", "supervisor")
    readonly_fields = ("user", "organisation", "supervisor", "is_active", "deactivated_at", "display_name")
