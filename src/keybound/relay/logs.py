"""Structured logs: one ``key=value`` line (or JSON object) per event.

What may appear: event names, counts, sizes, durations, error codes, client
IP addresses, and a short pseudonym of a device (8 hex digits of a hash of
its address) to follow one device through a log.  What never appears:
payloads, keys, signatures, identity documents, full identity or device IDs.
Callers pass only such fields; this module just formats them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time

from keybound.wire.frames import DeviceAddress

LOGGER_NAME = "keybound.relay"


def pseudonym(device: DeviceAddress | None) -> str:
    """A short stable tag for a device in logs (not its ID)."""
    if device is None:
        return "-"
    digest = hashlib.sha256(b"log\x00" + device.identity_id + b"\x00" + device.device_id)
    return digest.hexdigest()[:8]


def log_event(
    logger: logging.Logger, event: str, *, level: int = logging.INFO, **fields: object
) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={"kb_fields": fields})


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = getattr(record, "kb_fields", {})
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [f"ts={stamp}.{int(record.msecs):03d}Z", f"level={record.levelname.lower()}"]
        parts.append(f"event={_kv(record.getMessage())}")
        parts.extend(f"{k}={_kv(v)}" for k, v in fields.items())
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = getattr(record, "kb_fields", {})
        return json.dumps(
            {
                "ts": record.created,
                "level": record.levelname.lower(),
                "event": record.getMessage(),
                **{
                    k: v if isinstance(v, int | float | bool) else str(v) for k, v in fields.items()
                },
            },
            sort_keys=False,
        )


def _kv(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\n'):
        return json.dumps(text)
    return text


def setup_logging(level: str = "info", fmt: str = "kv") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger(LOGGER_NAME)
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    # websockets logs handshake failures with tracebacks at error level; keep it quiet
    logging.getLogger("websockets").setLevel(logging.CRITICAL)
