"""The base every adapter's Django app is built on."""

from importlib import import_module

from django.apps import AppConfig


class AdapterConfig(AppConfig):
    """Base of every adapter's app: its label is the outbox system it delivers for, and its
    `delivery` module's `deliver` is registered at start-up; `connect()` hooks it to the
    domain's signals where it listens to any."""

    # Django picks the one config class of an apps module marked default; this base is
    # imported into every adapter's apps module, so it must not be a candidate itself.
    default = False
    # The integrations.retry policy its deliveries use ("unattended" for work nobody waits on).
    retry_policy = "delivery"

    def ready(self) -> None:
        from . import outbox

        delivery = import_module(f"{self.name}.delivery")
        # An adapter whose delivery module has deliver_batch is drained in batches.
        outbox.register_deliverer(self.label, delivery.deliver, retry_policy=self.retry_policy,
                                  batch=getattr(delivery, "deliver_batch", None))
        self.connect(delivery)

    def connect(self, delivery) -> None:
        """Nothing to listen to by default."""
