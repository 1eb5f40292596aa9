"""The virtual FIDO2 card, checked with tools we did not write.

python-fido2's ``Ctap2``/``ClientPin`` (and its WebAuthn ``Fido2Client`` and
``Fido2Server``) drive the card through ``CtapPcscDevice`` over the in-process
transport, so every byte passes the same NFC binding a real reader would use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fido2 import cbor
from fido2.client import DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.cose import CoseKey
from fido2.ctap import STATUS, CtapDevice, CtapError
from fido2.ctap2 import AttestationResponse, Ctap2, Info
from fido2.ctap2.pin import ClientPin, PinProtocol, PinProtocolV1, PinProtocolV2
from fido2.server import Fido2Server
from fido2.utils import websafe_decode
from fido2.webauthn import (
    AuthenticatorData,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from keybound.token.apdu import CommandApdu
from keybound.token.fido2_token import inprocess_device
from keybound.token.sim.card import VirtualCard, load_state
from keybound.token.sim.fido2_applet import Fido2Applet
from keybound.token.sim.fido2_ctap import AAGUID
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.sim.presence import PresenceMode, UserPresence

ERR = CtapError.ERR
RP = "example.com"
PIN = "1234"
DATA = Path(__file__).resolve().parents[2] / "data" / "ctap2"
MC_GA = ClientPin.PERMISSION.MAKE_CREDENTIAL | ClientPin.PERMISSION.GET_ASSERTION


class Card:
    """A virtual FIDO2 card with a state file, and python-fido2 clients for it."""

    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file
        self.presence = UserPresence()
        state = load_state(state_file) if state_file.exists() else {}
        self.applet = Fido2Applet(state.get("Fido2Applet"), self.presence)
        self.card = VirtualCard([self.applet], self.presence, state_file)
        self.card.save()
        self.transport = InProcessTransport(self.card)
        self.device: CtapDevice = inprocess_device(self.transport)
        self.ctap = Ctap2(self.device)

    def client_pin(self, protocol: PinProtocol | None = None) -> ClientPin:
        return ClientPin(Ctap2(self.device), protocol)

    def power_cycle(self) -> None:
        """Off and on again; like a platform, SELECT the applet anew."""
        self.card.reset()
        self.device.connect()  # type: ignore[attr-defined]


@pytest.fixture
def card(tmp_path: Path) -> Card:
    return Card(tmp_path / "fido2.json")


def cdh(label: bytes = b"challenge") -> bytes:
    return hashlib.sha256(label).digest()


def pin_args(
    card: Card,
    client_data_hash: bytes,
    permissions: Any,
    rp_id: str | None = RP,
    protocol: PinProtocol | None = None,
) -> dict[str, Any]:
    client_pin = card.client_pin(protocol)
    token = client_pin.get_pin_token(PIN, permissions, rp_id)
    return {
        "pin_uv_param": client_pin.protocol.authenticate(token, client_data_hash),
        "pin_uv_protocol": client_pin.protocol.VERSION,
    }


def make_credential(
    card: Card,
    *,
    alg: list[int] | None = None,
    rk: bool = True,
    cred_protect: int | None = None,
    hmac_secret: bool = True,
    uv: bool = False,
    user_id: bytes = b"user-1",
    **kwargs: Any,
) -> AttestationResponse:
    client_data_hash = cdh(b"register")
    extensions: dict[str, Any] = {}
    if hmac_secret:
        extensions["hmac-secret"] = True
    if cred_protect is not None:
        extensions["credProtect"] = cred_protect
    if uv:
        kwargs.update(pin_args(card, client_data_hash, ClientPin.PERMISSION.MAKE_CREDENTIAL))
    return card.ctap.make_credential(
        client_data_hash,
        {"id": RP, "name": "Example"},
        {"id": user_id, "name": "alice", "displayName": "Alice"},
        [{"type": "public-key", "alg": a} for a in (alg or [-7])],
        extensions=extensions or None,
        options={"rk": rk},
        **kwargs,
    )


def get_hmac_secret(
    card: Card,
    credential_id: bytes | None,
    salts: list[bytes],
    *,
    uv: bool = False,
    protocol: PinProtocol | None = None,
) -> list[bytes]:
    """hmac-secret by hand, as CTAP 2.1 §12.5 describes the platform side."""
    protocol = protocol or PinProtocolV2()
    client_data_hash = cdh(b"unlock")
    kwargs: dict[str, Any] = {}
    if uv:
        kwargs.update(
            pin_args(card, client_data_hash, ClientPin.PERMISSION.GET_ASSERTION, protocol=protocol)
        )
    response = card.ctap.client_pin(protocol.VERSION, ClientPin.CMD.GET_KEY_AGREEMENT)
    key_agreement, shared = protocol.encapsulate(CoseKey(response[ClientPin.RESULT.KEY_AGREEMENT]))
    salt_enc = protocol.encrypt(shared, b"".join(salts))
    extension = {
        1: key_agreement,
        2: salt_enc,
        3: protocol.authenticate(shared, salt_enc),
        4: protocol.VERSION,
    }
    allow = [{"type": "public-key", "id": credential_id}] if credential_id else None
    assertion = card.ctap.get_assertion(
        RP, client_data_hash, allow, extensions={"hmac-secret": extension}, **kwargs
    )
    output = protocol.decrypt(shared, assertion.auth_data.extensions["hmac-secret"])
    return [output[i : i + 32] for i in range(0, len(output), 32)]


def credential_of(att: AttestationResponse) -> tuple[bytes, CoseKey]:
    data = att.auth_data.credential_data
    assert data is not None
    return data.credential_id, data.public_key


# --- transport -----------------------------------------------------------------------


def test_select_answers_fido_2_0(card: Card) -> None:
    raw = card.transport.transmit(bytes.fromhex("00A4040008A0000006472F0001"))
    assert raw == b"FIDO_2_0\x90\x00"


def test_long_response_uses_get_response_and_short_le(card: Card) -> None:
    """A makeCredential answer (> 256 bytes) leaves in 61xx pieces; GET RESPONSE collects it."""
    request = b"\x01" + cbor.encode(
        {
            1: cdh(),
            2: {"id": RP},
            3: {"id": b"u", "name": "u"},
            4: [{"type": "public-key", "alg": -7}],
            7: {"rk": True},
        }
    )
    first = card.applet.process(CommandApdu(0x80, 0x10, 0x00, 0x00, request, le=256))
    assert first.sw1 == 0x61
    assert len(first.data) == 256
    rest = card.applet.process(CommandApdu(0x00, 0xC0, 0x00, 0x00, le=first.sw2 or 256))
    assert rest.sw == 0x9000
    body = first.data + rest.data
    assert body[0] == 0
    assert cbor.decode(body[1:])[1] == "packed"


def test_chained_request_over_250_bytes_is_accepted(card: Card) -> None:
    """An excludeList long enough to need ISO chaining still reaches the authenticator."""
    att = make_credential(card)
    cred_id, _ = credential_of(att)
    exclude = [{"type": "public-key", "id": os.urandom(64)} for _ in range(4)] + [
        {"type": "public-key", "id": cred_id}
    ]
    with pytest.raises(CtapError) as info:
        make_credential(card, exclude_list=exclude)
    assert info.value.code == ERR.CREDENTIAL_EXCLUDED


def test_unknown_instruction_and_poll_without_operation(card: Card) -> None:
    assert card.applet.process(CommandApdu(0x80, 0x55, 0, 0)).sw == 0x6D00
    assert card.applet.process(CommandApdu(0x80, 0x11, 0, 0)).sw == 0x6985


# --- getInfo ---------------------------------------------------------------------------


def test_get_info(card: Card) -> None:
    info = card.ctap.get_info()
    assert info.versions == ["FIDO_2_0", "FIDO_2_1"]
    assert info.extensions == ["credProtect", "hmac-secret"]
    assert bytes(info.aaguid) == AAGUID
    assert info.options == {
        "rk": True,
        "up": True,
        "plat": False,
        "clientPin": False,
        "pinUvAuthToken": True,
    }
    assert info.pin_uv_protocols == [2, 1]
    assert info.transports == ["nfc"]
    assert [a["alg"] for a in info.algorithms] == [-8, -7]
    assert info.min_pin_length == 4
    assert info.firmware_version > 0
    card.client_pin().set_pin(PIN)
    assert card.ctap.get_info().options["clientPin"] is True


# --- golden vectors from the CTAP 2.1 specification --------------------------------------


def test_spec_get_info_example_decodes_like_ours() -> None:
    """The spec's getInfo example parses with the same Info reader our card's answer passes."""
    raw = bytes.fromhex((DATA / "get_info_response.hex").read_text().strip())
    info = Info.from_dict(cbor.decode(raw))
    assert info.versions == ["U2F_V2", "FIDO_2_0"]
    assert info.extensions == ["uvm", "hmac-secret"]
    assert bytes(info.aaguid).hex() == "f8a011f38c0a4d15800617111f9edc7d"
    assert info.options == {"rk": True, "up": True, "plat": False, "clientPin": False}
    assert info.max_msg_size == 1200
    assert info.pin_uv_protocols == [1]
    assert cbor.encode(cbor.decode(raw)) == raw  # the example is canonical CTAP2 CBOR


def test_spec_make_credential_example_is_accepted(card: Card) -> None:
    """The spec's makeCredential request, sent verbatim, yields a valid packed self-attestation."""
    request = bytes.fromhex((DATA / "make_credential_request.hex").read_text().strip())
    params = cbor.decode(request[1:])
    response = card.device.call(0x10, request)
    assert response[0] == 0
    assert cbor.encode(cbor.decode(response[1:])) == response[1:]  # canonical
    att = AttestationResponse.from_dict(cbor.decode(response[1:]))
    assert att.fmt == "packed"
    assert set(att.att_stmt) == {"alg", "sig"}
    assert att.att_stmt["alg"] == -7  # ES256 first in the request; RS256 (-257) unsupported
    auth_data = att.auth_data
    assert auth_data.rp_id_hash == hashlib.sha256(b"example.com").digest()
    assert auth_data.flags & AuthenticatorData.FLAG.UP
    assert auth_data.flags & AuthenticatorData.FLAG.AT
    assert auth_data.credential_data is not None
    key = auth_data.credential_data.public_key
    key.verify(bytes(auth_data) + params[1], att.att_stmt["sig"])
    # rk: the credential is discoverable with the example's user entity.
    assertion = card.ctap.get_assertion("example.com", cdh())
    assert assertion.user == {"id": params[3]["id"]}  # no UV: user id only, no name


