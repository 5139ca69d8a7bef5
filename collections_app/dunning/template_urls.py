"""Dunning template editor with its sandboxed live preview (admins)."""

urlpatterns: list = []
