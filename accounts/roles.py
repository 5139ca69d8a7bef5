"""The five roles of DESIGN.md and what each may do, as Django groups.

The data migration builds the groups from this table; tests and ``seed_demo`` read it
too, so the table is the one place a role's reach is decided.
"""

COLLECTOR = "Collector"
CREDIT_MANAGER = "Credit Manager"
FINANCE = "Finance"
CFO = "CFO"
ADMIN = "Admin"

_VIEW_ALL = [
    "accounts.view_customer",
    "accounts.view_contact",
    "accounts.view_paymentterms",
    "accounts.view_currency",
    "accounts.view_exchangerate",
    "invoices.view_invoice",
    "invoices.view_payment",
    "invoices.view_creditmemo",
    "invoices.view_application",
    "invoices.view_adjustment",
]
TEAM_VIEW = "accounts.view_all_portfolios"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    COLLECTOR: [*_VIEW_ALL, "accounts.add_contact", "accounts.change_contact"],
    CREDIT_MANAGER: [
        *_VIEW_ALL,
        TEAM_VIEW,
        "accounts.change_customer",
        "accounts.add_contact",
        "accounts.change_contact",
        "invoices.add_adjustment",
        "accounts.view_auditentry",
    ],
    FINANCE: [
        *_VIEW_ALL,
        TEAM_VIEW,
        "accounts.add_customer",
        "accounts.add_contact",
        "accounts.add_exchangerate",
        "invoices.add_invoice",
        "invoices.add_payment",
        "invoices.add_creditmemo",
        "invoices.add_application",
        "invoices.add_adjustment",
    ],
    CFO: [*_VIEW_ALL, TEAM_VIEW, "accounts.view_auditentry"],
    ADMIN: [
        *_VIEW_ALL,
        TEAM_VIEW,
        "accounts.add_customer",
        "accounts.change_customer",
        "accounts.add_contact",
        "accounts.change_contact",
        "accounts.add_currency",
        "accounts.add_exchangerate",
        "accounts.add_paymentterms",
        "accounts.view_auditentry",
        "invoices.add_invoice",
        "invoices.add_payment",
        "invoices.add_creditmemo",
        "invoices.add_application",
        "invoices.add_adjustment",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    ],
}


def sync_role_groups(group_model, permission_model) -> None:
    """Create or refresh the groups; used by the data migration and by ``seed_demo``."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
