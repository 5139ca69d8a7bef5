from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = "Credit control"

    def ready(self) -> None:
        from accounts import context_processors
        from collections_app import workspace_extensions

        from .views import navigation_entries, workspace_context

        if workspace_context not in workspace_extensions.context_hooks:
            workspace_extensions.context_hooks.append(workspace_context)
        if navigation_entries not in context_processors.nav_extensions:
            context_processors.nav_extensions.append(navigation_entries)
