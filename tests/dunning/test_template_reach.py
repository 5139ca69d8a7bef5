"""Reach of the dunning template editor."""

# Id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
ROUTES: set[str] = set()
