"""Care records are view-only in the admin: carers, agreements and visit patterns change
through the care services (permission checks, rules, and the customer's timeline)."""

from django.contrib import admin

from steward.read_only_admin import ReadOnlyAdminMixin

from .models import CareAgreement, Carer, Skill, TravelTime, VisitPattern


@admin.register(Skill)
class SkillAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "organisation")
    list_select_related = ("organisation",)


@admin.register(Carer)
class CarerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("staff", "organisation", "travel_mode", "is_active")
    list_filter = ("travel_mode", "is_active")
    list_select_related = ("staff", "organisation")
    search_fields = ("staff__display_name",)


@admin.register(CareAgreement)
class CareAgreementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "provider", "address", "created_at")
    list_select_related = ("customer", "provider")


@admin.register(VisitPattern)
class VisitPatternAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("label", "care_agreement", "preferred_from", "preferred_to", "carers_needed", "is_active")
    list_filter = ("carers_needed", "is_active")


@admin.register(TravelTime)
class TravelTimeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("from_place", "to_place", "mode", "minutes", "source", "imported_at")
    list_filter = ("mode",)
