from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_default_policy(sender, using="default", **kwargs) -> None:
    """Keep the default dunning policy and templates in step with the code after every
    migrate (and after a test database flush, which empties them)."""
    from .defaults import ensure_dunning_defaults
    from .models import DunningLevel, DunningPolicy, DunningTemplate

    ensure_dunning_defaults(DunningTemplate, DunningPolicy, DunningLevel)


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = "Dunning"

    def ready(self) -> None:
        post_migrate.connect(_ensure_default_policy, sender=self)

        from collections_app import workspace_extensions

        from .account_views import workspace_context

        if workspace_context not in workspace_extensions.context_hooks:
            workspace_extensions.context_hooks.append(workspace_context)
