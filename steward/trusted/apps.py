from django.apps import AppConfig


class TrustedConfig(AppConfig):
    name = "steward.trusted"
    label = "trusted"
    verbose_name = "Trusted people"
