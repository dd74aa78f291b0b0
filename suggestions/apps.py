"""Suggestions learned from the desk's own history: macro, delegate, category, responses."""

from django.apps import AppConfig


class SuggestionsConfig(AppConfig):
    name = "suggestions"
    verbose_name = "Suggestions"

    def ready(self) -> None:
        # The domain apps never import us: we listen to what they announce.
        from . import receivers

        receivers.connect()
