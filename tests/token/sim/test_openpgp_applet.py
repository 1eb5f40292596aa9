"""The virtual OpenPGP card, driven by raw APDUs as a host would send them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from keybound.token.apdu import CommandApdu, ResponseApdu
from keybound.token.openpgp import tlv
from keybound.token.openpgp.spec import ATTR_ED25519, ATTR_X25519
from keybound.token.sim import VirtualCard, build_card

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "data" / "openpgp" / "vectors.json").read_text()
)
PW1 = b"123456"
PW3 = b"12345678"


class Host:
    """Sends APDUs to a virtual card and parses the answers."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card

    def raw(self, apdu: bytes) -> ResponseApdu:
        return ResponseApdu.parse(self.card.transmit(apdu))

    def send(
        self,
        ins: int,
        p1: int = 0,
        p2: int = 0,
        data: bytes = b"",
        le: int | None = None,
        cla: int = 0,
        extended: bool = False,
    ) -> ResponseApdu:
        return self.raw(CommandApdu(cla, ins, p1, p2, data, le, extended).encode())

    def select(self, aid: str = "D27600012401") -> ResponseApdu:
        return self.send(0xA4, 0x04, 0x00, bytes.fromhex(aid))

    def get_data(self, tag: int, le: int = 256) -> ResponseApdu:
        return self.send(0xCA, tag >> 8, tag & 0xFF, le=le)

    def verify(self, p2: int, pin: bytes = b"") -> ResponseApdu:
        return self.send(0x20, 0, p2, pin)

    def put(self, tag: int, value: bytes) -> ResponseApdu:
        return self.send(0xDA, tag >> 8, tag & 0xFF, value)

    def generate(self, crt: int, p1: int = 0x80) -> ResponseApdu:
        return self.send(0x47, p1, 0, bytes((crt, 0)), le=256)

    def sign(self, digest: bytes) -> ResponseApdu:
        return self.send(0x2A, 0x9E, 0x9A, digest, le=256)

    def decipher(self, point: bytes) -> ResponseApdu:
        data = tlv.encode(0xA6, tlv.encode(0x7F49, tlv.encode(0x86, point)))
        return self.send(0x2A, 0x80, 0x86, data, le=256)

    def pw_status(self) -> bytes:
        response = self.get_data(0xC4)
        assert response.sw == 0x9000
        return response.data


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "card.json"


@pytest.fixture
def make_host(state_file: Path) -> Callable[[], Host]:
    def make() -> Host:
        card = build_card("openpgp", state_file)
        card.power_on()
        host = Host(card)
        assert host.select().sw == 0x9000
        return host

    return make


@pytest.fixture
def host(make_host: Callable[[], Host]) -> Host:
    return make_host()


def keyed(host: Host) -> tuple[bytes, bytes]:
    """Generate signature and decryption keys; return their public points."""
    assert host.verify(0x83, PW3).sw == 0x9000
    sig = host.generate(0xB6)
    dec = host.generate(0xB8)
    assert sig.sw == dec.sw == 0x9000
    return tlv.find(sig.data, 0x86) or b"", tlv.find(dec.data, 0x86) or b""


# --- selection and data objects ------------------------------------------------------------


def test_aid_layout_and_select_by_prefix(host: Host) -> None:
    aid = host.get_data(0x4F).data
    assert len(aid) == 16
    assert aid[:6] == bytes.fromhex("D27600012401")
    assert aid[6:8] == b"\x03\x04"  # version 3.4
    assert aid[8:10] == b"\xff\xff"  # test card manufacturer
    assert aid[14:] == b"\x00\x00"
    assert host.select(aid.hex()).sw == 0x9000
    assert host.select("D27600012402").sw == 0x6A82


def test_serial_is_random_per_card(tmp_path: Path) -> None:
    serials = {
        build_card("openpgp", tmp_path / f"{i}.json").applets[0].aid[10:14] for i in range(4)
    }
    assert len(serials) == 4


