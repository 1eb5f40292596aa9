"""An identity chain signed by the virtual card's real OpenPGP and FIDO2 applets, in-process.

The same backends (APDUs, CTAP2 with PIN/UV) that sign for a person sign here, on
the token worker; only the reader is left out. Devices are real vodozemac accounts.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
import vodozemac

from keybound.errors import UnknownSigner
from keybound.identity.chain import verify_chain
from keybound.identity.document import (
    DeviceCertificate,
    SignedDocument,
    TokenEntry,
    UnsignedDocument,
    attach_cosignature,
    attach_signature,
    build_genesis,
    build_next,
    certify_device,
    decode_document,
    encode_document,
    signing_bytes,
)
from keybound.token.base import EnrollOptions, PinKind, SignatureScheme, Token, Transport
from keybound.token.fido2_token import Fido2Token, inprocess_device, inprocess_ref
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker

from .helpers import NOW

USER_PIN, ADMIN_PIN = "424242", "87654321"


def device(root: bytes, device_id: bytes) -> DeviceCertificate:
    account = vodozemac.Account()
    unsigned = DeviceCertificate(
        device_id,
        account.curve25519_key.to_bytes(),
        base64.b64decode(account.ed25519_key.to_base64() + "="),
        "wss://relay.test/" + device_id.decode(),
        NOW,
    )
    return certify_device(
        root, unsigned, lambda m: base64.b64decode(account.sign(m).to_base64() + "==")
    )


def sign(worker: TokenWorker, token: Token, doc: UnsignedDocument) -> SignedDocument:
    public = worker.call(token.public_key)
    return attach_signature(doc, public, worker.call(token.sign, signing_bytes(doc)))


def cosign(worker: TokenWorker, token: Token, doc: SignedDocument) -> SignedDocument:
    public = worker.call(token.public_key)
    return attach_cosignature(doc, public, worker.call(token.sign, signing_bytes(doc)))


def test_chain_signed_by_real_openpgp_and_fido2_backends(
    inprocess_card: Callable[..., tuple[VirtualCard, InProcessTransport]],
    token_worker: TokenWorker,
) -> None:
    prompter = FixedPinPrompter({PinKind.USER: USER_PIN, PinKind.ADMIN: ADMIN_PIN})
    _, pgp_transport = inprocess_card("openpgp")
    _, fido_transport = inprocess_card("fido2")
    card = token_worker.call(OpenPgpToken, pgp_transport, prompter, Transport.INPROCESS)
    key = token_worker.call(
        lambda: Fido2Token(inprocess_device(fido_transport), inprocess_ref("key"), prompter)
    )
    pgp_public = token_worker.call(
        card.enroll,
        EnrollOptions(user_pin=USER_PIN, admin_pin=ADMIN_PIN, current_admin_pin="12345678"),
    )
    fido_public = token_worker.call(key.enroll, EnrollOptions(user_pin=USER_PIN))
    assert pgp_public.scheme is SignatureScheme.OPENPGP_ED25519
    assert fido_public.scheme in (SignatureScheme.FIDO2_EDDSA, SignatureScheme.FIDO2_ES256)
    pgp, fido = TokenEntry(pgp_public, "card"), TokenEntry(fido_public, "key")

    laptop = device(pgp.token_id, b"laptop")
    docs = [sign(token_worker, card, build_genesis([pgp], [laptop], NOW))]
    added = sign(token_worker, card, build_next(docs[-1], NOW + 1, tokens=[pgp, fido]))
    docs.append(cosign(token_worker, key, added))  # the FIDO2 key agrees to join
    desktop = device(pgp.token_id, b"desktop")
    docs.append(sign(token_worker, key, build_next(docs[-1], NOW + 2, devices=[laptop, desktop])))
    docs.append(sign(token_worker, key, build_next(docs[-1], NOW + 3, tokens=[fido])))
    docs = [decode_document(encode_document(d)) for d in docs]  # as if fetched from a relay

    verified = verify_chain(docs, None, NOW + 10)
    assert verified.version == 3
    assert [t.token_id for t in verified.tokens] == [fido.token_id]
    assert {d.device_id for d in verified.devices} == {b"laptop", b"desktop"}

    # the removed card still signs, but its signature no longer counts
    late = sign(token_worker, card, build_next(docs[-1], NOW + 4, devices=[laptop]))
    with pytest.raises(UnknownSigner):
        verify_chain([*docs, late], None, NOW + 10)
