"""Input and output shapes of the accounts API."""

from rest_framework import serializers

from people.models import AuditEvent

from .models import ApiToken


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1000, trim_whitespace=False,
                                     style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 help_text="What the token is for, to recognise it in lists")


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key: send it as `Authorization: Token <key>`. "
                                            "It is shown this once.")
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="user.get_username", read_only=True)
    state = serializers.CharField(read_only=True, help_text="active, expired or revoked")

    class Meta:
        model = ApiToken
        fields = ["id", "owner", "name", "key_prefix", "created_at", "expires_at",
                  "last_used_at", "revoked_at", "revoke_reason", "state"]


class AuditTrailEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", allow_null=True, default=None,
                                  read_only=True)
    changes = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "verb", "subject", "summary", "changes"]


class AuditTrailPageSerializer(serializers.Serializer):
    results = AuditTrailEventSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