def test_application_related_data(host: Host) -> None:
    response = host.get_data(0x6E, le=65536)
    assert response.sw == 0x9000
    items = tlv.parse(response.data)
    assert [item.tag for item in items] == [0x6E]
    body = items[0].value
    assert [item.tag for item in tlv.parse(body)] == [0x4F, 0x5F52, 0x7F74, 0x7F66, 0x73]
    discretionary = tlv.find(body, 0x73) or b""
    assert [item.tag for item in tlv.parse(discretionary)] == [
        0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xCD, 0xDE,
    ]  # fmt: skip
    assert tlv.find(body, 0x5F52) == bytes.fromhex(VECTORS["historical_bytes"]["hex"])
    assert tlv.encode(0x7F66, tlv.find(body, 0x7F66) or b"") == bytes.fromhex(
        VECTORS["extended_length_information"]["hex"]
    )
    assert tlv.find(body, 0xC1) == bytes.fromhex(VECTORS["attributes_ed25519"]["hex"])
    assert tlv.find(body, 0xC2) == bytes.fromhex(VECTORS["attributes_x25519"]["hex"])
    assert tlv.find(body, 0xC3) == ATTR_ED25519
    assert tlv.find(body, 0xC4) == bytes.fromhex(VECTORS["pw_status_default"]["hex"])
    assert tlv.find(body, 0xC5) == bytes(60)
    assert tlv.find(body, 0xCD) == bytes(12)
    assert tlv.find(body, 0xDE) == bytes.fromhex("010002000300")
    assert len(tlv.find(body, 0xC0) or b"") == 10


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (0xC1, ATTR_ED25519),
        (0xC2, ATTR_X25519),
        (0xC3, ATTR_ED25519),
        (0x5F52, bytes.fromhex("0073C021C0059000")),
        (0x5E, b""),
        (0x7A, bytes.fromhex("7A0593030000 00".replace(" ", ""))),
        (0x7F74, bytes.fromhex("7F7403810100")),
    ],
)
def test_get_single_data_objects(host: Host, tag: int, expected: bytes) -> None:
    response = host.get_data(tag)
    assert (response.sw, response.data) == (0x9000, expected)


def test_cardholder_data(host: Host) -> None:
    assert host.verify(0x83, PW3).sw == 0x9000
    assert host.put(0x5B, b"Doe<<Jane").sw == 0x9000
    assert host.put(0x5F2D, b"en").sw == 0x9000
    assert host.put(0x5F35, b"2").sw == 0x9000
    data = host.get_data(0x65).data
    assert data == tlv.encode(
        0x65,
        bytes.fromhex("5B09")
        + b"Doe<<Jane"
        + bytes.fromhex("5F2D02")
        + b"en"
        + bytes.fromhex("5F350132"),
    )


def test_unknown_do_ins_and_cla(host: Host) -> None:
    assert host.get_data(0x0101).sw == 0x6A88
    assert host.send(0x12).sw == 0x6D00
    assert host.send(0xCA, 0x00, 0x4F, le=256, cla=0x80).sw == 0x6E00


# --- PINs -----------------------------------------------------------------------------------


def test_verify_status_query_and_success(host: Host) -> None:
    assert host.verify(0x81).sw == 0x63C3
    assert host.verify(0x81, PW1).sw == 0x9000
    assert host.verify(0x81).sw == 0x9000
    assert host.verify(0x82).sw == 0x63C3  # 81 and 82 are separate states
    assert host.verify(0x83, PW3).sw == 0x9000
    assert host.send(0x20, 0xFF, 0x83).sw == 0x9000  # reset the verification
    assert host.verify(0x83).sw == 0x63C3


