"""The post-quantum capability in device certificates: signed, not strippable, not lowered."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keybound.errors import CapabilityDowngrade, IdentitySignatureInvalid
from keybound.identity.chain import verify_chain
from keybound.identity.document import (
    PQ_HYBRID_V1,
    DeviceCertificate,
    build_genesis,
    build_next,
    certify_device,
    decode_document,
    encode_document,
)
from keybound.identity.testing import SoftwareToken
from keybound.protocol.devices import certified_devices
from keybound.wire import cbor

NOW = 1_700_000_000


class Device:
    def __init__(self, device_id: bytes) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.device_id = device_id
        self.ed25519 = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def cert(self, root: bytes, pq: int) -> DeviceCertificate:
        unsigned = DeviceCertificate(self.device_id, b"\x09" * 32, self.ed25519, "wss://r", NOW)
        return certify_device(root, dataclasses.replace(unsigned, pq=pq), self.key.sign)


def test_the_capability_is_signed_and_reaches_the_protocol_layer() -> None:
    token, device = SoftwareToken(), Device(b"d1")
    root = token.entry.token_id
    genesis = token.sign_document(build_genesis([token.entry], [device.cert(root, 1)], NOW))
    again = decode_document(encode_document(genesis))
    assert again == genesis and again.body.devices[0].pq == PQ_HYBRID_V1
    verified = verify_chain([genesis], None, NOW)
    (keys,) = certified_devices(verified)
    assert keys.pq
    # a certificate without the capability keeps the bytes of older versions
    old = token.sign_document(build_genesis([token.entry], [device.cert(root, 0)], NOW))
    assert "pq" not in cbor.decode_map(encode_document(old))["body"]["devices"][0]  # type: ignore[index, operator]
    assert not certified_devices(verify_chain([old], None, NOW))[0].pq


def test_a_relay_stripping_the_capability_breaks_the_signatures() -> None:
    token, device = SoftwareToken(), Device(b"d1")
    root = token.entry.token_id
    genesis = token.sign_document(build_genesis([token.entry], [device.cert(root, 1)], NOW))
    m = cbor.decode_map(encode_document(genesis))
    del m["body"]["devices"][0]["pq"]  # type: ignore[index, union-attr, arg-type]
    with pytest.raises(IdentitySignatureInvalid):
        verify_chain([decode_document(cbor.encode(m))], None, NOW)


def test_a_newer_document_cannot_take_the_capability_away() -> None:
    """Even signed by the token and re-listing a certificate the device once signed."""
    token, device = SoftwareToken(), Device(b"d1")
    root = token.entry.token_id
    without, with_pq = device.cert(root, 0), device.cert(root, 1)
    genesis = token.sign_document(build_genesis([token.entry], [without], NOW))
    upgraded = token.sign_document(build_next(genesis, NOW + 1, devices=[with_pq]))
    assert certified_devices(verify_chain([genesis, upgraded], None, NOW + 1))[0].pq
    lowered = token.sign_document(build_next(upgraded, NOW + 2, devices=[without]))
    with pytest.raises(CapabilityDowngrade):
        verify_chain([genesis, upgraded, lowered], None, NOW + 2)
