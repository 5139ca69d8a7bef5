from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_reasons(sender, using="default", **kwargs) -> None:
    """After every migrate (and a test database flush, which empties the table)."""
    from .models import DisputeReason
    from .reference_data import ensure_dispute_reasons

    ensure_dispute_reasons(DisputeReason)


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self) -> None:
        post_migrate.connect(_ensure_reasons, sender=self)

        from accounts import context_processors

        from .views import navigation_entries

        if navigation_entries not in context_processors.nav_extensions:
            context_processors.nav_extensions.append(navigation_entries)
