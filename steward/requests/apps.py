from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "steward.requests"
    label = "requests"
