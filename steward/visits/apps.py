from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "steward.visits"
    label = "visits"
    verbose_name = "Visit schedules"