def test_wrong_pin_counts_down_blocks_and_resets_on_success(host: Host) -> None:
    assert host.verify(0x82, b"000000").sw == 0x63C2
    assert host.pw_status()[4] == 2
    assert host.verify(0x82, PW1).sw == 0x9000
    assert host.pw_status()[4] == 3
    assert [host.verify(0x82, b"000000").sw for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert host.verify(0x82, PW1).sw == 0x6983  # right PIN, but blocked
    assert host.verify(0x81).sw == 0x6983
    assert host.pw_status()[4] == 0


def test_too_short_pin_is_a_wrong_try(host: Host) -> None:
    assert host.verify(0x83, b"123456").sw == 0x63C2  # shorter than PW3's minimum of 8


def test_wrong_p1_p2(host: Host) -> None:
    assert host.verify(0x84, PW1).sw == 0x6B00
    assert host.send(0x20, 0x01, 0x81, PW1).sw == 0x6B00
    assert host.send(0x24, 0x00, 0x82, PW1 + b"654321").sw == 0x6B00


def test_change_reference_data(host: Host) -> None:
    assert host.send(0x24, 0, 0x81, PW1 + b"abcdefgh").sw == 0x9000
    assert host.verify(0x82, PW1).sw == 0x63C2
    assert host.verify(0x82, b"abcdefgh").sw == 0x9000
    assert host.send(0x24, 0, 0x81, b"abcdefgh" + b"12345").sw == 0x6A80  # new too short
    assert host.send(0x24, 0, 0x83, b"wrongpin" + b"87654321").sw == 0x63C2
    assert host.send(0x24, 0, 0x83, PW3 + b"87654321").sw == 0x9000
    assert host.verify(0x83, b"87654321").sw == 0x9000
    assert host.pw_status()[6] == 3


def test_reset_retry_counter_by_admin(host: Host) -> None:
    for _ in range(3):
        host.verify(0x81, b"999999")
    assert host.send(0x2C, 0x02, 0x81, b"111111").sw == 0x6982  # PW3 not verified
    assert host.verify(0x83, PW3).sw == 0x9000
    assert host.send(0x2C, 0x02, 0x81, b"111").sw == 0x6A80
    assert host.send(0x2C, 0x02, 0x81, b"111111").sw == 0x9000
    assert host.pw_status()[4] == 3
    assert host.verify(0x81, b"111111").sw == 0x9000
    assert host.send(0x2C, 0x00, 0x81, b"rc" + b"222222").sw == 0x6983  # no resetting code


# --- PUT DATA -----------------------------------------------------------------------------


def test_put_data_needs_admin(host: Host) -> None:
    assert host.put(0x5B, b"Jane").sw == 0x6982
    assert host.verify(0x81, PW1).sw == 0x9000
    assert host.put(0x5B, b"Jane").sw == 0x6982


def test_put_data_objects(host: Host) -> None:
    assert host.verify(0x83, PW3).sw == 0x9000
    fprs = [bytes([i]) * 20 for i in (1, 2, 3)]
    for tag, fpr in zip((0xC7, 0xC8, 0xC9), fprs, strict=True):
        assert host.put(tag, fpr).sw == 0x9000
    for tag, when in zip(
        (0xCE, 0xCF, 0xD0), (b"\x01\x02\x03\x04", b"\x05" * 4, b"\x06" * 4), strict=True
    ):
        assert host.put(tag, when).sw == 0x9000
    assert host.put(0xCA, b"\x0a" * 20).sw == 0x9000
    assert host.put(0x5E, b"jane").sw == 0x9000
    assert host.get_data(0xC5).data == b"".join(fprs)
    assert host.get_data(0xCD).data == b"\x01\x02\x03\x04" + b"\x05" * 4 + b"\x06" * 4
    assert host.get_data(0xC6).data == b"\x0a" * 20 + bytes(40)
    assert host.get_data(0x5E).data == b"jane"
    assert host.put(0xC7, b"short").sw == 0x6A80
    assert host.put(0x5B, b"x" * 40).sw == 0x6A80
    assert host.put(0x0101, b"x").sw == 0x6A88


def test_algorithm_attributes(host: Host) -> None:
    assert host.verify(0x83, PW3).sw == 0x9000
    assert host.put(0xC1, ATTR_ED25519).sw == 0x9000
    assert host.put(0xC2, ATTR_X25519).sw == 0x9000
    assert host.put(0xC3, ATTR_ED25519 + b"\xff").sw == 0x9000
    assert host.get_data(0xC3).data == ATTR_ED25519 + b"\xff"
    rsa2048 = bytes.fromhex("010800002001")
    assert host.put(0xC1, rsa2048).sw == 0x6A80
    assert host.put(0xC1, ATTR_X25519).sw == 0x6A80
    assert host.put(0xC2, ATTR_ED25519).sw == 0x6A80
    assert host.get_data(0xC1).data == ATTR_ED25519


def test_pw_status_validity_changeable(host: Host) -> None:
    assert host.verify(0x83, PW3).sw == 0x9000
    assert host.put(0xC4, b"\x01").sw == 0x9000
    assert host.pw_status()[0] == 1
    assert host.put(0xC4, b"\x02").sw == 0x6A80


# --- keys ---------------------------------------------------------------------------------


def test_generate_needs_admin_and_reads_back(host: Host) -> None:
    assert host.generate(0xB6).sw == 0x6982
    assert host.generate(0xB6, p1=0x81).sw == 0x6A88  # no key yet
    sig, dec = keyed(host)
    assert len(sig) == len(dec) == 32
    read = host.generate(0xB6, p1=0x81)
    assert read.data == tlv.encode(0x7F49, tlv.encode(0x86, sig))
    assert tlv.find(host.generate(0xB8, p1=0x81).data, 0x86) == dec
    assert host.get_data(0xDE).data == bytes.fromhex("010102010300")
    assert host.generate(0xB7).sw == 0x6A80
    assert host.send(0x47, 0x82, 0, b"\xb6\x00").sw == 0x6B00


def test_sign_needs_pw1_81_for_one_signature(host: Host) -> None:
    sig, _ = keyed(host)
    digest = bytes(range(32))
    assert host.sign(digest).sw == 0x6982
    assert host.verify(0x82, PW1).sw == 0x9000
    assert host.sign(digest).sw == 0x6982  # 82 does not allow signing
    assert host.verify(0x81, PW1).sw == 0x9000
    response = host.sign(digest)
    assert response.sw == 0x9000
    Ed25519PublicKey.from_public_bytes(sig).verify(response.data, digest)
    assert host.sign(digest).sw == 0x6982  # valid for one signature only
    assert host.verify(0x81).sw == 0x63C3


def test_sign_several_when_validity_is_multiple(host: Host) -> None:
    keyed(host)
    assert host.put(0xC4, b"\x01").sw == 0x9000
    assert host.verify(0x81, PW1).sw == 0x9000
    assert [host.sign(b"d" * 32).sw for _ in range(3)] == [0x9000] * 3


def test_signature_counter_counts_and_resets_on_generation(host: Host) -> None:
    keyed(host)
    for _ in range(2):
        assert host.verify(0x81, PW1).sw == 0x9000
        assert host.sign(b"x" * 32).sw == 0x9000
    assert host.get_data(0x7A).data == bytes.fromhex("7A0593030000 02".replace(" ", ""))
    assert host.generate(0xB8).sw == 0x9000  # the decryption key: counter stays
    assert tlv.find(host.get_data(0x7A).data, 0x93) == b"\x00\x00\x02"
    assert host.generate(0xB6).sw == 0x9000
    assert tlv.find(host.get_data(0x7A).data, 0x93) == b"\x00\x00\x00"


def test_generation_clears_the_old_fingerprint(host: Host) -> None:
    keyed(host)
    assert host.put(0xC7, b"\x11" * 20).sw == 0x9000
    assert host.generate(0xB6).sw == 0x9000
    assert host.get_data(0xC5).data[:20] == bytes(20)


def test_sign_input_limits(host: Host) -> None:
    keyed(host)
    assert host.verify(0x81, PW1).sw == 0x9000
    assert host.sign(b"x" * 65).sw == 0x6A80
    assert host.send(0x2A, 0x9E, 0x9B, b"x" * 32).sw == 0x6B00


def test_decipher_is_x25519(host: Host) -> None:
    _, dec = keyed(host)
    ephemeral = X25519PrivateKey.generate()
    point = ephemeral.public_key().public_bytes_raw()
    assert host.decipher(point).sw == 0x6982
    assert host.verify(0x82, PW1).sw == 0x9000
    expected = ephemeral.exchange(X25519PublicKey.from_public_bytes(dec))
    response = host.decipher(point)
    assert (response.sw, response.data) == (0x9000, expected)
    assert host.decipher(b"\x40" + point).data == expected  # GnuPG's prefixed form
    assert host.decipher(point).sw == 0x9000  # 82 stays verified
    assert host.decipher(bytes(32)).sw == 0x6A80  # low-order point
    assert host.decipher(point[:31]).sw == 0x6A80
    assert host.send(0x2A, 0x80, 0x86, b"\x86\x20" + point).sw == 0x6A80


def test_decipher_matches_the_rfc7748_vector(state_file: Path) -> None:
    vector = VECTORS["x25519_rfc7748"]
    card = build_card("openpgp", state_file)
    state = json.loads(state_file.read_text())
    state["OpenPgpApplet"]["keys"]["B8"]["private"] = vector["private"]
    state_file.write_text(json.dumps(state))
    card = build_card("openpgp", state_file)
    host = Host(card)
    host.select()
    assert host.verify(0x82, PW1).sw == 0x9000
    response = host.send(
        0x2A, 0x80, 0x86, bytes.fromhex(VECTORS["decipher_ecdh_command_data"]["hex"]), le=256
    )
    assert response.data.hex().upper() == vector["shared"]


def test_internal_authenticate(host: Host) -> None:
    keyed(host)
    assert host.send(0x88, 0, 0, b"challenge", le=256).sw == 0x6982
    assert host.verify(0x82, PW1).sw == 0x9000
    assert host.send(0x88, 0, 0, b"challenge", le=256).sw == 0x6A88  # no aut key yet
    assert host.verify(0x83, PW3).sw == 0x9000
    aut = tlv.find(host.generate(0xA4).data, 0x86) or b""
    response = host.send(0x88, 0, 0, b"challenge", le=256)
    Ed25519PublicKey.from_public_bytes(aut).verify(response.data, b"challenge")


# --- framing ----------------------------------------------------------------------------------


def test_get_response_for_short_le(host: Host) -> None:
    first = host.get_data(0x4F, le=8)
    assert (first.sw, len(first.data)) == (0x6108, 8)
    rest = host.send(0xC0, le=8)
    assert rest.sw == 0x9000
    assert first.data + rest.data == host.get_data(0x4F).data
    assert host.send(0xC0, le=8).sw == 0x6985  # nothing pending


def test_application_data_in_pieces_through_get_response(host: Host) -> None:
    whole = host.get_data(0x6E, le=65536)
    assert whole.sw == 0x9000
    response = host.get_data(0x6E, le=100)
    collected, rounds = response.data, 0
    while response.sw & 0xFF00 == 0x6100:
        assert response.sw & 0xFF == min(len(whole.data) - len(collected), 256) % 256
        response = host.send(0xC0, le=100)
        collected += response.data
        rounds += 1
    assert (response.sw, collected, rounds) == (0x9000, whole.data, 2)


def test_extended_apdu(host: Host) -> None:
    keyed(host)
    assert host.verify(0x81, PW1).sw == 0x9000
    response = host.send(0x2A, 0x9E, 0x9A, b"z" * 32, le=65536, extended=True)
    assert (response.sw, len(response.data)) == (0x9000, 64)


def test_command_chaining(host: Host) -> None:
    sig, _ = keyed(host)
    assert host.verify(0x81, PW1).sw == 0x9000
    digest = bytes(range(32))
    assert host.send(0x2A, 0x9E, 0x9A, digest[:10], cla=0x10).sw == 0x9000
    assert host.send(0x2A, 0x9E, 0x9A, digest[10:20], cla=0x10).sw == 0x9000
    response = host.send(0x2A, 0x9E, 0x9A, digest[20:], le=256)
    assert response.sw == 0x9000
    Ed25519PublicKey.from_public_bytes(sig).verify(response.data, digest)


def test_broken_chain_is_refused(host: Host) -> None:
    assert host.send(0xDA, 0x00, 0x5B, b"Jane", cla=0x10).sw == 0x9000
    assert host.get_data(0x4F).sw == 0x6883
    assert host.get_data(0x4F).sw == 0x9000  # the chain was dropped


# --- power and persistence ---------------------------------------------------------------


def test_reset_forgets_verification(host: Host) -> None:
    assert host.verify(0x82, PW1).sw == 0x9000
    host.card.reset()
    host.select()
    assert host.verify(0x82).sw == 0x63C3


def test_state_survives_a_reload(make_host: Callable[[], Host], state_file: Path) -> None:
    host = make_host()
    sig, dec = keyed(host)
    assert host.verify(0x82, b"000000").sw == 0x63C2
    assert host.verify(0x83, b"00000000").sw == 0x63C2
    assert "123456" not in state_file.read_text()  # PINs are hashed
    again = make_host()
    assert tlv.find(again.generate(0xB6, p1=0x81).data, 0x86) == sig
    assert tlv.find(again.generate(0xB8, p1=0x81).data, 0x86) == dec
    assert again.pw_status()[4:] == bytes((2, 0, 2))
    assert again.verify(0x83).sw == 0x63C2  # verification itself does not persist
    assert again.card.applets[0].aid == host.card.applets[0].aid


def test_dirty_only_after_changes(host: Host) -> None:
    applet = host.card.applets[0]
    assert not applet.dirty
    host.get_data(0x6E)
    host.verify(0x81, PW1)
    assert not applet.dirty
    host.verify(0x81, b"000000")
    assert not applet.dirty  # the card saved right away
    assert host.card.state_file is not None
    saved = json.loads(host.card.state_file.read_text())
    assert saved["OpenPgpApplet"]["pw1"]["retries"] == 2


def test_terminate_and_activate_is_a_factory_reset(host: Host) -> None:
    aid = host.get_data(0x4F).data
    keyed(host)
    assert host.send(0x24, 0, 0x81, PW1 + b"abcdefgh").sw == 0x9000
    host.send(0x20, 0xFF, 0x83)
    assert host.send(0xE6).sw == 0x6982  # PW3 neither verified nor blocked
    assert host.verify(0x83, PW3).sw == 0x9000
    assert host.send(0xE6).sw == 0x9000
    assert host.select().sw == 0x6285
    assert host.get_data(0x4F).sw == 0x6285
    assert host.send(0x44).sw == 0x9000
    assert host.select().sw == 0x9000
    assert host.get_data(0x4F).data == aid  # same serial
    assert host.generate(0xB6, p1=0x81).sw == 0x6A88  # keys gone
    assert host.verify(0x81, PW1).sw == 0x9000  # default PIN again


def test_terminate_allowed_when_admin_pin_blocked(host: Host) -> None:
    for _ in range(3):
        host.verify(0x83, b"00000000")
    assert host.send(0xE6).sw == 0x9000
    assert host.send(0x44).sw == 0x9000
    host.select()
    assert host.pw_status() == bytes.fromhex(VECTORS["pw_status_default"]["hex"])
