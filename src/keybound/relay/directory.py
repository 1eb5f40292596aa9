"""The relay's only window on ``keybound.identity``: verify chains, look up device keys.

The relay trusts no one's word about who a device is: it checks the identity
chain itself (genesis signed by the root token, each document by a token of
the previous one, each device certificate self-signed by the device) and
takes a device's Ed25519 key from the verified head.  Everything the server
needs from the identity package goes through this module, so a change there
touches one file here.

Verification is cached by chain head (identity, version, hash of the last
document's bytes): a long chain is verified once, and an appended document
is checked incrementally with ``extend``.  The cache is bounded.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from keybound.errors import IdentityError, MalformedData
from keybound.identity.chain import (
    DeviceStatus,
    VerifiedIdentity,
    device_status,
    extend,
    verify_chain,
)
from keybound.identity.document import SignedDocument, decode_document, document_hash


class ChainRejected(Exception):
    """An offered chain does not verify, or forks or rolls back the stored one.

    ``reason`` is safe to send to the client (no document content).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeviceRefused(Exception):
    """A device may not authenticate: ``status`` is unknown, removed or expired."""

    def __init__(self, status: str) -> None:
        super().__init__(f"device is {status}")
        self.status = status


@dataclass(frozen=True)
class VerifiedChain:
    """A verified chain as the relay keeps it: the raw documents and the result."""

    identity_id: bytes
    documents: tuple[bytes, ...]
    identity: VerifiedIdentity

    @property
    def version(self) -> int:
        return self.identity.version


def _now() -> int:
    return int(time.time())


def _decode(documents: Sequence[bytes]) -> list[SignedDocument]:
    try:
        return [decode_document(d) for d in documents]
    except (MalformedData, IdentityError) as exc:
        raise ChainRejected(str(exc)) from None


def _head_key(documents: Sequence[bytes]) -> tuple[int, bytes]:
    return len(documents), hashlib.sha256(documents[-1]).digest()


def identity_id_of(documents: Sequence[bytes]) -> bytes:
    """The identity ID a chain claims: the hash of its genesis document."""
    if not documents:
        raise ChainRejected("no documents were offered")
    genesis = _decode(documents[:1])[0]
    if genesis.version != 0:
        raise ChainRejected("the chain must start with the identity's first document")
    return document_hash(genesis)


class Directory:
    """Chain verification with a bounded cache of verified heads, by identity ID."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max = max_entries
        self._cache: OrderedDict[bytes, tuple[tuple[int, bytes], VerifiedChain]] = OrderedDict()

    def verified(
        self,
        documents: Sequence[bytes],
        now: int | None = None,
        pinned: VerifiedChain | None = None,
    ) -> VerifiedChain:
        """Verify a chain from genesis, reusing what was verified before.

        With ``pinned`` (the chain the relay holds) a fork of it or a
        rollback below it is refused.
        """
        now = _now() if now is None else now
        identity_id = identity_id_of(documents)
        key = _head_key(documents)
        cached = self._cache.get(identity_id)
        if cached is not None and cached[0] == key:
            self._cache.move_to_end(identity_id)
            return cached[1]
        try:
            known = cached[1] if cached is not None else None
            if (
                known is not None
                and len(known.documents) < len(documents)
                and tuple(documents[: len(known.documents)]) == known.documents
                and (pinned is None or pinned.documents == known.documents)
            ):
                identity = extend(known.identity, _decode(documents[len(known.documents) :]), now)
            else:
                pin = pinned.identity.pinned if pinned is not None else None
                identity = verify_chain(_decode(documents), pin, now)
        except IdentityError as exc:
            raise ChainRejected(str(exc)) from None
        result = VerifiedChain(identity.identity_id, tuple(documents), identity)
        self._cache[identity_id] = (key, result)
        self._cache.move_to_end(identity_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return result

    def check_chain(
        self, stored: Sequence[bytes], offered: Sequence[bytes], now: int | None = None
    ) -> VerifiedChain:
        """Verify ``offered`` (a whole chain from genesis) as the successor of ``stored``.

        Equal to or extending ``stored``: fine.  A different document at a
        stored version (fork), a chain ending before the stored head
        (rollback), or another identity: ``ChainRejected``.
        """
        now = _now() if now is None else now
        pinned = self.verified(stored, now) if stored else None
        if pinned is not None and len(offered) < len(stored):
            raise ChainRejected(
                f"rollback: the relay holds version {pinned.version}, "
                f"this chain ends at version {len(offered) - 1}"
            )
        return self.verified(offered, now, pinned)

    def device_key(self, chain: VerifiedChain, device_id: bytes, now: int | None = None) -> bytes:
        """The certified Ed25519 key of an active device, else ``DeviceRefused``."""
        now = _now() if now is None else now
        status = device_status(chain.identity, device_id=device_id, now=now)
        if status is not DeviceStatus.ACTIVE:
            raise DeviceRefused(status.value)
        return next(
            d.ed25519
            for d in chain.identity.devices + chain.identity.expired_devices
            if d.device_id == device_id
        )

    def active_devices(self, chain: VerifiedChain, now: int | None = None) -> frozenset[bytes]:
        """Device IDs that may authenticate and receive messages now."""
        now = _now() if now is None else now
        return frozenset(
            d.device_id
            for d in chain.identity.devices + chain.identity.expired_devices
            if not d.expired(now)
        )
