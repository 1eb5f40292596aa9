"""The virtual card: one ATR, one or more applets chosen by SELECT, a state file.

It speaks raw APDUs (bytes in, bytes out) and knows nothing about how it is
attached: ``vpcd`` connects it to real pcscd, ``inprocess`` calls it directly.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from ..apdu import CommandApdu, ResponseApdu
from .presence import UserPresence

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_FILE_NOT_FOUND = 0x6A82
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_CONDITIONS_NOT_SATISFIED = 0x6985


class Applet(Protocol):
    """An application on the card (OpenPGP, FIDO2)."""

    aid: bytes  # full AID; SELECT by any prefix of at least 5 bytes matches

    def select(self) -> ResponseApdu: ...

    def process(self, apdu: CommandApdu) -> ResponseApdu: ...

    def reset(self) -> None:
        """Power cycle: forget verified PINs and pending operations."""

    def to_state(self) -> dict[str, Any]:
        """JSON-able persistent state (keys, PINs, counters)."""

    @property
    def dirty(self) -> bool:
        """State changed since the last save."""

    def mark_saved(self) -> None: ...


def _atr(historical: bytes) -> bytes:
    """A T=1 ATR with the given historical bytes and its check byte."""
    t0 = 0x80 | len(historical)
    body = bytes((t0, 0x80, 0x01)) + historical  # TD1: T=0 follows TD2; TD2: T=1
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


# Category 0x80, card capabilities (tag 7, len 3): chaining and extended Lc/Le.
CARD_ATR = _atr(bytes.fromhex("8073c021c0"))


class VirtualCard:
    """A card holding applets; thread-safe; saves state after each changing command."""

    def __init__(
        self,
        applets: list[Applet],
        presence: UserPresence,
        state_file: Path | None = None,
    ) -> None:
        self.applets = applets
        self.state_file = state_file
        self.presence = presence
        self.atr = CARD_ATR
        self._selected: Applet | None = None
        self._lock = threading.Lock()
        self.apdu_count = 0

    # --- power -----------------------------------------------------------------

    def power_on(self) -> None:
        self.reset()

    def power_off(self) -> None:
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._selected = None
            for applet in self.applets:
                applet.reset()

    # --- APDUs -----------------------------------------------------------------

    def transmit(self, raw: bytes) -> bytes:
        with self._lock:
            self.apdu_count += 1
            try:
                apdu = CommandApdu.parse(raw)
            except ValueError:
                return ResponseApdu(b"", SW_WRONG_LENGTH).encode()
            response = self._dispatch(apdu)
            self._save_if_dirty()
            return response.encode()

    def _dispatch(self, apdu: CommandApdu) -> ResponseApdu:
        if apdu.cla & 0x80 == 0 and apdu.ins == 0xA4 and apdu.p1 == 0x04:
            return self._select(apdu.data)
        if self._selected is None:
            return ResponseApdu(b"", SW_CONDITIONS_NOT_SATISFIED)
        return self._selected.process(apdu)

    def _select(self, aid: bytes) -> ResponseApdu:
        for applet in self.applets:
            if len(aid) >= 5 and applet.aid.startswith(aid):
                self._selected = applet
                return applet.select()
        self._selected = None
        return ResponseApdu(b"", SW_FILE_NOT_FOUND)

    # --- state -------------------------------------------------------------------

    def save(self) -> None:
        """Write the state file now (a new card is saved before first use)."""
        with self._lock:
            self._save(force=True)

    def _save_if_dirty(self) -> None:
        self._save(force=False)

    def _save(self, force: bool) -> None:
        if self.state_file is None or not (force or any(a.dirty for a in self.applets)):
            return
        save_state(self.state_file, {type(a).__name__: a.to_state() for a in self.applets})
        for applet in self.applets:
            applet.mark_saved()


def load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a virtual card state file")
    return data


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write atomically (temp file, fsync, rename) so a kill never leaves half a card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(state, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def random_serial() -> bytes:
    return secrets.token_bytes(4)
