"""API tokens stop working while their user is locked out of the login page.

DRF's TokenAuthentication already refuses a deactivated user. A user locked out by
django-axes (too many failed logins for that username) is refused too until the lock
lapses, so a stolen token cannot outlast the lock the owner's login is under.
"""

from __future__ import annotations

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def login_locked(username: str) -> bool:
    """Whether failed logins for ``username`` have reached the limit within the cool-off."""
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    limit = get_failure_limit(None, {"username": username})
    attempts = AccessAttempt.objects.filter(username=username, failures_since_start__gte=limit)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.exists()


class UnlockedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if login_locked(user.get_username()):
            raise AuthenticationFailed(
                "the account is locked after too many failed logins; try again later"
            )
        return user, token
