"""Mail backends that fail the way real mail servers do, for the workspace e-mail tests."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    """Down (the connection refused) for the first ``FlakyBackend.failures`` attempts (the
    tests set it), then up."""

    failures = 0
    attempts = 0

    def open(self):
        FlakyBackend.attempts += 1
        if FlakyBackend.attempts <= FlakyBackend.failures:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().open()


class RefusingBackend(EmailBackend):
    """Refuses every recipient, like a server that bounces an unknown mailbox."""

    def send_messages(self, messages):
        for message in messages:
            raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"mailbox unknown")})
        return 0
