"""Demo and generated data: ``seed_demo`` for people trying Dunwell, ``generate_data`` for
performance work. Both take their shape from ``shape.py``; the demo logins are listed in
``logins.py``."""

# Every demo login (and every generated collector) signs in with this. Demo data only.
DEMO_PASSWORD = "dunwell-demo"  # noqa: S105
