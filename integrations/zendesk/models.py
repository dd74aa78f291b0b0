"""What EduDesk keeps of Zendesk beyond the domain: the people it has seen."""

from django.db import models


class ZendeskUser(models.Model):
    """A Zendesk user as last seen, so requesters and comment authors have names."""

    zendesk_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    role = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

