from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "steward.alerts"
    label = "alerts"
