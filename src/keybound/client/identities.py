"""The identity chains the engine trusts: ours and every other person's we talk to.

Each chain is verified when it is loaded and whenever it grows; the store
keeps the whole chain (the pin) in ``identities.chain`` and mirrors its
devices into ``devices``.  The protocol machine asks :meth:`IdentityBook.lookup`
which devices an identity currently certifies, so a device counts only once
a token of its identity signed it in.

Lives on the database thread, like the machine that calls it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from keybound.errors import MalformedData, WrongIdentity
from keybound.identity.chain import VerifiedIdentity, extend, verify_chain
from keybound.identity.document import SignedDocument, decode_document, encode_document
from keybound.identity.fingerprint import fingerprint, safety_number
from keybound.protocol.devices import DeviceKeys, certified_devices
from keybound.store.models import Device, Identity, Verification
from keybound.store.repository import Repository
from keybound.wire import cbor

log = logging.getLogger(__name__)

MAX_CHAIN_DOCUMENTS = 4096


def encode_chain(documents: Sequence[SignedDocument]) -> bytes:
    return cbor.encode([encode_document(d) for d in documents])


def decode_chain(data: bytes) -> list[SignedDocument]:
    items = cbor.decode(data, max_size=64 << 20)
    if not isinstance(items, list) or len(items) > MAX_CHAIN_DOCUMENTS:
        raise MalformedData("a stored identity chain must be a list of documents")
    docs = []
    for item in items:
        if not isinstance(item, bytes):
            raise MalformedData("a stored identity document must be bytes")
        docs.append(decode_document(item))
    return docs


def decode_documents(raw: Iterable[bytes]) -> list[SignedDocument]:
    return [decode_document(d) for d in raw]


@dataclass(frozen=True)
class ChainUpdate:
    """What changed when a chain was accepted."""

    verified: VerifiedIdentity
    is_new: bool
    added_devices: tuple[bytes, ...]
    removed_devices: tuple[bytes, ...]
    tokens_changed: bool

    @property
    def identity_id(self) -> bytes:
        return self.verified.identity_id

    @property
    def changed(self) -> bool:
        return (
            self.is_new or bool(self.added_devices or self.removed_devices) or (self.tokens_changed)
        )


class IdentityBook:
    """Verified chains by identity ID (database thread only)."""

    def __init__(self) -> None:
        self._verified: dict[bytes, VerifiedIdentity] = {}
        self._documents: dict[bytes, list[SignedDocument]] = {}
        self.skip: set[tuple[bytes, bytes]] = set()  # devices to leave out of the next send

    def load(self, repo: Repository, now_s: int) -> None:
        """Verify every stored chain (ours first); a damaged one is left out and logged."""
        own = repo.own_identity()
        for identity in ([own] if own else []) + repo.contacts(include_requests=True):
            if identity.chain is None:
                continue
            try:
                docs = decode_chain(identity.chain)
                self._verified[identity.identity_id] = verify_chain(docs, None, now_s)
                self._documents[identity.identity_id] = docs
            except Exception:  # a damaged pin must not stop the others from loading
                log.warning("a stored identity chain did not verify; it is ignored")

    def get(self, identity_id: bytes) -> VerifiedIdentity | None:
        return self._verified.get(identity_id)

    def documents(self, identity_id: bytes) -> list[SignedDocument]:
        return list(self._documents.get(identity_id, []))

    def lookup(self, identity_id: bytes) -> list[DeviceKeys]:
        """The protocol machine's DeviceLookup: currently certified devices."""
        verified = self._verified.get(identity_id)
        if verified is None:
            return []
        devices = certified_devices(verified)
        if self.skip:
            devices = tuple(d for d in devices if (d.identity_id, d.device_id) not in self.skip)
        return list(devices)

    def safety_number(self, own_id: bytes, other_id: bytes) -> str:
        own, other = self._verified.get(own_id), self._verified.get(other_id)
        if own is None or other is None:
            return ""
        return safety_number(fingerprint(own), fingerprint(other))

    def accept(
        self,
        repo: Repository,
        documents: Sequence[SignedDocument],
        now_s: int,
        now_ms: int,
        *,
        expected: bytes | None = None,
        is_self: bool = False,
        display_name: str | None = None,
        request: bool = False,
    ) -> ChainUpdate:
        """Verify ``documents`` against what we pinned (whole chain or only newer
        versions), store the result and its devices.  Raises the identity errors
        (fork, rollback, bad signature, wrong identity) and stores nothing then.
        ``request``: someone new who wrote to us is a message request, not a contact.
        """
        pinned = self._verified.get(expected) if expected is not None else None
        if pinned is not None:
            newer = [d for d in documents if d.version > pinned.version]
            same = [d for d in documents if d.version == pinned.version]
            verified = extend(pinned, [*same, *newer], now_s)
            docs = _unique([*self._documents[pinned.identity_id], *newer], verified.version)
        else:
            verified = verify_chain(documents, None, now_s)
            if expected is not None and verified.identity_id != expected:
                raise WrongIdentity()
            docs = _unique(documents, verified.version)
        identity_id = verified.identity_id
        old = self._verified.get(identity_id)
        old_devices = {d.device_id for d in old.devices} if old else set()
        new_devices = {d.device_id for d in verified.devices}
        tokens_changed = old is not None and set(old.token_ids) != set(verified.token_ids)
        with repo.db.transaction():
            self._store(
                repo, verified, docs, now_ms, is_self, display_name, tokens_changed, request
            )
        self._verified[identity_id] = verified
        self._documents[identity_id] = docs
        return ChainUpdate(
            verified,
            is_new=old is None,
            added_devices=tuple(sorted(new_devices - old_devices)),
            removed_devices=tuple(sorted(old_devices - new_devices)) if old else (),
            tokens_changed=tokens_changed,
        )

    def _store(
        self,
        repo: Repository,
        verified: VerifiedIdentity,
        docs: list[SignedDocument],
        now_ms: int,
        is_self: bool,
        display_name: str | None,
        tokens_changed: bool,
        request: bool = False,
    ) -> None:
        identity_id = verified.identity_id
        row = repo.identity(identity_id) or Identity(
            identity_id, now_ms, is_self=is_self, is_request=request and not is_self
        )
        verification = row.verification
        if tokens_changed and verification is Verification.VERIFIED:
            verification = Verification.CHANGED
        repo.upsert_identity(
            replace(
                row,
                display_name=row.display_name if display_name is None else display_name,
                chain=encode_chain(docs),
                verification=verification,
                updated_at=now_ms,
            )
        )
        known = {d.device_id: d for d in repo.devices(identity_id, include_removed=True)}
        active = set()
        for cert in verified.head_document.body.devices:
            active.add(cert.device_id)
            existing = known.get(cert.device_id)
            repo.upsert_device(
                Device(
                    device_id=cert.device_id,
                    identity_id=identity_id,
                    curve25519=cert.curve25519,
                    ed25519=cert.ed25519,
                    added_at=existing.added_at if existing else now_ms,
                    name=cert.name or (existing.name if existing else ""),
                    is_current=existing.is_current if existing else False,
                    removed_at=None,
                )
            )
        for device_id, device in known.items():
            if device_id not in active and device.removed_at is None:
                repo.upsert_device(replace(device, removed_at=now_ms, is_current=False))


def _unique(documents: Iterable[SignedDocument], up_to: int) -> list[SignedDocument]:
    """The documents up to version ``up_to`` in version order, exact copies once.

    Every one of them passed verification together, so together they pass again
    when the pin is loaded (rival copies with bad signatures are never kept:
    verification would have refused them).
    """
    seen: dict[bytes, SignedDocument] = {}
    for d in sorted(documents, key=lambda d: d.version):
        if d.version <= up_to:
            seen.setdefault(encode_document(d), d)
    return list(seen.values())
