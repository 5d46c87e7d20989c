from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "steward.console"
    label = "console"
