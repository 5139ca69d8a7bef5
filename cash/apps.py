from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "cash"
    verbose_name = "Cash application"

    def ready(self) -> None:
        from accounts import context_processors

        from .views import navigation_entries

        if navigation_entries not in context_processors.nav_extensions:
            context_processors.nav_extensions.append(navigation_entries)
