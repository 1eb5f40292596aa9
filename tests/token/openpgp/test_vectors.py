"""Golden vectors from the OpenPGP card spec, RFC 7748/8032 and RFC 9580 (tests/data/openpgp)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keybound.token.openpgp import tlv
from keybound.token.openpgp.card import CardCapabilities
from keybound.token.openpgp.fingerprint import (
    ecdh_fingerprint,
    eddsa_fingerprint,
    eddsa_packet_body,
)
from keybound.token.openpgp.spec import ATTR_ED25519, ATTR_X25519, Tag, pw_status_retries

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "data" / "openpgp" / "vectors.json").read_text()
)


def vec(name: str, field: str = "hex") -> bytes:
    return bytes.fromhex(VECTORS[name][field])


def test_algorithm_attributes() -> None:
    assert vec("attributes_ed25519") == ATTR_ED25519
    assert vec("attributes_x25519") == ATTR_X25519


def test_pw_status_layout() -> None:
    fields = VECTORS["pw_status_default"]["fields"]
    data = vec("pw_status_default")
    assert pw_status_retries(data) == (fields["pw1_tries"], fields["rc_tries"], fields["pw3_tries"])
    assert data[0] == int(fields["pw1_valid_multiple"])
    assert tuple(data[1:4]) == (fields["max_pw1"], fields["max_rc"], fields["max_pw3"])


def test_capabilities_from_historical_bytes_and_7f66() -> None:
    app = tlv.encode(Tag.HISTORICAL, vec("historical_bytes")) + vec("extended_length_information")
    assert CardCapabilities.from_application_data(app) == CardCapabilities(True, 2048)
    short = tlv.encode(Tag.HISTORICAL, bytes.fromhex("0073C02180059000"))
    assert CardCapabilities.from_application_data(short) == CardCapabilities(False, 256)


def test_public_key_do() -> None:
    data = vec("public_key_do_ed25519")
    assert (
        tlv.encode(Tag.PUBLIC_KEY, tlv.encode(Tag.ECC_POINT, vec("public_key_do_ed25519", "point")))
        == data
    )
    assert tlv.find(data, Tag.ECC_POINT) == vec("public_key_do_ed25519", "point")


def test_decipher_command_data() -> None:
    point = vec("decipher_ecdh_command_data", "point")
    built = tlv.encode(Tag.CIPHER, tlv.encode(Tag.PUBLIC_KEY, tlv.encode(Tag.ECC_POINT, point)))
    assert built == vec("decipher_ecdh_command_data")


def test_v4_fingerprint_of_the_rfc_sample_ed25519_key() -> None:
    sample = VECTORS["v4_ed25519_sample_key"]
    packet = vec("v4_ed25519_sample_key", "packet")
    point = vec("v4_ed25519_sample_key", "point")
    assert eddsa_packet_body(point, sample["created"]) == packet[2:]  # after the old-format header
    assert eddsa_fingerprint(point, sample["created"]) == vec(
        "v4_ed25519_sample_key", "fingerprint"
    )


def test_v4_fingerprint_of_a_cv25519_key_matches_gnupg_key_id() -> None:
    sample = VECTORS["v4_cv25519_key"]
    fpr = ecdh_fingerprint(vec("v4_cv25519_key", "point"), sample["created"])
    assert fpr[-8:] == vec("v4_cv25519_key", "key_id")


@pytest.mark.parametrize("created", [0, 1, 0xFFFFFFFF])
def test_fingerprint_depends_on_time_and_key(created: int) -> None:
    point = vec("v4_ed25519_sample_key", "point")
    assert eddsa_fingerprint(point, created) != eddsa_fingerprint(point, created ^ 1)
    assert eddsa_fingerprint(point, created) != ecdh_fingerprint(point, created)
