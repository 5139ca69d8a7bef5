"""Handing one e-mail to the mail backend so that it is sent at most once: every app that
writes to customers (dunning's letters, the workspace's statement e-mails) sends through here.

The caller gives each message a Message-ID derived from what it sends (``message_id``), so
the same message always carries the same one. A backend that can look a Message-ID up
(``was_delivered``, the quickstart's KeyedFileBackend) lets an interrupted send be finished
without sending twice; with one that cannot (SMTP), an interrupted send is not repeated
automatically but left for a person to check.

What a failure means for trying again:

- the server could not be reached, or answered 4xx ("try again later") → ``Deferred``: no
  message was accepted, so the send may be retried with back-off;
- the connection dropped or timed out once the message was being handed over → ``Uncertain``:
  the server may have accepted it (a drop during DATA, after the final dot), so it is never
  sent again automatically;
- anything else (5xx: an address refused, a message rejected) is for a person to fix.
"""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as database


class TransientSendError(Exception):
    """The mail server accepted nothing and may be back soon (unreachable, 4xx): the
    sender's task tries again with back-off (dunning's letters, the workspace's e-mails)."""


# No message left us: connecting failed.
UNREACHABLE = (smtplib.SMTPConnectError, ConnectionError, TimeoutError, OSError)
# The message may have left us: the line dropped mid-conversation.
DROPPED = (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError)


class Deferred(Exception):
    """Not accepted, and worth trying again later (server unreachable or 4xx)."""


class Uncertain(Exception):
    """The connection was lost while the message was handed over: it may have been accepted."""


def message_id(kind: str, key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "dunwell.local"
    return f"<{kind}.{key.replace(':', '.')}@{domain}>"


@contextlib.contextmanager
def sending_lock(namespace: int, pk: int):
    """A PostgreSQL advisory lock on one message to send (yields whether it was got): a
    duplicate delivery of the same task cannot send at the same moment, and a killed
    worker's lock dies with its connection."""
    key = (namespace << 40) | pk
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with database.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def deliver(message: EmailMessage) -> None:
    """Send one message (with its Message-ID header set); raises Deferred, Uncertain, or the
    backend's own error for a refusal."""
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
    """What a person needs to read: which address, what the server said."""
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


def was_delivered(message_id: str) -> bool | None:
    """True/False when the backend can tell; None when it cannot."""
    check = getattr(get_connection(), "was_delivered", None)
    return check(message_id) if check else None
