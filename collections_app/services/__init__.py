"""Every write of the collector's workflow (DESIGN.md "services")."""

from .activities import call_log, note_add
from .contacts import billing_address_update, contact_add, contact_update
from .disputes import dispute_close, dispute_raise
from .emails import EMAIL_TEMPLATES, statement_email_send, statement_pdf
from .escalations import escalation_raise, escalation_resolve
from .follow_ups import follow_up_complete, follow_up_schedule
from .payment_plans import payment_plan_agree, payment_plan_cancel, payment_plans_evaluate
from .promises import on_cash_applied, promise_cancel, promise_record, promises_evaluate
from .queue import queue_state_refresh
from .team import customers_reassign

__all__ = [
    "EMAIL_TEMPLATES",
    "billing_address_update",
    "call_log",
    "contact_add",
    "contact_update",
    "customers_reassign",
    "dispute_close",
    "dispute_raise",
    "escalation_raise",
    "escalation_resolve",
    "follow_up_complete",
    "follow_up_schedule",
    "note_add",
    "on_cash_applied",
    "payment_plan_agree",
    "payment_plan_cancel",
    "payment_plans_evaluate",
    "promise_cancel",
    "promise_record",
    "promises_evaluate",
    "queue_state_refresh",
    "statement_email_send",
    "statement_pdf",
]