# --- makeCredential / getAssertion ----------------------------------------------------------


@pytest.mark.parametrize(("algs", "expected"), [([-8, -7], -8), ([-7, -8], -7), ([-257, -8], -8)])
def test_algorithm_follows_client_preference(card: Card, algs: list[int], expected: int) -> None:
    att = make_credential(card, alg=algs)
    cred_id, key = credential_of(att)
    assert key[3] == expected
    assert att.att_stmt["alg"] == expected
    key.verify(bytes(att.auth_data) + cdh(b"register"), att.att_stmt["sig"])
    assertion = card.ctap.get_assertion(RP, cdh(b"sign"), [{"type": "public-key", "id": cred_id}])
    assertion.verify(cdh(b"sign"), key)
    assert assertion.auth_data.flags == AuthenticatorData.FLAG.UP


def test_unsupported_algorithm(card: Card) -> None:
    with pytest.raises(CtapError) as info:
        make_credential(card, alg=[-257])
    assert info.value.code == ERR.UNSUPPORTED_ALGORITHM


def test_sign_count_increases(card: Card) -> None:
    cred_id, _ = credential_of(make_credential(card))
    allow = [{"type": "public-key", "id": cred_id}]
    counters = [card.ctap.get_assertion(RP, cdh(), allow).auth_data.counter for _ in range(3)]
    assert counters == sorted(counters)
    assert len(set(counters)) == 3


