"""Handing a dunning e-mail to the mail backend, keyed by the communication's idempotency key
(``customer:level:run``). The Message-ID is derived from the key, so the same communication
always carries the same one; how a failure is sorted (Deferred: retry; Uncertain: a person
checks the mail log) is accounts/mail_delivery.py's, shared with the workspace's e-mails."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives

from accounts import mail_delivery
from accounts.mail_delivery import Deferred, Uncertain, describe

__all__ = ["Deferred", "Uncertain", "describe", "message_id", "send_email", "was_delivered"]


def message_id(key: str) -> str:
    return mail_delivery.message_id("dunning", key)


def send_email(
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: list[tuple[str, bytes, str]],
    reply_to: str = "",
) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        reply_to=[reply_to] if reply_to else [],
        headers={"Message-ID": message_id(key)},
    )
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    mail_delivery.deliver(message)


def was_delivered(key: str) -> bool | None:
    """True/False when the backend can tell; None when it cannot."""
    return mail_delivery.was_delivered(message_id(key))
