from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "steward.demo"
    label = "demo"