def test_credential_is_bound_to_its_rp(card: Card) -> None:
    cred_id, _ = credential_of(make_credential(card, rk=False))
    with pytest.raises(CtapError) as info:
        card.ctap.get_assertion("other.example", cdh(), [{"type": "public-key", "id": cred_id}])
    assert info.value.code == ERR.NO_CREDENTIALS


def test_up_false_gives_no_up_flag_and_no_touch(card: Card) -> None:
    cred_id, _ = credential_of(make_credential(card))
    card.presence.set(PresenceMode.DENY)
    assertion = card.ctap.get_assertion(
        RP, cdh(), [{"type": "public-key", "id": cred_id}], options={"up": False}
    )
    assert not assertion.auth_data.flags & AuthenticatorData.FLAG.UP


def test_resident_credentials_and_get_next_assertion(card: Card) -> None:
    make_credential(card, user_id=b"user-1")
    make_credential(card, user_id=b"user-2")
    make_credential(card, user_id=b"user-2")  # same user: replaces, not adds
    first = card.ctap.get_assertion(RP, cdh())
    assert first.number_of_credentials == 2
    second = card.ctap.get_next_assertion()
    assert {first.user["id"], second.user["id"]} == {b"user-1", b"user-2"}
    with pytest.raises(CtapError) as info:
        card.ctap.get_next_assertion()
    assert info.value.code == ERR.NOT_ALLOWED


