"""An e-mail backend that writes one .eml file per message and can say whether a message with
a given Message-ID was delivered.

Used by `make run` (files under var/mail) and by the dunning reliability test: a dunning send
interrupted mid-delivery asks ``was_delivered`` before deciding to send again. Each delivery
gets its own file (never overwritten), so a duplicate send shows up as two files.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


def _file_stem(message_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in message_id.strip("<>"))


class KeyedFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            mime = message.message()
            stem = _file_stem(mime.get("Message-ID", "")) or "message"
            final = self.path / f"{stem}--{uuid.uuid4().hex}.eml"
            partial = final.with_suffix(".part")
            with partial.open("wb") as out:
                out.write(mime.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            # A rename is atomic: a reader sees the whole message or none of it.
            os.replace(partial, final)
            sent += 1
        return sent

    def was_delivered(self, message_id: str) -> bool:
        return any(self.path.glob(f"{_file_stem(message_id)}--*.eml"))
