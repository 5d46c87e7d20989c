from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "steward.care"
    label = "care"
    verbose_name = "Care agreements and carers"