def test_pin_set_requires_pin_uv_auth_for_make_credential(card: Card) -> None:
    card.client_pin().set_pin(PIN)
    with pytest.raises(CtapError) as info:
        make_credential(card)
    assert info.value.code == ERR.PUAT_REQUIRED
    att = make_credential(card, uv=True)
    assert att.auth_data.flags & AuthenticatorData.FLAG.UV


def test_pin_token_is_checked_for_permission_and_rp(card: Card) -> None:
    card.client_pin().set_pin(PIN)
    client_data_hash = cdh(b"register")
    only_ga = pin_args(card, client_data_hash, ClientPin.PERMISSION.GET_ASSERTION)
    with pytest.raises(CtapError) as info:
        make_credential(card, **only_ga)
    assert info.value.code == ERR.PIN_AUTH_INVALID
    other_rp = pin_args(
        card, client_data_hash, ClientPin.PERMISSION.MAKE_CREDENTIAL, rp_id="other.example"
    )
    with pytest.raises(CtapError) as info:
        make_credential(card, **other_rp)
    assert info.value.code == ERR.PIN_AUTH_INVALID


def test_pin_token_permissions_are_spent_by_a_touch(card: Card) -> None:
    """CTAP 2.1: after an operation with UP, the token keeps no mc/ga permission."""
    card.client_pin().set_pin(PIN)
    client_data_hash = cdh(b"register")
    args = pin_args(card, client_data_hash, MC_GA)
    make_credential(card, **args)
    with pytest.raises(CtapError) as info:
        make_credential(card, **args)
    assert info.value.code == ERR.PIN_AUTH_INVALID


def test_zero_length_pin_uv_auth_param_asks_for_touch_then_pin_state(card: Card) -> None:
    with pytest.raises(CtapError) as info:
        make_credential(card, pin_uv_param=b"", pin_uv_protocol=2)
    assert info.value.code == ERR.PIN_NOT_SET
    card.client_pin().set_pin(PIN)
    with pytest.raises(CtapError) as info:
        make_credential(card, pin_uv_param=b"", pin_uv_protocol=2)
    assert info.value.code == ERR.PIN_INVALID


# --- credProtect ----------------------------------------------------------------------------


def test_cred_protect_3_needs_uv(card: Card) -> None:
    card.client_pin().set_pin(PIN)
    att = make_credential(card, cred_protect=3, uv=True)
    assert att.auth_data.extensions == {"credProtect": 3, "hmac-secret": True}
    cred_id, key = credential_of(att)
    allow = [{"type": "public-key", "id": cred_id}]
    with pytest.raises(CtapError) as info:
        card.ctap.get_assertion(RP, cdh(), allow)
    assert info.value.code == ERR.NO_CREDENTIALS
    args = pin_args(card, cdh(), ClientPin.PERMISSION.GET_ASSERTION)
    assertion = card.ctap.get_assertion(RP, cdh(), allow, **args)
    assertion.verify(cdh(), key)
    assert assertion.auth_data.flags & AuthenticatorData.FLAG.UV


def test_cred_protect_2_hides_discovery_without_uv_but_allows_allow_list(card: Card) -> None:
    card.client_pin().set_pin(PIN)
    cred_id, _ = credential_of(make_credential(card, cred_protect=2, uv=True))
    with pytest.raises(CtapError) as info:
        card.ctap.get_assertion(RP, cdh())
    assert info.value.code == ERR.NO_CREDENTIALS
    assertion = card.ctap.get_assertion(RP, cdh(), [{"type": "public-key", "id": cred_id}])
    assert assertion.credential["id"] == cred_id
    args = pin_args(card, cdh(), ClientPin.PERMISSION.GET_ASSERTION)
    discovered = card.ctap.get_assertion(RP, cdh(), **args)
    assert discovered.credential["id"] == cred_id
    assert discovered.user["name"] == "alice"  # UV: full user entity


