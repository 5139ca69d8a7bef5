"""Handing a dunning e-mail to the mail backend, keyed by the communication's idempotency key.

The Message-ID is derived from the key, so the same communication always carries the same
Message-ID. A backend that can look a Message-ID up (``was_delivered``) lets an interrupted
send be finished without sending twice; with one that cannot (SMTP), an interrupted send is
not repeated automatically but put in the retry queue for a person to check.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.html import strip_tags


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "dunwell.local"
    return f"<dunning.{key.replace(':', '.')}@{domain}>"


def send_email(
    *, key: str, to: str, subject: str, html: str, attachments: list[tuple[str, bytes, str]]
) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=strip_tags(html).strip(),
        to=[to],
        headers={"Message-ID": message_id(key)},
    )
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send(fail_silently=False)


def was_delivered(key: str) -> bool | None:
    """True/False when the backend can tell; None when it cannot."""
    check = getattr(get_connection(), "was_delivered", None)
    return check(message_id(key)) if check else None
