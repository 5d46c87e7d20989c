from django.contrib import admin

from .models import Need


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "team", "first_response_minutes", "resolution_minutes", "is_active")
    list_filter = ("organisation", "is_active")
    search_fields = ("title", "code")
    list_select_related = ("organisation", "team")