def test_invalid_cred_protect_level(card: Card) -> None:
    with pytest.raises(CtapError) as info:
        make_credential(card, cred_protect=4)
    assert info.value.code == ERR.INVALID_OPTION


# --- hmac-secret -----------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [PinProtocolV1(), PinProtocolV2()], ids=["v1", "v2"])
def test_hmac_secret_is_deterministic_per_salt(card: Card, protocol: PinProtocol) -> None:
    cred_id, _ = credential_of(make_credential(card))
    salt_a, salt_b = os.urandom(32), os.urandom(32)
    first = get_hmac_secret(card, cred_id, [salt_a, salt_b], protocol=protocol)
    again = get_hmac_secret(card, cred_id, [salt_a], protocol=protocol)
    swapped = get_hmac_secret(card, cred_id, [salt_b, salt_a], protocol=PinProtocolV2())
    assert len(first) == 2
    assert first[0] == again[0] == swapped[1]
    assert first[1] == swapped[0]
    assert first[0] != first[1]


def test_hmac_secret_differs_with_and_without_uv(card: Card) -> None:
    card.client_pin().set_pin(PIN)
    cred_id, _ = credential_of(make_credential(card, uv=True))
    salt = os.urandom(32)
    without_uv = get_hmac_secret(card, cred_id, [salt])
    with_uv = get_hmac_secret(card, cred_id, [salt], uv=True)
    assert without_uv != with_uv
    assert get_hmac_secret(card, cred_id, [salt], uv=True) == with_uv


def test_hmac_secret_differs_per_credential(card: Card) -> None:
    salt = os.urandom(32)
    one, _ = credential_of(make_credential(card, rk=False))
    two, _ = credential_of(make_credential(card, rk=False))
    assert get_hmac_secret(card, one, [salt]) != get_hmac_secret(card, two, [salt])


def test_hmac_secret_rejects_bad_salt_auth_and_length(card: Card) -> None:
    cred_id, _ = credential_of(make_credential(card))
    protocol = PinProtocolV2()
    response = card.ctap.client_pin(2, ClientPin.CMD.GET_KEY_AGREEMENT)
    key_agreement, shared = protocol.encapsulate(CoseKey(response[1]))
    salt_enc = protocol.encrypt(shared, os.urandom(32))
    allow = [{"type": "public-key", "id": cred_id}]
    bad_auth = {"hmac-secret": {1: key_agreement, 2: salt_enc, 3: b"\0" * 32, 4: 2}}
    with pytest.raises(CtapError) as info:
        card.ctap.get_assertion(RP, cdh(), allow, extensions=bad_auth)
    assert info.value.code == ERR.PIN_AUTH_INVALID
    short_enc = protocol.encrypt(shared, os.urandom(16))
    short = {
        "hmac-secret": {
            1: key_agreement,
            2: short_enc,
            3: protocol.authenticate(shared, short_enc),
            4: 2,
        }
    }
    with pytest.raises(CtapError) as info:
        card.ctap.get_assertion(RP, cdh(), allow, extensions=short)
    assert info.value.code == ERR.INVALID_LENGTH


def test_hmac_secret_output_matches_spec_formula(card: Card) -> None:
    """Protocol 1 by hand: AES-256-CBC (zero IV) salts, 16-byte saltAuth, no key 4."""
    cred_id, _ = credential_of(make_credential(card))
    protocol = PinProtocolV1()
    response = card.ctap.client_pin(1, ClientPin.CMD.GET_KEY_AGREEMENT)
    key_agreement, shared = protocol.encapsulate(CoseKey(response[1]))
    salt = os.urandom(32)
    salt_enc = Cipher(algorithms.AES(shared), modes.CBC(b"\0" * 16)).encryptor().update(salt)
    salt_auth = hmac.new(shared, salt_enc, hashlib.sha256).digest()[:16]
    ext = {"hmac-secret": {1: key_agreement, 2: salt_enc, 3: salt_auth}}  # no key 4: protocol 1
    assertion = card.ctap.get_assertion(
        RP, cdh(), [{"type": "public-key", "id": cred_id}], extensions=ext
    )
    output = assertion.auth_data.extensions["hmac-secret"]
    assert len(output) == 32
    assert (
        protocol.decrypt(shared, output)
        == get_hmac_secret(card, cred_id, [salt], protocol=protocol)[0]
    )


