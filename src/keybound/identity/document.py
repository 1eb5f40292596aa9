"""Identity documents and device certificates: values, builders and the canonical codec.

A document states the *full* token and device sets of an identity at one
version (full sets, not deltas: a verifier and a person can read one document
and know the whole state).  Its body is signed by a token; the signature and
the signer's token ID travel beside the body.

Exact bytes:

- ``signing_bytes(body) = DOC_DOMAIN || canonical CBOR of the body map``; the
  token signs these (OpenPGP: Ed25519 over SHA-256 of them; FIDO2: an
  assertion whose clientDataHash is their SHA-256).
- ``document_hash(doc) = SHA-256(signing_bytes(body))``.  The signature is not
  hashed: ECDSA signatures are malleable and a FIDO2 assertion carries a
  counter, so the same statement signed twice must be one document, not a
  fork.  The identity ID is the hash of the genesis document (version 0).
- ``token_id(key) = SHA-256(TOKEN_ID_DOMAIN || CBOR of the key map without
  label)``; documents name their signer by token ID.
- Format 2 (body ``v = 2``) adds ``cosig`` beside the signature: one
  signature over the same signing bytes by each token the document adds
  (for the genesis: every token after the first), so a key can only be
  listed by an identity it agreed to join.  Builders write format 2 when a
  document adds tokens, and keep it for every later document; a document
  that adds none after a format-1 head stays format 1, so older apps keep
  reading chains that never added a key.
- A device self-signs ``DEVICE_DOMAIN || CBOR(cert map without "sig", plus
  "root")`` with its Olm Ed25519 key, where ``root`` is the token ID of the
  genesis document's first token.  This proves the device holds its key and
  binds it to this identity (the identity ID cannot exist yet when the
  genesis certifies the first device), so no one can certify someone else's
  device in their own identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import IdentitySignatureInvalid, MalformedData, NewerIdentityFormat
from ..token.base import PublicKey, Signature, SignatureScheme
from ..wire import cbor
from ..wire.cbor import CborMap, Value

DOC_FORMAT = 2  # the newest format this code reads and writes
COSIGNED_FORMAT = 2  # from this format on, added tokens co-sign (``cosig``)
DOC_DOMAIN = b"keybound identity document v1\x00"
TOKEN_ID_DOMAIN = b"keybound token id v1\x00"
DEVICE_DOMAIN = b"keybound device certificate v1\x00"
MAX_TOKENS = 16
MAX_DEVICES = 256
MAX_DOCUMENT_SIZE = 256 * 1024

_FIDO2 = (SignatureScheme.FIDO2_ES256, SignatureScheme.FIDO2_EDDSA)
_KEY_SIZE = {
    SignatureScheme.OPENPGP_ED25519: 32,
    SignatureScheme.FIDO2_EDDSA: 32,
    SignatureScheme.FIDO2_ES256: 65,
}
_DEVICE_FIELDS: set[int | str] = {
    *("device_id", "curve25519", "ed25519", "mailbox", "created", "name", "expires", "sig", "pq")
}
PQ_HYBRID_V1 = 1  # the device takes ML-KEM-768 prekeys and the hybrid layer (post-quantum.md)


@dataclass(frozen=True)
class TokenEntry:
    """A token of the identity: its public signing key and a label for people."""

    public_key: PublicKey
    label: str = ""

    @property
    def token_id(self) -> bytes:
        return token_id(self.public_key)


@dataclass(frozen=True)
class DeviceCertificate:
    """A device's Olm keys and relay mailbox, self-signed by the device's Ed25519 key.

    ``created``/``expires`` are Unix seconds; ``expires=None`` never expires.
    ``pq`` states the post-quantum layer the device requires (0: none; it is
    left out of the bytes then, so older certificates keep their signatures).
    """

    device_id: bytes
    curve25519: bytes
    ed25519: bytes
    mailbox: str
    created: int
    expires: int | None = None
    name: str = ""
    signature: bytes = b""
    pq: int = 0


@dataclass(frozen=True)
class UnsignedDocument:
    """One version of an identity: what a token signs (``signing_bytes``)."""

    version: int  # 0 for the genesis document, then +1 each
    previous: bytes | None  # document_hash of version-1; None for the genesis
    created: int
    tokens: tuple[TokenEntry, ...]
    devices: tuple[DeviceCertificate, ...]
    format: int = 1  # the body's ``v``: kept as read, since it is part of the signed bytes


@dataclass(frozen=True)
class Cosignature:
    """A token the document adds, signing the same bytes: it agrees to join."""

    signer: bytes  # token_id
    signature: Signature


@dataclass(frozen=True)
class SignedDocument:
    body: UnsignedDocument
    signer: bytes  # token_id of the signing token
    signature: Signature
    cosignatures: tuple[Cosignature, ...] = ()  # format 2 on: by each token added

    @property
    def version(self) -> int:
        return self.body.version


# --- maps -----------------------------------------------------------------------


def _key_map(key: PublicKey) -> CborMap:
    m: CborMap = {"scheme": str(key.scheme), "key": key.key}
    if key.scheme in _FIDO2:
        m.update(rp_id=key.rp_id, cred=key.credential_id, uv=key.user_verification)
    return m


def _device_map(cert: DeviceCertificate, *, signed: bool = True) -> CborMap:
    m: CborMap = {
        "device_id": cert.device_id,
        "curve25519": cert.curve25519,
        "ed25519": cert.ed25519,
        "mailbox": cert.mailbox,
        "created": cert.created,
        "name": cert.name,
    }
    if cert.expires is not None:
        m["expires"] = cert.expires
    if cert.pq:
        m["pq"] = cert.pq
    if signed:
        m["sig"] = cert.signature
    return m


def _body_map(doc: UnsignedDocument) -> CborMap:
    m: CborMap = {
        "v": doc.format,
        "seq": doc.version,
        "created": doc.created,
        "tokens": [{**_key_map(t.public_key), "label": t.label} for t in doc.tokens],
        "devices": [_device_map(d) for d in doc.devices],
    }
    if doc.previous is not None:
        m["prev"] = doc.previous
    return m


def _signature_map(signature: Signature) -> CborMap:
    sig: CborMap = {"scheme": str(signature.scheme), "sig": signature.signature}
    if signature.scheme in _FIDO2:
        sig["auth"] = signature.authenticator_data
    return sig


def _signed_map(doc: SignedDocument) -> CborMap:
    m: CborMap = {"body": _body_map(doc.body), "signer": doc.signer}
    m["sig"] = _signature_map(doc.signature)
    if doc.cosignatures:
        m["cosig"] = [
            {"signer": c.signer, "sig": _signature_map(c.signature)} for c in doc.cosignatures
        ]
    return m


def _scheme(m: CborMap, what: str) -> SignatureScheme:
    name = cbor.get_str(m, "scheme", name=f"{what}.scheme", max_size=32)
    try:
        return SignatureScheme(name)
    except ValueError:
        raise MalformedData(f"{what} uses an unknown signature scheme") from None


def _parse_key(m: CborMap, what: str) -> PublicKey:
    scheme = _scheme(m, what)
    key = cbor.get_bytes(m, "key", name=f"{what}.key", size=_KEY_SIZE[scheme])
    if scheme not in _FIDO2:
        return PublicKey(scheme, key)
    return PublicKey(
        scheme,
        key,
        cbor.get_str(m, "rp_id", name=f"{what}.rp_id", max_size=253),
        cbor.get_bytes(m, "cred", name=f"{what}.cred", max_size=1023),
        cbor.get_bool(m, "uv", name=f"{what}.uv"),
    )


def _parse_token(value: Value, what: str) -> TokenEntry:
    m = _as_map(value, what)
    key = _parse_key(m, what)
    known = {*_key_map(key), "label"}
    cbor.reject_unknown(m, known, what=what)
    return TokenEntry(key, cbor.get_str(m, "label", name=f"{what}.label", max_size=64))


def _parse_device(value: Value, what: str) -> DeviceCertificate:
    m = _as_map(value, what)
    cbor.reject_unknown(m, _DEVICE_FIELDS, what=what)
    return DeviceCertificate(
        device_id=cbor.get_bytes(m, "device_id", name=f"{what}.device_id", max_size=64),
        curve25519=cbor.get_bytes(m, "curve25519", name=f"{what}.curve25519", size=32),
        ed25519=cbor.get_bytes(m, "ed25519", name=f"{what}.ed25519", size=32),
        mailbox=cbor.get_str(m, "mailbox", name=f"{what}.mailbox", max_size=512),
        created=cbor.get_int(m, "created", name=f"{what}.created", min_value=0),
        expires=(
            cbor.get_int(m, "expires", name=f"{what}.expires", min_value=0)
            if "expires" in m
            else None
        ),
        name=cbor.get_str(m, "name", name=f"{what}.name", max_size=64),
        signature=cbor.get_bytes(m, "sig", name=f"{what}.sig", size=64),
        pq=cbor.get_int(m, "pq", name=f"{what}.pq", min_value=1, max_value=255) if "pq" in m else 0,
    )


def _as_map(value: Value, what: str) -> CborMap:
    if not isinstance(value, dict):
        raise MalformedData(f"{what} must be a map")
    return value


def _parse_body(m: CborMap) -> UnsignedDocument:
    fmt = cbor.get_int(m, "v", name="document version", min_value=1)
    if fmt > DOC_FORMAT:
        raise NewerIdentityFormat("identity document", fmt)
    cbor.reject_unknown(
        m, {"v", "seq", "prev", "created", "tokens", "devices"}, what="identity document"
    )
    version = cbor.get_int(m, "seq", name="seq", min_value=0, max_value=2**53)
    previous = cbor.get_bytes(m, "prev", name="prev", size=32) if "prev" in m else None
    if (version == 0) != (previous is None):
        raise MalformedData("only the first identity document may lack field prev")
    tokens = cbor.get_list(m, "tokens", name="tokens", max_items=MAX_TOKENS)
    devices = cbor.get_list(m, "devices", name="devices", max_items=MAX_DEVICES)
    doc = UnsignedDocument(
        version,
        previous,
        cbor.get_int(m, "created", name="created", min_value=0),
        tuple(_parse_token(t, f"token {i}") for i, t in enumerate(tokens)),
        tuple(_parse_device(d, f"device {i}") for i, d in enumerate(devices)),
        fmt,
    )
    if not doc.tokens:
        raise MalformedData("an identity document must list at least one token")
    _unique([t.token_id for t in doc.tokens], "token")
    _unique([d.device_id for d in doc.devices], "device ID")
    _unique([d.curve25519 for d in doc.devices], "device key")
    return doc


def _unique(items: list[bytes], what: str) -> None:
    if len(set(items)) != len(items):
        raise MalformedData(f"identity document lists the same {what} twice")


# --- public API -----------------------------------------------------------------


def token_id(public_key: PublicKey) -> bytes:
    """The stable 32-byte name of a token key (documents name their signer by it)."""
    return hashlib.sha256(TOKEN_ID_DOMAIN + cbor.encode(_key_map(public_key))).digest()


def signing_bytes(doc: UnsignedDocument | SignedDocument) -> bytes:
    """The exact bytes a token signs for ``doc`` (domain-separated canonical CBOR)."""
    body = doc.body if isinstance(doc, SignedDocument) else doc
    return DOC_DOMAIN + cbor.encode(_body_map(body))


def document_hash(doc: UnsignedDocument | SignedDocument) -> bytes:
    """SHA-256 of ``signing_bytes``; for the genesis document this is the identity ID."""
    return hashlib.sha256(signing_bytes(doc)).digest()


def _validated(doc: UnsignedDocument) -> UnsignedDocument:
    # the decoder is the one place that knows the rules, so builders run through it too
    return _parse_body(cbor.decode_map(cbor.encode(_body_map(doc)), max_size=MAX_DOCUMENT_SIZE))


def build_genesis(
    tokens: Sequence[TokenEntry], devices: Sequence[DeviceCertificate], created: int
) -> UnsignedDocument:
    """Version 0. It must be signed by ``tokens[0]``, the identity's root token (and, with
    more than one token, co-signed by each of the others: ``attach_cosignature``)."""
    fmt = COSIGNED_FORMAT if len(tokens) > 1 else 1
    return _validated(UnsignedDocument(0, None, created, tuple(tokens), tuple(devices), fmt))


def added_tokens(
    previous: Sequence[TokenEntry] | None, doc: UnsignedDocument
) -> tuple[TokenEntry, ...]:
    """The tokens ``doc`` lists that ``previous`` did not (genesis: all but the first)."""
    before = {t.token_id for t in (doc.tokens[:1] if previous is None else previous)}
    return tuple(t for t in doc.tokens if t.token_id not in before)


def build_next(
    previous: SignedDocument,
    created: int,
    *,
    tokens: Sequence[TokenEntry] | None = None,
    devices: Sequence[DeviceCertificate] | None = None,
    doc_format: int | None = None,
) -> UnsignedDocument:
    """The version after ``previous`` with new full token/device sets (``None``: unchanged).

    It must be signed by a token of ``previous``'s token set, and co-signed by each
    token it adds (``attach_cosignature``), which makes it format 2.  ``doc_format``
    forces a format (tests of older chains, written before co-signatures).
    """
    body = previous.body
    new_tokens = body.tokens if tokens is None else tuple(tokens)
    adds = bool(added_tokens(body.tokens, replace(body, tokens=new_tokens)))
    fmt = COSIGNED_FORMAT if adds or body.format >= COSIGNED_FORMAT else 1
    fmt = fmt if doc_format is None else doc_format
    return _validated(
        UnsignedDocument(
            body.version + 1,
            document_hash(body),
            created,
            new_tokens,
            body.devices if devices is None else tuple(devices),
            fmt,
        )
    )


def attach_signature(
    doc: UnsignedDocument, signer: PublicKey | bytes, signature: Signature
) -> SignedDocument:
    """Pair ``doc`` with the ``signature`` a token made over ``signing_bytes(doc)``.

    ``signer`` is that token's public key or its token ID.  Not verified here:
    whether the signer may sign depends on the previous document (``verify_chain``).
    """
    signer_id = token_id(signer) if isinstance(signer, PublicKey) else signer
    return SignedDocument(doc, signer_id, signature)


def attach_cosignature(
    doc: SignedDocument, signer: PublicKey | bytes, signature: Signature
) -> SignedDocument:
    """Add the co-signature of a token ``doc`` adds (over ``signing_bytes(doc)``)."""
    if doc.body.format < COSIGNED_FORMAT:
        raise MalformedData("only a format 2 identity document carries co-signatures")
    signer_id = token_id(signer) if isinstance(signer, PublicKey) else signer
    kept = tuple(c for c in doc.cosignatures if c.signer != signer_id)
    return replace(doc, cosignatures=(*kept, Cosignature(signer_id, signature)))


def encode_document(doc: SignedDocument) -> bytes:
    if doc.cosignatures and doc.body.format < COSIGNED_FORMAT:
        raise MalformedData("only a format 2 identity document carries co-signatures")
    return cbor.encode(_signed_map(doc))


def _parse_signature(sig: CborMap, what: str) -> Signature:
    scheme = _scheme(sig, what)
    known: set[int | str] = {"scheme", "sig", "auth"} if scheme in _FIDO2 else {"scheme", "sig"}
    cbor.reject_unknown(sig, known, what=what)
    auth = (
        cbor.get_bytes(sig, "auth", name=f"{what}.auth", max_size=1024) if scheme in _FIDO2 else b""
    )
    return Signature(scheme, cbor.get_bytes(sig, "sig", name=f"{what}.sig", max_size=128), auth)


def decode_document(data: bytes) -> SignedDocument:
    """Parse a signed document (signatures are checked by ``verify_chain``, not here)."""
    m = cbor.decode_map(data, max_size=MAX_DOCUMENT_SIZE)
    body = _parse_body(cbor.get_map(m, "body", name="body"))
    fields: set[int | str] = {"body", "signer", "sig"}
    if body.format >= COSIGNED_FORMAT:
        fields.add("cosig")
    cbor.reject_unknown(m, fields, what="signed identity document")
    signature = _parse_signature(cbor.get_map(m, "sig", name="sig"), "signature")
    cosignatures: list[Cosignature] = []
    if "cosig" in m:
        items = cbor.get_list(m, "cosig", name="cosig", max_items=MAX_TOKENS)
        for i, item in enumerate(items):
            c = _as_map(item, f"co-signature {i}")
            cbor.reject_unknown(c, {"signer", "sig"}, what=f"co-signature {i}")
            cosignatures.append(
                Cosignature(
                    cbor.get_bytes(c, "signer", name=f"co-signature {i}.signer", size=32),
                    _parse_signature(
                        cbor.get_map(c, "sig", name=f"co-signature {i}.sig"), f"co-signature {i}"
                    ),
                )
            )
        _unique([c.signer for c in cosignatures], "co-signer")
    return SignedDocument(
        body,
        cbor.get_bytes(m, "signer", name="signer", size=32),
        signature,
        tuple(cosignatures),
    )


# --- device certificates ------------------------------------------------------------


def device_signing_bytes(root_token: bytes, cert: DeviceCertificate) -> bytes:
    """What a device signs with its Olm Ed25519 key (``cert.signature`` is ignored)."""
    return DEVICE_DOMAIN + cbor.encode({**_device_map(cert, signed=False), "root": root_token})


def certify_device(
    root_token: bytes, unsigned: DeviceCertificate, sign: Callable[[bytes], bytes]
) -> DeviceCertificate:
    """Self-sign ``unsigned`` with ``sign`` (the device's Ed25519 key; 64-byte result).

    With vodozemac: ``lambda m: base64.b64decode(account.sign(m).to_base64() + "==")``.
    """
    cert = replace(unsigned, signature=sign(device_signing_bytes(root_token, unsigned)))
    _parse_device(_device_map(cert), "device")  # sizes and limits
    verify_device_signature(root_token, cert)
    return cert


def verify_device_signature(root_token: bytes, cert: DeviceCertificate) -> None:
    """Raise ``IdentitySignatureInvalid`` unless the device signed ``cert`` for this identity."""
    try:
        Ed25519PublicKey.from_public_bytes(cert.ed25519).verify(
            cert.signature, device_signing_bytes(root_token, cert)
        )
    except (InvalidSignature, ValueError):
        raise IdentitySignatureInvalid(
            "A device certificate in this identity is not signed by its device."
        ) from None
