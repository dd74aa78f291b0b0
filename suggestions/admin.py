"""Admins watch the suggestion models and what agents made of their suggestions; both are
written by the worker, never edited here."""

from django.contrib import admin

from edudesk.admin_site import AdminRoleModelAdmin

from .models import Feedback, SuggestionModel


class ReadOnly(AdminRoleModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SuggestionModel)
class SuggestionModelAdmin(ReadOnly):
    list_display = ["version", "trained_at", "seconds", "backend", "examples"]
    exclude = ["artifact"]  # megabytes of joblib bytes; the metrics say what is in it

    @admin.display(description="Encoder")
    def backend(self, obj) -> str:
        # The note says when embeddings were asked for but the extra is not installed.
        backend = obj.metrics.get("backend", "tfidf+sgd")
        return f"{backend} ({obj.metrics['note']})" if obj.metrics.get("note") else backend

    @admin.display(description="Examples per kind")
    def examples(self, obj) -> str:
        learned = set(obj.metrics.get("learned", []))
        return ", ".join(f"{kind} {count}{'' if kind in learned else ' (rules)'}"
                         for kind, count in obj.metrics.get("examples", {}).items())


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly):
    list_display = ["created_at", "subject", "kind", "choice", "suggested", "chosen", "actor"]
    list_filter = ["kind", "choice"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