# --- ClientPIN ------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [PinProtocolV1(), PinProtocolV2()], ids=["v1", "v2"])
def test_pin_set_change_and_token(card: Card, protocol: PinProtocol) -> None:
    client_pin = card.client_pin(protocol)
    assert client_pin.get_pin_retries() == (8, False)
    client_pin.set_pin(PIN)
    with pytest.raises(CtapError) as info:
        client_pin.set_pin("5678")
    assert info.value.code == ERR.NOT_ALLOWED
    token = client_pin.get_pin_token(PIN)  # legacy getPinToken (0x05)
    assert len(token) == 32
    token = client_pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION, RP)  # 0x09
    assert len(token) == 32
    client_pin.change_pin(PIN, "98765")
    with pytest.raises(CtapError) as info:
        client_pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION)
    assert info.value.code == ERR.PIN_INVALID
    client_pin.get_pin_token("98765", ClientPin.PERMISSION.GET_ASSERTION)


def test_pin_policy(card: Card) -> None:
    protocol = PinProtocolV2()
    response = card.ctap.client_pin(2, ClientPin.CMD.GET_KEY_AGREEMENT)
    key_agreement, shared = protocol.encapsulate(CoseKey(response[1]))
    new_pin_enc = protocol.encrypt(shared, b"123".ljust(64, b"\0"))  # 3 code points
    with pytest.raises(CtapError) as info:
        card.ctap.client_pin(
            2,
            ClientPin.CMD.SET_PIN,
            key_agreement=key_agreement,
            new_pin_enc=new_pin_enc,
            pin_uv_param=protocol.authenticate(shared, new_pin_enc),
        )
    assert info.value.code == ERR.PIN_POLICY_VIOLATION
    # Four code points but more bytes: accepted (length counts code points).
    card.client_pin(protocol).set_pin("ÄÖÜß")
    card.client_pin(protocol).get_pin_token("ÄÖÜß")


def test_unsupported_permission_and_protocol(card: Card) -> None:
    client_pin = card.client_pin()
    client_pin.set_pin(PIN)
    with pytest.raises(CtapError) as info:
        client_pin.get_pin_token(PIN, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    assert info.value.code == ERR.UNAUTHORIZED_PERMISSION
    with pytest.raises(CtapError) as info:
        card.ctap.client_pin(3, ClientPin.CMD.GET_KEY_AGREEMENT)
    assert info.value.code == ERR.INVALID_PARAMETER


def test_wrong_pins_decrement_block_until_power_cycle_then_block(card: Card) -> None:
    client_pin = card.client_pin()
    client_pin.set_pin(PIN)
    seen: list[int] = []
    for attempt in range(8):
        if attempt and attempt % 3 == 0:
            with pytest.raises(CtapError) as blocked:
                client_pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION)
            assert blocked.value.code == ERR.PIN_AUTH_BLOCKED  # even the right PIN
            assert client_pin.get_pin_retries() == (8 - attempt, True)
            card.power_cycle()
        with pytest.raises(CtapError) as info:
            client_pin.get_pin_token("0000", ClientPin.PERMISSION.GET_ASSERTION)
        seen.append(info.value.code)
    assert seen == [
        ERR.PIN_INVALID,
        ERR.PIN_INVALID,
        ERR.PIN_AUTH_BLOCKED,
        ERR.PIN_INVALID,
        ERR.PIN_INVALID,
        ERR.PIN_AUTH_BLOCKED,
        ERR.PIN_INVALID,
        ERR.PIN_BLOCKED,
    ]
    card.power_cycle()
    assert client_pin.get_pin_retries()[0] == 0
    with pytest.raises(CtapError) as info:
        client_pin.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION)
    assert info.value.code == ERR.PIN_BLOCKED


def test_right_pin_restores_retries(card: Card) -> None:
    client_pin = card.client_pin()
    client_pin.set_pin(PIN)
    with pytest.raises(CtapError):
        client_pin.get_pin_token("0000")
    assert client_pin.get_pin_retries()[0] == 7
    client_pin.get_pin_token(PIN)
    assert client_pin.get_pin_retries()[0] == 8


def test_key_agreement_is_regenerated_after_mismatch_and_power_cycle(card: Card) -> None:
    def key() -> Any:
        return card.ctap.client_pin(2, ClientPin.CMD.GET_KEY_AGREEMENT)[1][-2]

    card.client_pin().set_pin(PIN)
    before = key()
    assert key() == before
    with pytest.raises(CtapError):
        card.client_pin().get_pin_token("0000")
    after_mismatch = key()
    assert after_mismatch != before
    card.power_cycle()
    assert key() != after_mismatch


