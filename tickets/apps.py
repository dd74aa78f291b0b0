"""The agent console: tickets, views, macros and routing."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Agent console"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from people.models import AgentProfile, Team

        from .models import View
        from .selectors import forget_views

        # Which views a person has depends on the views, their team and their roles; their
        # profile (team, preferred regions) is cached with them.
        for model in (View, AgentProfile, Team):
            post_save.connect(forget_views, sender=model, dispatch_uid=f"views-{model.__name__}")
            post_delete.connect(forget_views, sender=model,
                                dispatch_uid=f"views-del-{model.__name__}")
        for through in (View.regions.through, View.shared_with.through,
                        AgentProfile.preferred_regions.through, get_user_model().groups.through):
            m2m_changed.connect(forget_views, sender=through, dispatch_uid=f"views-{through}")
