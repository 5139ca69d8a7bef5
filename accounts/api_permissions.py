"""API permissions are the pages' permissions: the role's model permissions, read included."""

from rest_framework.permissions import DjangoModelPermissions


class RolePermissions(DjangoModelPermissions):
    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


def requires(*perms: str):
    """A permission class for one custom action (e.g. apply, reverse)."""

    from rest_framework.permissions import BasePermission

    class _Requires(BasePermission):
        def has_permission(self, request, view):
            return bool(
                request.user and request.user.is_authenticated and request.user.has_perms(perms)
            )

    _Requires.__name__ = "Requires_" + "_".join(p.split(".")[-1] for p in perms)
    return _Requires
