from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data (``seed_demo``, ``generate_data``). It spans every app, so it sits
    on top of them; production settings may leave it out (DEMO_APP=0)."""

    name = "demo"
    verbose_name = "Demo and scale data"
