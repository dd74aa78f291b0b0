"""Output shapes of the console API; they read only what the selectors already loaded."""

from rest_framework import serializers

from people.models import AuditEvent

from .models import Comment, Macro, RoutingRule, Ticket, View


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    email = serializers.EmailField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


def name_of(source: str) -> serializers.CharField:
    """A related object's name, or null when there is none."""
    return serializers.CharField(source=f"{source}.name", allow_null=True, read_only=True)


class ViewSerializer(serializers.ModelSerializer):
    count = serializers.IntegerField()
    count_is_capped = serializers.BooleanField(help_text="true: the view holds more than `count`")
    team = name_of("team")

    class Meta:
        model = View
        fields = ["slug", "name", "team", "count", "count_is_capped", "sort"]


class TicketListSerializer(serializers.ModelSerializer):
    assignee = PersonSerializer(allow_null=True)
    group = name_of("group")
    form = name_of("form")
    region = serializers.CharField(source="region.code", allow_null=True, read_only=True)
    tags = serializers.ListField(source="tag_list", child=serializers.CharField())
    number = serializers.IntegerField(read_only=True,
                                      help_text="The number people know it by (Zendesk's)")
    owner_name = serializers.CharField(read_only=True, help_text=(
        "Who owns it, with or without an EduDesk login; empty when nobody does"))
    version = serializers.SerializerMethodField(
        help_text="Send it back with an action: a ticket changed since is refused (409)")

    class Meta:
        model = Ticket
        fields = ["id", "number", "zendesk_id", "subject", "requester_name", "requester_email",
                  "status", "priority", "form", "group", "topic", "region", "tags", "assignee",
                  "owner_name", "version", "created_at", "updated_at"]

    def get_version(self, ticket: Ticket) -> str:
        return ticket.updated_at.isoformat()


class TicketPageSerializer(serializers.Serializer):
    results = TicketListSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "author_name", "is_public", "body_html", "created_at"]


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, read_only=True)
    action = serializers.CharField(source="verb", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["action", "summary", "changes", "actor", "created_at"]


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    system = serializers.CharField()
    action = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()


class TicketDetailSerializer(TicketListSerializer):
    description = serializers.CharField()
    comments = CommentSerializer(many=True, source="conversation")
    audit = AuditEventSerializer(many=True, source="history")
    deliveries = DeliverySerializer(many=True)

    class Meta(TicketListSerializer.Meta):
        fields = [*TicketListSerializer.Meta.fields, "description", "comments", "audit",
                  "deliveries"]


class MacroSerializer(serializers.ModelSerializer):
    read_only = serializers.BooleanField(source="is_read_only")

    class Meta:
        model = Macro
        fields = ["id", "title", "comment", "comment_is_public", "set_status", "add_tags",
                  "remove_tags", "read_only"]


class MacroChangesSerializer(serializers.Serializer):
    comment_html = serializers.CharField()
    comment_is_public = serializers.BooleanField()
    status = serializers.CharField(allow_null=True)
    tags_added = serializers.ListField(child=serializers.CharField())
    tags_removed = serializers.ListField(child=serializers.CharField())
    group = name_of("group")
    assignee = PersonSerializer(allow_null=True)


class RoutingRuleSerializer(serializers.ModelSerializer):
    delegate_user = PersonSerializer(allow_null=True)
    delegate_team = name_of("delegate_team")

    class Meta:
        model = RoutingRule
        fields = ["id", "name", "topic", "tags_any", "delegate_user", "delegate_team",
                  "slack_channel"]
