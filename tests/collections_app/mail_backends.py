"""Mail backends that fail the way real mail servers do, for the workspace e-mail tests."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    """Down for the first ``FlakyBackend.failures`` sends (the tests set it), then up."""

    failures = 0
    attempts = 0

    def send_messages(self, messages):
        FlakyBackend.attempts += 1
        if FlakyBackend.attempts <= FlakyBackend.failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefusingBackend(EmailBackend):
    """Refuses every recipient, like a server that bounces an unknown mailbox."""

    def send_messages(self, messages):
        for message in messages:
            raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"mailbox unknown")})
        return 0
