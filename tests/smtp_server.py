"""A real SMTP server for the suite (aiosmtpd on a free port of this machine) that answers as
it is told: accept, refuse a recipient, answer DATA with 4xx, or drop the line once the whole
message has arrived. Used by the dunning and workspace e-mail tests."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
from contextlib import closing

from aiosmtpd.controller import Controller


class Server:
    """What the SMTP server answers: accept, or fail the way a real one can."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.data_attempts = 0
        self.rcpt_answer = ""  # "550 …": refuse the recipient
        self.data_answers: list[str] = []  # answers to DATA in turn ("451 …"), then accept
        self.drop_during_data = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.drop_during_data:
            # The whole message arrived; the line drops before the server's answer.
            self.messages.append(envelope.content)
            server.transport.abort()
            return None
        if self.data_answers:
            return self.data_answers.pop(0)
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def parsed(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(m, policy=email.policy.default) for m in self.messages]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_server(settings):
    """Start the server and point Django's SMTP backend at it for the test."""
    server = Server()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        controller.stop()
