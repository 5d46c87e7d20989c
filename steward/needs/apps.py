from django.apps import AppConfig


class NeedsConfig(AppConfig):
    name = "steward.needs"
    label = "needs"
