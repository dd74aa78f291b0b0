"""Credly as an adapter: badge actions out through the outbox, issued badges in by the sync."""

from integrations.adapters import AdapterConfig


class CredlyConfig(AdapterConfig):
    name = "integrations.credly"
    label = "credly"
    verbose_name = "Credly"
    default = True
    # Badges are issued for passed exams with nobody watching: Credly down for an hour must
    # end in badges issued, not in failed rows (see integrations.retry "unattended").
    retry_policy = "unattended"
