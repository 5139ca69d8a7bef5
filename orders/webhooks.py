"""Signing and sending the decision webhook (docs/orders.md has the receiving side).

The signature is HMAC-SHA256 with the shared secret over ``<timestamp>.<body>``; the
timestamp travels in its own header so a receiver can refuse old replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request

TIMESTAMP_HEADER = "Dunwell-Timestamp"
SIGNATURE_HEADER = "Dunwell-Signature"
REPLAY_WINDOW_SECONDS = 300
TIMEOUT_SECONDS = 10


def sign(secret: str, timestamp: int, body: str) -> str:
    message = f"{timestamp}.{body}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: str,
    signature: str,
    *,
    now: float | None = None,
    window: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent) > window:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def send(url: str, secret: str, body: str) -> str | None:
    """POST the body; None when the receiver answered 2xx, else what went wrong."""
    if not url.startswith(("https://", "http://")):
        return f"not delivered: {url!r} is not an http(s) URL"
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"not delivered: {getattr(error, 'reason', error)}"
    return None if 200 <= status < 300 else f"HTTP {status}"
