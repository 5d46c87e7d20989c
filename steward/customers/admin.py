from django.contrib import admin

from .models import ContactPoint, Customer


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    readonly_fields = ("normalized",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "preferred_name", "is_vulnerable", "created_at")
    search_fields = ("search_name",)
    inlines = [ContactPointInline]
    readonly_fields = ("search_name",)
