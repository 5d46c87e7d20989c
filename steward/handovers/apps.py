from django.apps import AppConfig


class HandoversConfig(AppConfig):
    name = "steward.handovers"
    label = "handovers"
