"""Verify an identity chain and keep up with it incrementally.

Rules (each failure has its own error in ``keybound.errors``):

- The chain starts with the genesis document (version 0), signed by its own
  first token (the root token); its document hash is the identity ID.
- Document ``n`` carries ``document_hash(n-1)`` and is signed by a token of
  document ``n-1``'s token set (``UnknownSigner`` otherwise, which includes
  a token removed earlier).  Signatures: ``IdentitySignatureInvalid``.
- From format 2 on, a document that adds tokens carries a valid
  co-signature by each of them and by no other token (``TokenNotCosigned``),
  and a chain never goes back to format 1 (which could add a key without its
  signature).  Format-1 documents of older chains are read as they were.
- Two different documents with one version: ``IdentityFork``; so is a chain
  that differs from the pinned head at the pinned version.  A chain ending
  before the pinned version: ``IdentityRollback``.  A gap or a wrong
  previous hash: ``BrokenChain``.
- Every device certificate that appears (or changes) is checked for its
  device self-signature.  Devices past their expiry are reported apart;
  devices dropped from the head are remembered as removed.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import (
    BadSignature,
    BrokenChain,
    CapabilityDowngrade,
    DeviceNotCertified,
    IdentityFork,
    IdentityRollback,
    IdentitySignatureInvalid,
    TokenNotCosigned,
    UnknownSigner,
    WrongIdentity,
)
from ..token.base import Signature, SignatureScheme
from ..token.verify import verify
from .document import (
    COSIGNED_FORMAT,
    DeviceCertificate,
    SignedDocument,
    TokenEntry,
    added_tokens,
    signing_bytes,
    verify_device_signature,
)


class DeviceStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REMOVED = "removed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CertifiedDevice:
    """A device of a verified identity: what ``protocol`` checks senders against."""

    identity_id: bytes
    device_id: bytes
    curve25519: bytes  # Olm identity key
    ed25519: bytes  # Olm signing key
    mailbox: str  # relay mailbox
    name: str
    created: int
    expires: int | None
    pq: int = 0  # the post-quantum layer its certificate states (0: none)

    def expired(self, now: int) -> bool:
        return self.expires is not None and now >= self.expires


@dataclass(frozen=True)
class PinnedState:
    """What a client remembers of an identity to detect forks and rollbacks."""

    identity_id: bytes
    version: int
    head: bytes  # document_hash of that version


@dataclass(frozen=True)
class VerifiedIdentity:
    identity_id: bytes
    version: int
    head: bytes
    root_token: bytes  # token ID of the genesis document's first token
    tokens: tuple[TokenEntry, ...]
    devices: tuple[CertifiedDevice, ...]  # certified and not expired at ``checked_at``
    expired_devices: tuple[CertifiedDevice, ...]
    removed_devices: tuple[CertifiedDevice, ...]  # certified before, not by the head
    checked_at: int
    head_document: SignedDocument
    parent_tokens: tuple[TokenEntry, ...]  # who could sign the head (to judge a rival head)

    @property
    def pinned(self) -> PinnedState:
        return PinnedState(self.identity_id, self.version, self.head)

    @property
    def token_ids(self) -> tuple[bytes, ...]:
        return tuple(t.token_id for t in self.tokens)


def verify_chain(
    documents: Iterable[SignedDocument], pinned: PinnedState | None, now: int
) -> VerifiedIdentity:
    """Verify a whole chain from its genesis; ``pinned`` is what this client saw before.

    Documents may come in any order; exact duplicates are ignored.  Genesis
    documents of other identities than the pinned one are ignored too.
    """
    groups = _prepare(documents)
    geneses = groups.pop(0, [])
    if pinned is not None:
        if geneses and all(g[0][2] != pinned.identity_id for g in geneses):
            raise WrongIdentity()
        geneses = [g for g in geneses if g[0][2] == pinned.identity_id]
    if not geneses:
        raise BrokenChain("The identity history does not start with its first document.")
    if len(geneses) > 1:
        raise WrongIdentity()
    tokens = geneses[0][0][0].body.tokens
    root = tokens[0].token_id
    genesis, _, identity_id = _verify_step(tokens[:1], None, geneses[0], root, set())
    state = _state(identity_id, root, tokens, genesis, identity_id, {}, now)
    state = _apply(state, groups, now, pinned)
    if pinned is not None and state.version < pinned.version:
        raise IdentityRollback(state.version, pinned.version)
    return state


def extend(
    verified: VerifiedIdentity, documents: Iterable[SignedDocument], now: int
) -> VerifiedIdentity:
    """Verify only the documents after ``verified``; older ones are ignored.

    A validly signed document at ``verified.version`` other than its head is a fork.
    """
    groups = _prepare(documents)
    groups.pop(0, None)  # another genesis is another identity, not a fork
    return _apply(verified, groups, now, verified.pinned)


def device_status(
    verified: VerifiedIdentity,
    *,
    device_id: bytes | None = None,
    curve25519: bytes | None = None,
    now: int | None = None,
) -> DeviceStatus:
    """Whether a device (by ID, Curve25519 key, or both) is certified now."""
    return _find(verified, device_id, curve25519, now)[0]


def check_device(
    verified: VerifiedIdentity,
    *,
    device_id: bytes | None = None,
    curve25519: bytes | None = None,
    now: int | None = None,
) -> CertifiedDevice:
    """The active device so named, or ``DeviceNotCertified`` saying removed/expired/unknown."""
    status, device = _find(verified, device_id, curve25519, now)
    if device is None or status is not DeviceStatus.ACTIVE:
        raise DeviceNotCertified(status.value)
    return device


def _find(
    v: VerifiedIdentity, device_id: bytes | None, curve25519: bytes | None, now: int | None
) -> tuple[DeviceStatus, CertifiedDevice | None]:
    if device_id is None and curve25519 is None:
        raise ValueError("name the device by device_id or curve25519")
    at = v.checked_at if now is None else now
    for d in v.devices + v.expired_devices + v.removed_devices:
        if device_id in (None, d.device_id) and curve25519 in (None, d.curve25519):
            if d in v.removed_devices:
                return DeviceStatus.REMOVED, None
            return (DeviceStatus.EXPIRED if d.expired(at) else DeviceStatus.ACTIVE), d
    return DeviceStatus.UNKNOWN, None


# --- internals --------------------------------------------------------------------

_Prepared = tuple[SignedDocument, bytes, bytes]  # document, signing bytes, document hash
_Group = list[_Prepared]  # one body (one hash), each distinct signature over it


def _prepare(documents: Iterable[SignedDocument]) -> dict[int, list[_Group]]:
    """Group by version, then by document hash; exact duplicates are dropped."""
    groups: dict[int, dict[bytes, dict[tuple[object, ...], _Prepared]]] = {}
    for doc in documents:
        data = signing_bytes(doc)
        digest = hashlib.sha256(data).digest()
        same_body = groups.setdefault(doc.version, {}).setdefault(digest, {})
        same_body.setdefault((doc.signer, doc.signature, doc.cosignatures), (doc, data, digest))
    return {v: [list(d.values()) for d in g.values()] for v, g in groups.items()}


def _apply(
    state: VerifiedIdentity,
    groups: dict[int, list[_Group]],
    now: int,
    pinned: PinnedState | None,
) -> VerifiedIdentity:
    removed = {(d.device_id, d.curve25519): d for d in state.removed_devices}
    for version in sorted(groups):
        bodies = groups[version]
        if version < state.version:
            continue
        if version == state.version:
            for other in bodies:
                if other[0][2] != state.head:  # a competing head: a fork if validly signed
                    previous = state.head_document.body.previous
                    _verify_step(state.parent_tokens, previous, other, state.root_token, set())
                    raise IdentityFork(version)
            continue
        if version != state.version + 1:
            raise BrokenChain(f"Version {state.version + 1} of this identity is missing.")
        known = set(state.head_document.body.devices)
        verified = [
            _verify_step(state.tokens, state.head, b, state.root_token, known) for b in bodies
        ]
        doc, _, digest = verified[0]
        _refuse_downgrade(state.head_document, doc)
        if doc.body.format < state.head_document.body.format:
            raise TokenNotCosigned(
                version,
                f"Version {version} of this identity goes back to an older format that lets a "
                "security key be added without its signature. It was not accepted.",
            )
        if len(bodies) > 1 or (
            pinned is not None and version == pinned.version and digest != pinned.head
        ):
            raise IdentityFork(version)
        current = {(c.device_id, c.curve25519) for c in doc.body.devices}
        for d in state.devices + state.expired_devices:
            removed[(d.device_id, d.curve25519)] = d
        removed = {k: d for k, d in removed.items() if k not in current}
        state = _state(state.identity_id, state.root_token, state.tokens, doc, digest, removed, now)
    return state


def _verify_step(
    tokens: Sequence[TokenEntry],
    previous: bytes | None,
    body: _Group,
    root: bytes,
    known: set[DeviceCertificate],
) -> _Prepared:
    """Check one document against the state it claims to follow.

    Of several signatures over one body, one valid signature is enough: a
    damaged copy next to a good one must not decide the outcome.
    """
    doc = body[0][0]
    if doc.body.previous != previous:
        raise BrokenChain(
            f"Version {doc.version} of this identity does not follow version {doc.version - 1}."
        )
    error: UnknownSigner | IdentitySignatureInvalid | TokenNotCosigned | None = None
    for item in body:
        try:
            _check_signature(tokens, *item[:2])
            _check_cosignatures(tokens, *item[:2])
            break
        except (UnknownSigner, IdentitySignatureInvalid, TokenNotCosigned) as exc:
            error = error or exc
    else:
        assert error is not None
        raise error
    for cert in doc.body.devices:
        if cert not in known:
            verify_device_signature(root, cert)
    return item


def _refuse_downgrade(previous: SignedDocument, doc: SignedDocument) -> None:
    """A device keeps (at least) the post-quantum capability it stated before."""
    before = {(d.device_id, d.curve25519): d.pq for d in previous.body.devices}
    for cert in doc.body.devices:
        if cert.pq < before.get((cert.device_id, cert.curve25519), 0):
            raise CapabilityDowngrade(doc.version)


def _check_signature(tokens: Sequence[TokenEntry], doc: SignedDocument, data: bytes) -> None:
    signer = next((t for t in tokens if t.token_id == doc.signer), None)
    if signer is None:
        raise UnknownSigner(doc.version)
    _verify_one(signer, data, doc.signature, doc.version)


def _check_cosignatures(
    parent_tokens: Sequence[TokenEntry], doc: SignedDocument, data: bytes
) -> None:
    """Format 2 on: exactly the tokens this document adds co-sign it, each validly."""
    if doc.body.format < COSIGNED_FORMAT:
        return  # an older chain's document: it could not carry co-signatures
    previous = None if doc.body.previous is None else parent_tokens
    added = {t.token_id: t for t in added_tokens(previous, doc.body)}
    by_signer = {c.signer: c.signature for c in doc.cosignatures}
    if set(by_signer) - set(added):
        raise TokenNotCosigned(
            doc.version,
            f"Version {doc.version} of this identity carries a co-signature by a security key "
            "it does not add. It was not accepted.",
        )
    for tid, entry in added.items():
        signature = by_signer.get(tid)
        if signature is None:
            raise TokenNotCosigned(doc.version)
        _verify_one(entry, data, signature, doc.version)


def _verify_one(signer: TokenEntry, data: bytes, signature: Signature, version: int) -> None:
    try:
        openpgp = signature.scheme is SignatureScheme.OPENPGP_ED25519
        if openpgp and signature.authenticator_data:
            raise BadSignature("an OpenPGP signature has no authenticator data")
        verify(signer.public_key, data, signature)
    except BadSignature:
        raise IdentitySignatureInvalid(
            f"Version {version} of this identity has a signature that does not verify: "
            "it was forged or damaged, and was not accepted."
        ) from None


def _state(
    identity_id: bytes,
    root: bytes,
    parent_tokens: tuple[TokenEntry, ...],
    doc: SignedDocument,
    digest: bytes,
    removed: dict[tuple[bytes, bytes], CertifiedDevice],
    now: int,
) -> VerifiedIdentity:
    devices = [_certified(identity_id, c) for c in doc.body.devices]
    return VerifiedIdentity(
        identity_id=identity_id,
        version=doc.version,
        head=digest,
        root_token=root,
        tokens=doc.body.tokens,
        devices=tuple(d for d in devices if not d.expired(now)),
        expired_devices=tuple(d for d in devices if d.expired(now)),
        removed_devices=tuple(removed.values()),
        checked_at=now,
        head_document=doc,
        parent_tokens=parent_tokens,
    )


def _certified(identity_id: bytes, c: DeviceCertificate) -> CertifiedDevice:
    return CertifiedDevice(
        identity_id,
        c.device_id,
        c.curve25519,
        c.ed25519,
        c.mailbox,
        c.name,
        c.created,
        c.expires,
        c.pq,
    )
