"""Public facts about enrolled FIDO2 credentials, kept in the profile.

A FIDO2 key cannot tell us its credential's public key later, and CTAP has no
serial number; so after enrollment we remember the credential ID, RP ID, public
key and UV choice (all public) in ``tokens.json``. An OpenPGP card needs no
entry: its keys are readable from the card.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..errors import ProfileError
from .base import PublicKey, SignatureScheme

FILE_NAME = "tokens.json"
FORMAT_VERSION = 1


def _encode(key: PublicKey) -> dict[str, Any]:
    data = asdict(key)
    data["key"] = key.key.hex()
    data["credential_id"] = key.credential_id.hex()
    data["scheme"] = str(key.scheme)
    return data


def _decode(data: dict[str, Any]) -> PublicKey:
    return PublicKey(
        scheme=SignatureScheme(data["scheme"]),
        key=bytes.fromhex(data["key"]),
        rp_id=str(data.get("rp_id", "")),
        credential_id=bytes.fromhex(data.get("credential_id", "")),
        user_verification=bool(data.get("user_verification", False)),
    )


class CredentialRegistry:
    def __init__(self, profile: Path) -> None:
        self.path = profile / FILE_NAME

    def credentials(self) -> list[PublicKey]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text())
            return [_decode(item) for item in data["credentials"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ProfileError(f"{self.path} is damaged ({type(exc).__name__}).") from None

    def add(self, key: PublicKey) -> None:
        items = [k for k in self.credentials() if k.credential_id != key.credential_id]
        entries = [_encode(k) for k in [*items, key]]
        self._write({"version": FORMAT_VERSION, "credentials": entries})

    def remove(self, key: PublicKey) -> None:
        """Forget a credential (its key was removed from the account)."""
        items = [k for k in self.credentials() if k.credential_id != key.credential_id]
        self._write({"version": FORMAT_VERSION, "credentials": [_encode(k) for k in items]})

    def _write(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
