"""The desk's business rules for classifying a ticket from its tags: topic and region.

Adapters map upstream data to tags; what the tags mean for the desk is decided here, so the
inbox's categorisation and any future source can follow the same rules.
"""

from .models import Ticket

# L&D runs these trainings; upstream they are tagged as ordinary training.
LD_TRAINING_TAGS = frozenset({"remote_foundations", "teamops", "ld_training"})


def topic_of(tags: list[str]) -> str:
    topics = [t.removeprefix("topic_") for t in tags if t.startswith("topic_")]
    topic = next((t for t in topics if t in Ticket.Topic.values), "")
    if topic == Ticket.Topic.TRAINING and LD_TRAINING_TAGS & set(tags):
        return Ticket.Topic.LD_TRAINING
    return topic


def region_of(tags: list[str], regions: dict[str, int]) -> int | None:
    """The region pk named by the first `region_<code>` tag that is a known region."""
    for tag in tags:
        if tag.startswith("region_"):
            found = regions.get(tag.removeprefix("region_").upper())
            if found:
                return found
    return None
