from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "steward.timeline"
    label = "timeline"

    def ready(self) -> None:
        from . import rewrite_guard  # noqa: F401  (registers the SQLite trigger function)
