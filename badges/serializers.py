"""The certification result a grading form or LMS posts, validated into the service's arguments."""

from rest_framework import serializers

from .models import Certification

RESULT_TYPE = "certification.submitted"


class EarnerSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=200)
    last_name = serializers.CharField(max_length=200)


class ResultDataSerializer(serializers.Serializer):
    submission_id = serializers.CharField(max_length=100)
    certification = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Certification.objects.filter(active=True).select_related("badge_template"))
    earner = EarnerSerializer()
    score = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False,
                                     allow_null=True)
    passed = serializers.BooleanField(required=False, allow_null=True)
    submitted_at = serializers.DateTimeField()

    def validate(self, attrs):
        certification = attrs["certification"]
        if certification.passing_score is not None and attrs.get("score") is None:
            raise serializers.ValidationError(
                {"score": "Required: this certification passes on its score."})
        if certification.passing_score is None and attrs.get("passed") is None:
            raise serializers.ValidationError(
                {"passed": "Required: this certification takes the sender's pass or fail."})
        return attrs


class ResultSerializer(serializers.Serializer):
    """{"type": "certification.submitted", "timestamp", "data": {submission_id, certification
    (its code), earner {email, first_name, last_name}, score, passed, submitted_at}}."""

    type = serializers.ChoiceField(choices=[RESULT_TYPE])
    timestamp = serializers.DateTimeField(required=False)
    data = ResultDataSerializer()
