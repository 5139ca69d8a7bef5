"""Reach of the dunning pages (runs, policies, stops, documents)."""

# Id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
ROUTES: set[str] = set()
