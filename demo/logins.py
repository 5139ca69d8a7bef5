"""The demo's people: one login per role, all with the one published demo password."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission

from accounts import roles
from disputes.models import DepartmentMember

from . import DEMO_PASSWORD


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    is_admin: bool = False

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@dunwell.example".lower()


DEMO_USERS = [
    DemoUser("collector1", roles.COLLECTOR, "Dana", "Whitfield"),
    DemoUser("collector2", roles.COLLECTOR, "Marcus", "Ortega"),
    DemoUser("collector3", roles.COLLECTOR, "Priya", "Raman"),
    DemoUser("credit_manager", roles.CREDIT_MANAGER, "Helen", "Brooks"),
    DemoUser("cfo", roles.CFO, "Robert", "Kline"),
    DemoUser("finance", roles.FINANCE, "Aisha", "Kamara"),
    DemoUser("admin", roles.ADMIN, "Sam", "Carter", is_admin=True),
    # shipping staff who resolve the disputes routed to shipping (docs/disputes.md)
    DemoUser("resolver", roles.RESOLVER, "Tom", "Baker"),
]
COLLECTOR_USERNAMES = [u.username for u in DEMO_USERS if u.role == roles.COLLECTOR]


def demo_users_ensure() -> tuple[dict[str, object], list[str]]:
    """The demo users by username, and the usernames this call created.

    A user that already exists is left exactly as it is (its password too), so running
    the demo seed again changes nothing.
    """
    roles.sync_role_groups(Group, Permission)
    User = get_user_model()
    users: dict[str, object] = {}
    created: list[str] = []
    password_hash = None  # one hash for all: the password is published, a hash costs ~0.7 s
    for spec in DEMO_USERS:
        user, is_new = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": spec.email,
                "is_staff": spec.is_admin,
                "is_superuser": spec.is_admin,
            },
        )
        if is_new:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=spec.role))
            created.append(spec.username)
        users[spec.username] = user
    DepartmentMember.objects.get_or_create(user=users["resolver"], department="shipping")
    return users, created
