"""Mail backends that fail the way real mail servers do, for the retry-queue tests."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class RefusingBackend(EmailBackend):
    """Refuses recipients at acme.example, like a server that bounces an unknown mailbox."""

    def send_messages(self, messages):
        for message in messages:
            if any(to.endswith("@acme.example") for to in message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"mailbox unknown")})
        return super().send_messages(messages)


class BusyBackend(EmailBackend):
    """Answers every connection with 421, like a mail server that is busy: try again later."""

    def open(self):
        raise smtplib.SMTPConnectError(421, b"too busy, try again later")
