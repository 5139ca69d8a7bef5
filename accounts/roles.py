"""The five roles of DESIGN.md and what each may do, as Django groups.

The data migration builds the groups from this table; tests and ``seed_demo`` read it
too, so the table is the one place a role's reach is decided.
"""

COLLECTOR = "Collector"
CREDIT_MANAGER = "Credit Manager"
FINANCE = "Finance"
CFO = "CFO"
ADMIN = "Admin"
# Sales, shipping and billing staff who resolve disputes routed to their department or
# assigned to them, and see nothing else of a customer's ledger (docs/disputes.md).
RESOLVER = "Resolver"

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
    "collections_app.view_activity",
    "collections_app.view_promise",
    "collections_app.view_paymentplan",
    "collections_app.view_followup",
    "collections_app.view_escalation",
    "collections_app.view_queuestate",
    "disputes.view_dispute",
    "credit.view_creditchange",
    "credit.view_limitchangerequest",
    "orders.view_order",
    # exporting a report is reading it: the export obeys the same reach
    "reporting.view_exportjob",
    "reporting.add_exportjob",
    "reporting.view_arsnapshot",
]
TEAM_VIEW = "accounts.view_all_portfolios"
# Dunning: runs cover every portfolio, so their pages also need the team view.
DUNNING_VIEW = [
    "dunning.view_dunningrun",
    "dunning.view_dunningpolicy",
    "dunning.view_dunningtemplate",
]
DUNNING_RUN = ["dunning.add_dunningrun", "dunning.approve_dunningrun"]
DUNNING_STOP = "dunning.change_dunningprofile"
DUNNING_EDIT = [
    "dunning.change_dunningtemplate",
    "dunning.change_dunningpolicy",
    "dunning.change_dunninglevel",
]
REASSIGN = "collections_app.reassign_customers"
# Credit control (docs/credit.md): change status and limits (within one's credit authority),
# and work the credit inbox; authorities are set in the admin.
CREDIT_CHANGE = ["credit.change_credit", "credit.view_credit_inbox"]
CREDIT_AUTHORITY_EDIT = [
    "credit.view_creditauthority",
    "credit.add_creditauthority",
    "credit.change_creditauthority",
]
# Cash application (docs/cash.md): finance's pages; reading them is for finance, the CFO
# and admins, not collectors.
CASH_VIEW = "cash.view_cash"
CASH_WORK = "cash.work_cash"
CASH_APPROVE_WRITE_OFF = "cash.approve_write_off"
# refunds and contras above CASH_REFUND_APPROVAL_LIMIT: admins; a finance user given it by name
CASH_APPROVE_REFUND = "cash.approve_refund"
# Orders held for credit review (docs/orders.md): releasing is bounded by the user's credit
# authority, so a collector releases small orders of their portfolio; the ERP's integration
# user (finance or admin) sends and changes orders; admins retry dead webhook deliveries.
ORDER_RELEASE = "orders.release_order"
ORDER_IN = ["orders.add_order", "orders.change_order"]
ORDER_WEBHOOKS = ["orders.view_webhookdelivery", "orders.change_webhookdelivery"]
# Disputes (docs/disputes.md): work one (move, assign, comment, attach) within reach;
# resolving with a credit memo is for collectors, credit managers, finance and admins.
DISPUTE_WORK = "disputes.change_dispute"
DISPUTE_CREDIT = "disputes.resolve_with_credit"
DISPUTE_ROUTED = "disputes.view_routed_disputes"
_WORK_ACCOUNTS = [
    "collections_app.add_activity",
    "collections_app.add_promise",
    "collections_app.add_paymentplan",
    "collections_app.add_followup",
    "collections_app.add_escalation",
    "disputes.add_dispute",
    DISPUTE_WORK,
    DISPUTE_CREDIT,
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    COLLECTOR: [
        *_VIEW_ALL,
        *_WORK_ACCOUNTS,
        DUNNING_STOP,
        "accounts.add_contact",
        "accounts.change_contact",
        ORDER_RELEASE,
    ],
    CREDIT_MANAGER: [
        *_VIEW_ALL,
        *_WORK_ACCOUNTS,
        TEAM_VIEW,
        REASSIGN,
        *DUNNING_VIEW,
        *DUNNING_RUN,
        DUNNING_STOP,
        "dunning.change_dunninglevel",
        "accounts.change_customer",
        "accounts.add_contact",
        "accounts.change_contact",
        "invoices.add_adjustment",
        "accounts.view_auditentry",
        *CREDIT_CHANGE,
        ORDER_RELEASE,
        CASH_APPROVE_WRITE_OFF,
    ],
    FINANCE: [
        *_VIEW_ALL,
        TEAM_VIEW,
        "accounts.add_customer",
        "accounts.add_contact",
        "accounts.add_exchangerate",
        "accounts.change_exchangerate",
        "invoices.add_invoice",
        "invoices.add_payment",
        "invoices.add_creditmemo",
        "invoices.add_application",
        "invoices.add_adjustment",
        CASH_VIEW,
        CASH_WORK,
        *ORDER_IN,
        DISPUTE_WORK,
        DISPUTE_CREDIT,
    ],
    CFO: [*_VIEW_ALL, TEAM_VIEW, *DUNNING_VIEW, "accounts.view_auditentry", CASH_VIEW],
    # reference data (rates) is no customer's ledger; every role reads it
    RESOLVER: [
        DISPUTE_ROUTED,
        DISPUTE_WORK,
        "accounts.view_currency",
        "accounts.view_exchangerate",
    ],
    ADMIN: [
        *_VIEW_ALL,
        *_WORK_ACCOUNTS,
        TEAM_VIEW,
        REASSIGN,
        "accounts.add_customer",
        "accounts.change_customer",
        "accounts.add_contact",
        "accounts.change_contact",
        "accounts.add_currency",
        "accounts.add_exchangerate",
        "accounts.change_exchangerate",
        "accounts.add_paymentterms",
        "accounts.view_auditentry",
        "invoices.add_invoice",
        "invoices.add_payment",
        "invoices.add_creditmemo",
        "invoices.add_application",
        "invoices.add_adjustment",
        *DUNNING_VIEW,
        *DUNNING_RUN,
        *DUNNING_EDIT,
        DUNNING_STOP,
        *CREDIT_CHANGE,
        *CREDIT_AUTHORITY_EDIT,
        ORDER_RELEASE,
        *ORDER_IN,
        *ORDER_WEBHOOKS,
        CASH_VIEW,
        CASH_WORK,
        CASH_APPROVE_WRITE_OFF,
        CASH_APPROVE_REFUND,
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    ],
}


def sync_role_groups(group_model, permission_model) -> None:
    """Create or refresh the groups; used by the data migration and by ``seed_demo``."""
    # Inside a migration (historical models) the permissions of models added by later
    # migrations do not exist yet; the post_migrate re-sync adds them, strictly.
    historical = permission_model.__module__ == "__fake__"
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None and not historical:
                raise permission_model.DoesNotExist(perm)
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