def test_pin_token_dies_with_power_cycle(card: Card) -> None:
    card.client_pin().set_pin(PIN)
    args = pin_args(card, cdh(b"register"), ClientPin.PERMISSION.MAKE_CREDENTIAL)
    card.power_cycle()
    with pytest.raises(CtapError) as info:
        make_credential(card, **args)
    assert info.value.code == ERR.PIN_AUTH_INVALID


# --- user presence: keepalive and blocking ---------------------------------------------------


def later(action: Callable[[], None], delay: float = 0.2) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay), action()), daemon=True)
    thread.start()
    return thread


def test_keepalive_until_touched(card: Card) -> None:
    card.presence.set(PresenceMode.WAIT, timeout=10)
    statuses: list[int] = []
    later(card.presence.touch)
    att = make_credential(card, on_keepalive=statuses.append)
    assert statuses == [STATUS.UPNEEDED]
    assert att.auth_data.flags & AuthenticatorData.FLAG.UP


def test_keepalive_denied(card: Card) -> None:
    card.presence.set(PresenceMode.DENY)
    with pytest.raises(CtapError) as info:
        make_credential(card)
    assert info.value.code == ERR.OPERATION_DENIED
    assert card.ctap.get_assertion is not None
    with pytest.raises(CtapError):
        card.ctap.get_assertion(RP, cdh())  # nothing was created


