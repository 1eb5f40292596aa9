"""One device's post-quantum layer: its PQ prekeys and its outer sessions per peer device.

Like Olm's sessions, outer sessions are kept per peer Curve25519 key, newest
used first, at most ``max_sessions`` each; a message is sent on the newest.
Every change is returned as :class:`StateChange` records (kinds
``pq.session`` and ``pq.prekey``) that the caller writes in the same
transaction as the Olm state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from keybound.errors import DecryptionFailed, MalformedData, ProtocolStateError
from keybound.protocol.devices import DeviceKeys
from keybound.protocol.pq.header import PqHeader
from keybound.protocol.pq.kem import require_mlkem
from keybound.protocol.pq.prekeys import KIND_PQ_PREKEY, PqPrekeys, SignedPqKey, verify_pq_key
from keybound.protocol.pq.sealed import open_state, seal_state, state_key
from keybound.protocol.pq.session import OuterSession
from keybound.protocol.state import StateChange

KIND_PQ_SESSION = "pq.session"
PQ_KINDS = (KIND_PQ_SESSION, KIND_PQ_PREKEY)


@dataclass(frozen=True)
class Opened:
    """An outer message decrypted on a copy of its session, not yet kept (:meth:`PqLayer.keep`)."""

    curve: bytes
    session: OuterSession
    plaintext: bytes
    prekey_used: str | None


class PqLayer:
    def __init__(
        self,
        own: DeviceKeys,
        sign: Callable[[bytes], bytes],
        pickle_key: bytes,
        max_sessions: int = 5,
    ) -> None:
        require_mlkem()
        self._own = own
        self._key = state_key(pickle_key)
        self.prekeys = PqPrekeys(own, sign, self._key)
        self._sessions: dict[bytes, list[OuterSession]] = {}
        self._seq = 0
        self._max = max_sessions

    def restore(self, latest: Mapping[str, Mapping[bytes, bytes]]) -> None:
        self.prekeys.restore(latest.get(KIND_PQ_PREKEY, {}))
        for record, value in latest.get(KIND_PQ_SESSION, {}).items():
            try:
                s = OuterSession.from_bytes(open_state(self._key, KIND_PQ_SESSION, record, value))
            except (ValueError, MalformedData) as exc:
                raise ProtocolStateError(KIND_PQ_SESSION) from exc
            self._sessions.setdefault(record[:32], []).append(s)
            self._seq = max(self._seq, s.seq)
        for group in self._sessions.values():
            group.sort(key=lambda s: -s.seq)

    # --- sessions ---------------------------------------------------------------------

    def has_session(self, curve: bytes) -> bool:
        return bool(self._sessions.get(curve))

    def start(self, device: DeviceKeys, prekey: SignedPqKey) -> list[StateChange]:
        """An outbound outer session to ``device`` from its claimed PQ prekey."""
        verify_pq_key(prekey, device)
        return self._touch(device.curve25519, OuterSession.initiate(self._own, device, prekey))

    def encrypt(
        self, curve: bytes, plaintext: bytes, now_ms: int, aad_for: Callable[[bytes], bytes]
    ) -> tuple[bytes, bytes, list[StateChange]] | None:
        """(header, ciphertext, changes) on the newest session with ``curve``; None without one."""
        group = self._sessions.get(curve)
        if not group:
            return None
        s = group[0]
        header, body = s.encrypt(plaintext, now_ms, aad_for)
        return header, body, self._touch(curve, s)

    def open(self, device: DeviceKeys, header: PqHeader, aad: bytes, body: bytes) -> Opened:
        """Decrypt the outer layer on a copy; nothing changes until :meth:`keep`."""
        curve = device.curve25519
        existing = next(
            (s for s in self._sessions.get(curve, []) if s.session_id == header.session_id), None
        )
        used = None
        if existing is not None:
            trial = existing.copy()
        elif header.setup is not None:
            seed, public = self.prekeys.private(header.setup.key_id)
            trial = OuterSession.respond(self._own, device, header, seed, public)
            used = header.setup.key_id
        else:
            raise DecryptionFailed()
        plaintext = trial.decrypt(header, aad, body)
        return Opened(curve, trial, plaintext, used)

    def keep(self, opened: Opened) -> list[StateChange]:
        """The message was accepted: keep the session's new state (and use up its prekey)."""
        group = self._sessions.setdefault(opened.curve, [])
        group[:] = [s for s in group if s.session_id != opened.session.session_id]
        changes = self.prekeys.used(opened.prekey_used) if opened.prekey_used else []
        return changes + self._touch(opened.curve, opened.session)

    def _touch(self, curve: bytes, s: OuterSession) -> list[StateChange]:
        self._seq += 1
        s.seq = self._seq
        group = self._sessions.setdefault(curve, [])
        if s in group:
            group.remove(s)
        group.insert(0, s)
        record, key = curve + s.session_id, self._key
        # sealed when written, as it is then: once per transaction (see protocol.state)
        changes = [
            StateChange(
                KIND_PQ_SESSION,
                record,
                lambda: seal_state(key, KIND_PQ_SESSION, record, s.to_bytes()),
            )
        ]
        while len(group) > self._max:
            old = group.pop()
            changes.append(StateChange(KIND_PQ_SESSION, curve + old.session_id, None))
        return changes
