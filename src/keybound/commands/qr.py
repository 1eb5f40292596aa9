"""The invite as a QR code image (segno, pure Python), written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import segno

from ..errors import UserFacingError


def write_png(payload: bytes, path: Path) -> None:
    """Write ``payload`` (the binary invite, see ``identity.fingerprint.encode_qr``)."""
    qr = segno.make(payload, error="m", micro=False)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            qr.save(out, kind="png", scale=8, border=4)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise UserFacingError(f"Cannot write {path}: {exc.strerror}.") from None
