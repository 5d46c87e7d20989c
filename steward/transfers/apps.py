from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "steward.transfers"
    label = "transfers"
