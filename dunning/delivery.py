"""Handing a dunning e-mail to the mail backend, keyed by the communication's idempotency key.

The Message-ID is derived from the key, so the same communication always carries the same
Message-ID. A backend that can look a Message-ID up (``was_delivered``) lets an interrupted
send be finished without sending twice; with one that cannot (SMTP), an interrupted send is
not repeated automatically but put in the retry queue for a person to check.

What a failure means for trying again:

- the server could not be reached, or answered 4xx ("try again later") → ``Deferred``: no
  message was accepted, so the send is retried with back-off;
- the connection dropped or timed out once the message was being handed over → ``Uncertain``:
  the server may have accepted it (a drop during DATA, after the final dot), so it is never
  sent again automatically;
- anything else (5xx: an address refused, a message rejected) is for a person to fix.
"""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

# No message left us: connecting failed.
UNREACHABLE = (smtplib.SMTPConnectError, ConnectionError, TimeoutError, OSError)
# The message may have left us: the line dropped mid-conversation.
DROPPED = (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError)


class Deferred(Exception):
    """Not accepted, and worth trying again later (server unreachable or 4xx)."""


class Uncertain(Exception):
    """The connection was lost while the message was handed over: it may have been accepted."""


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "dunwell.local"
    return f"<dunning.{key.replace(':', '.')}@{domain}>"


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
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except smtplib.SMTPResponseException as exc:  # the greeting: 421 busy, 554 go away
        if _temporary(exc.smtp_code):
            raise Deferred(describe(exc)) from exc
        raise
    except UNREACHABLE as exc:
        raise Deferred(f"mail server unreachable: {describe(exc)}") from exc
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        if all(_temporary(code) for code, _reply in exc.recipients.values()):
            raise Deferred(describe(exc)) from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if _temporary(exc.smtp_code):
            raise Deferred(describe(exc)) from exc
        raise
    except DROPPED as exc:
        raise Uncertain(describe(exc)) from exc
    finally:
        # The message's fate is decided above; a failed QUIT changes nothing.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def describe(exc: Exception) -> str:
    """What a person in the retry queue needs to read: which address, what the server said."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{address} ({code} {_text(reply)})"
            for address, (code, reply) in exc.recipients.items()
        ]
        return "address refused by the mail server: " + ", ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def was_delivered(key: str) -> bool | None:
    """True/False when the backend can tell; None when it cannot."""
    check = getattr(get_connection(), "was_delivered", None)
    return check(message_id(key)) if check else None
