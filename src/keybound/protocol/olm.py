"""Olm: this device's account (identity keys, one-time keys) and its sessions per peer device.

Sessions are kept per peer Curve25519 key, newest-used first, at most
``max_sessions`` each (older ones are dropped and deleted from the store).
Decryption follows Olm's rule: try the existing sessions with that peer first
(for a pre-key message only the session it names), and create an inbound
session only for a pre-key message no session claims.

Every mutation returns :class:`StateChange` records; a session's records defer
its pickle until they are written (once per transaction).  Decryption takes an
``accept`` callback that validates the plaintext; if it raises, the touched
session (or the account, for a new inbound session) is restored from a pickle
taken just before (or the last one written, when nothing moved it since), so a
message that decrypts but is then rejected leaves no trace and the genuine
message can still be read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import vodozemac

from keybound.errors import BadKeyBundle, DecryptionFailed, ProtocolStateError
from keybound.protocol.devices import (
    DeviceKeys,
    KeyUpload,
    SignedKey,
    key_signing_payload,
    unb64,
    verify_signed_key,
)
from keybound.protocol.state import StateChange

KIND_ACCOUNT = "olm.account"
KIND_SESSION = "olm.session"

_T = TypeVar("_T")
_VZ_ERRORS = (ValueError,)  # every vodozemac exception derives from ValueError


@dataclass(eq=False)
class _Session:
    session: vodozemac.Session
    pickle: str  # what a rejected decryption rolls back to, while ``current``
    seq: int  # last use; higher is newer
    current: bool = False  # ``pickle`` is the session as it is now

    def snapshot(self, key: bytes) -> str:
        self.pickle = self.session.pickle(key)
        self.current = True
        return self.pickle


class OlmAccount:
    """The device's Olm account and sessions; no I/O, every change returned as records."""

    def __init__(
        self,
        identity_id: bytes,
        device_id: bytes,
        account: vodozemac.Account,
        pickle_key: bytes,
        max_sessions: int = 5,
    ) -> None:
        self._account = account
        self._key = pickle_key
        self._account_pickle = account.pickle(pickle_key)
        self._sessions: dict[bytes, list[_Session]] = {}
        self._seq = 0
        self._max = max_sessions
        self.device_keys = DeviceKeys(
            identity_id=identity_id,
            device_id=device_id,
            curve25519=account.curve25519_key.to_bytes(),
            ed25519=unb64(account.ed25519_key.to_base64()),
        )

    # --- persistence ------------------------------------------------------------

    def account_change(self) -> StateChange:
        self._account_pickle = self._account.pickle(self._key)
        return StateChange(KIND_ACCOUNT, b"", self._account_pickle.encode())

    @classmethod
    def restore(
        cls,
        identity_id: bytes,
        device_id: bytes,
        pickle_key: bytes,
        account_value: bytes,
        sessions: Mapping[bytes, bytes],
        max_sessions: int = 5,
    ) -> OlmAccount:
        try:
            account = vodozemac.Account.from_pickle(account_value.decode(), pickle_key)
        except (*_VZ_ERRORS, UnicodeDecodeError) as exc:
            raise ProtocolStateError("Olm account") from exc
        self = cls(identity_id, device_id, account, pickle_key, max_sessions)
        for key, value in sessions.items():
            try:
                seq, pickle = int.from_bytes(value[:8], "big"), value[8:].decode()
                session = vodozemac.Session.from_pickle(pickle, pickle_key)
            except (*_VZ_ERRORS, UnicodeDecodeError) as exc:
                raise ProtocolStateError("Olm session") from exc
            self._sessions.setdefault(key[:32], []).append(_Session(session, pickle, seq, True))
            self._seq = max(self._seq, seq)
        for group in self._sessions.values():
            group.sort(key=lambda s: -s.seq)
        return self

    def _store(self, curve: bytes, s: _Session) -> StateChange:
        """The session's record, its value taken when it is written."""
        s.current = False  # it just moved (or is new)
        key = self._key

        def value() -> bytes:
            pickle = s.pickle if s.current else s.snapshot(key)
            return s.seq.to_bytes(8, "big") + pickle.encode()  # last use, then the pickle

        return StateChange(KIND_SESSION, curve + s.session.session_id.encode(), value)

    def _touch(self, curve: bytes, s: _Session) -> list[StateChange]:
        """Mark ``s`` newest-used, store it, and drop the oldest beyond the limit."""
        self._seq += 1
        s.seq = self._seq
        group = self._sessions.setdefault(curve, [])
        if s in group:
            group.remove(s)
        group.insert(0, s)
        changes = [self._store(curve, s)]
        while len(group) > self._max:
            old = group.pop()
            changes.append(StateChange(KIND_SESSION, curve + old.session.session_id.encode(), None))
        return changes

    # --- published keys ---------------------------------------------------------

    def sign(self, payload: bytes) -> bytes:
        return unb64(self._account.sign(payload).to_base64())

    def prepare_upload(
        self, remaining: int, *, need_fallback: bool
    ) -> tuple[KeyUpload | None, list[StateChange]]:
        """Top the relay back up to the account's one-time key target.

        ``remaining`` is how many of our one-time keys the relay still holds;
        ``need_fallback`` says it holds no unused fallback key.  Keys generated
        earlier but never marked published are offered again.
        """
        target = self._account.max_number_of_one_time_keys
        unpublished = len(self._account.one_time_keys)
        count = max(0, target - max(remaining, 0) - unpublished)
        changed = False
        if count:
            self._account.generate_one_time_keys(count)
            changed = True
        if need_fallback and not _fallback_keys(self._account):
            self._account.generate_fallback_key()  # type: ignore[attr-defined]  # not in stubs
            changed = True
        one_time = sorted(self._account.one_time_keys.items())
        keys = [self._signed(k, v, False) for k, v in one_time]
        keys += [self._signed(k, v, True) for k, v in _fallback_keys(self._account).items()]
        changes = [self.account_change()] if changed else []
        return (KeyUpload(tuple(keys)) if keys else None), changes

    def _signed(self, key_id: str, key: vodozemac.Curve25519PublicKey, fallback: bool) -> SignedKey:
        raw = key.to_bytes()
        payload = key_signing_payload(self.device_keys, key_id, raw, fallback)
        return SignedKey(key_id, raw, fallback, self.sign(payload))

    def mark_published(self) -> list[StateChange]:
        self._account.mark_keys_as_published()
        return [self.account_change()]

    # --- sessions ---------------------------------------------------------------

    def has_session(self, curve: bytes) -> bool:
        return bool(self._sessions.get(curve))

    def start_session(self, device: DeviceKeys, signed: SignedKey) -> list[StateChange]:
        """An outbound session from a key claimed from the relay (checked against ``device``)."""
        verify_signed_key(signed, device)
        try:
            session = self._account.create_outbound_session(
                vodozemac.Curve25519PublicKey.from_bytes(device.curve25519),
                vodozemac.Curve25519PublicKey.from_bytes(signed.key),
            )
        except _VZ_ERRORS as exc:
            raise BadKeyBundle() from exc
        return self._touch(device.curve25519, _Session(session, "", 0))

    def encrypt(self, curve: bytes, plaintext: bytes) -> tuple[int, bytes, list[StateChange]]:
        """(message type, ciphertext, changes) for the peer's newest-used session."""
        s = self._sessions[curve][0]
        message_type, body = s.session.encrypt(plaintext).to_parts()
        return message_type, body, self._touch(curve, s)

    def decrypt(
        self, curve: bytes, message_type: int, body: bytes, accept: Callable[[bytes], _T]
    ) -> tuple[_T, list[StateChange]]:
        """Decrypt from the peer ``curve``; ``accept`` validates (raise to roll back)."""
        try:
            message = vodozemac.AnyOlmMessage.from_parts(message_type, body)
        except _VZ_ERRORS as exc:
            raise DecryptionFailed() from exc
        pre_key = message.to_pre_key() if message_type == 0 else None
        for s in list(self._sessions.get(curve, [])):
            if pre_key is not None and not s.session.session_matches(pre_key):
                continue
            if not s.current:
                s.snapshot(self._key)  # what a rejection below rolls back to
            try:
                plaintext = s.session.decrypt(message)
            except _VZ_ERRORS:
                if pre_key is not None:  # the session it names cannot read it: a replay
                    raise DecryptionFailed() from None
                continue  # vodozemac leaves a session untouched when decryption fails
            try:
                result = accept(plaintext)
            except BaseException:
                s.session = vodozemac.Session.from_pickle(s.pickle, self._key)
                raise
            return result, self._touch(curve, s)
        if pre_key is None:
            raise DecryptionFailed()
        try:
            session, plaintext = self._account.create_inbound_session(
                vodozemac.Curve25519PublicKey.from_bytes(curve), pre_key
            )
        except _VZ_ERRORS as exc:
            raise DecryptionFailed() from exc
        try:
            result = accept(plaintext)
        except BaseException:
            self._account = vodozemac.Account.from_pickle(self._account_pickle, self._key)
            raise
        return result, [self.account_change(), *self._touch(curve, _Session(session, "", 0))]


def _fallback_keys(account: vodozemac.Account) -> dict[str, vodozemac.Curve25519PublicKey]:
    """The unpublished fallback key (vodozemac 0.10 has it; its type stubs do not)."""
    keys: dict[str, vodozemac.Curve25519PublicKey] = account.fallback_key  # type: ignore[attr-defined]
    return keys
