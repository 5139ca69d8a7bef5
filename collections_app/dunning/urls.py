"""Dunning pages: runs, their preview, progress and retry queue; policies; stops."""

urlpatterns: list = []