def test_keepalive_timeout(card: Card) -> None:
    card.presence.set(PresenceMode.WAIT, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(CtapError) as info:
        make_credential(card)
    assert info.value.code == ERR.USER_ACTION_TIMEOUT
    assert time.monotonic() - started >= 0.3


def test_keepalive_cancel(card: Card) -> None:
    card.presence.set(PresenceMode.WAIT, timeout=10)
    event = threading.Event()
    later(event.set)
    with pytest.raises(CtapError) as info:
        make_credential(card, event=event)
    assert info.value.code == ERR.KEEPALIVE_CANCEL
    card.presence.set(PresenceMode.GRANT)
    make_credential(card)  # the card is usable again at once


def test_power_cycle_drops_pending_operation(card: Card) -> None:
    card.presence.set(PresenceMode.WAIT, timeout=10)
    request = b"\x0b"  # authenticatorSelection: needs a touch
    reply = card.applet.process(CommandApdu(0x80, 0x10, 0x80, 0x00, request))
    assert (reply.sw, reply.data) == (0x9100, b"\x02")
    card.power_cycle()
    assert card.applet.process(CommandApdu(0x80, 0x11, 0x00, 0x00)).sw == 0x6985


def test_without_getresponse_support_the_card_blocks_until_touch(card: Card) -> None:
    card.device.use_nfcctap_getresponse = False  # type: ignore[attr-defined]
    card.presence.set(PresenceMode.DELAY, delay=0.2)
    statuses: list[int] = []
    started = time.monotonic()
    make_credential(card, on_keepalive=statuses.append)
    assert statuses == []
    assert time.monotonic() - started >= 0.2


def test_selection_and_reset(card: Card) -> None:
    card.ctap.selection()
    card.client_pin().set_pin(PIN)
    card.presence.set(PresenceMode.DENY)
    with pytest.raises(CtapError) as info:
        card.ctap.reset()
    assert info.value.code == ERR.OPERATION_DENIED
    card.presence.set(PresenceMode.GRANT)
    cred_id, _ = credential_of(make_credential(card, uv=True))
    card.ctap.reset()
    assert card.ctap.get_info().options["clientPin"] is False
    with pytest.raises(CtapError) as info:
        card.ctap.get_assertion(RP, cdh(), [{"type": "public-key", "id": cred_id}])
    assert info.value.code == ERR.NO_CREDENTIALS


# --- persistence ----------------------------------------------------------------------------


def test_state_survives_reload(tmp_path: Path) -> None:
    state_file = tmp_path / "fido2.json"
    card = Card(state_file)
    card.client_pin().set_pin(PIN)
    att = make_credential(card, uv=True)
    cred_id, key = credential_of(att)
    salt = os.urandom(32)
    secret = get_hmac_secret(card, cred_id, [salt])
    with pytest.raises(CtapError):
        card.client_pin().get_pin_token("0000")

    stored = json.loads(state_file.read_text())["Fido2Applet"]
    assert PIN not in json.dumps(stored)  # only a hash of the PIN is stored
    reloaded = Card(state_file)
    assert reloaded.client_pin().get_pin_retries()[0] == 7
    assert reloaded.ctap.get_info().options["clientPin"] is True
    assert get_hmac_secret(reloaded, cred_id, [salt]) == secret
    assertion = reloaded.ctap.get_assertion(RP, cdh(), [{"type": "public-key", "id": cred_id}])
    assertion.verify(cdh(), key)
    assert assertion.auth_data.counter > att.auth_data.counter
    assert (
        reloaded.ctap.get_assertion(
            RP, cdh(), **pin_args(reloaded, cdh(), ClientPin.PERMISSION.GET_ASSERTION)
        ).credential["id"]
        == cred_id
    )


def test_dirty_only_after_changes(card: Card) -> None:
    assert not card.applet.dirty
    card.ctap.get_info()
    assert not card.applet.dirty
    card.applet.process(CommandApdu(0x80, 0x10, 0x00, 0x00, b"\x06" + cbor.encode({1: 2, 2: 1})))
    assert not card.applet.dirty
    card.applet.process(
        CommandApdu(
            0x80,
            0x10,
            0x00,
            0x00,
            b"\x01"
            + cbor.encode(
                {1: cdh(), 2: {"id": RP}, 3: {"id": b"u"}, 4: [{"type": "public-key", "alg": -7}]}
            ),
            le=256,
        )
    )
    assert card.applet.dirty


# --- WebAuthn end to end: python-fido2's client and server ----------------------------------


class PinInteraction(UserInteraction):
    def __init__(self) -> None:
        self.touches = 0

    def prompt_up(self) -> None:
        self.touches += 1

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        return PIN


@pytest.fixture
def webauthn(card: Card) -> tuple[Card, Fido2Client, Fido2Server, PinInteraction]:
    card.client_pin().set_pin(PIN)
    card.presence.set(PresenceMode.DELAY, delay=0.05)  # a short touch: keepalives happen
    interaction = PinInteraction()
    client = Fido2Client(
        card.device, DefaultClientDataCollector("https://example.com"), interaction
    )
    server = Fido2Server(PublicKeyCredentialRpEntity(id=RP, name="Example"))
    return card, client, server, interaction


def _prf_first(results: Any) -> bytes:
    first = results["prf"]["results"]["first"]  # JSON form: base64url text
    return first if isinstance(first, bytes) else websafe_decode(first)


def test_webauthn_register_and_authenticate_with_prf(
    webauthn: tuple[Card, Fido2Client, Fido2Server, PinInteraction],
) -> None:
    _card, client, server, interaction = webauthn
    user = PublicKeyCredentialUserEntity(id=b"user-42", name="alice", display_name="Alice")
    create_options, state = server.register_begin(
        user,
        resident_key_requirement=ResidentKeyRequirement.REQUIRED,
        user_verification=UserVerificationRequirement.REQUIRED,
        extensions={"prf": {}},
    )
    registration = client.make_credential(create_options.public_key)
    auth_data = server.register_complete(state, registration)
    assert auth_data.is_user_verified()
    assert registration.client_extension_results["prf"]["enabled"] is True
    credentials = [auth_data.credential_data]

    salt = os.urandom(32)
    outputs = []
    for _ in range(2):
        request_options, state = server.authenticate_begin(
            credentials,
            user_verification=UserVerificationRequirement.REQUIRED,
            extensions={"prf": {"eval": {"first": salt}}},
        )
        selection = client.get_assertion(request_options.public_key)
        response = selection.get_response(0)
        server.authenticate_complete(state, credentials, response)
        outputs.append(_prf_first(response.client_extension_results))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 32
    assert interaction.touches == 3  # one keepalive UPNEEDED prompt per operation so far

    # Discoverable: no allow list, the card finds the credential and the user.
    request_options, state = server.authenticate_begin(
        user_verification=UserVerificationRequirement.REQUIRED
    )
    selection = client.get_assertion(request_options.public_key)
    response = selection.get_response(0)
    server.authenticate_complete(state, credentials, response)
    assert selection.get_assertions()[0].user["id"] == b"user-42"
