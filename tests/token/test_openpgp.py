"""The OpenPGP card backend against the virtual card: in-process and through real pcscd + vpcd.

Cases that need nothing but APDUs run both ways (``openpgp`` fixture); those
about readers (restart, two cards) need pcscd. No mocks: real APDUs throughout.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keybound.errors import (
    InternalError,
    NoKeysOnToken,
    OperationCancelled,
    PinBlocked,
    PinPolicyError,
    TokenNotBlank,
    TokenRemoved,
    WrongPin,
)
from keybound.token.apdu import ApduTransport
from keybound.token.base import EnrollOptions, PinKind, SignatureScheme, Transport
from keybound.token.openpgp import OpenPgpToken, probe
from keybound.token.prompter import FixedPinPrompter, PinRequest
from keybound.token.sim import VirtualCard, build_card
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker

from ..conftest import CardFactory

USER_PIN = "424242"
ADMIN_PIN = "87654321"
ENROLL = EnrollOptions(user_pin=USER_PIN, admin_pin=ADMIN_PIN, current_admin_pin="12345678")


@dataclass
class Rig:
    """A token on a virtual card, and how to pull the card out."""

    token: OpenPgpToken
    prompter: FixedPinPrompter
    worker: TokenWorker
    card: VirtualCard
    remove: Callable[[], None]

    def call(self, fn: Callable[..., object], *args: object) -> object:
        return self.worker.call(fn, *args)


def pcsc_transport(reader: str) -> ApduTransport:
    from keybound.token.pcsc import PcscTransport

    return PcscTransport(reader)


@pytest.fixture(params=["inprocess", pytest.param("pcsc", marks=pytest.mark.integration)])
def rig(request: pytest.FixtureRequest, token_worker: TokenWorker, tmp_path: Path) -> Iterator[Rig]:
    prompter = FixedPinPrompter({PinKind.USER: USER_PIN, PinKind.ADMIN: ADMIN_PIN})
    if request.param == "inprocess":
        card = build_card("openpgp", tmp_path / "card.json")
        transport: ApduTransport = InProcessTransport(card)
        remove = transport.remove  # type: ignore[attr-defined]
        kind = Transport.INPROCESS
    else:
        inserted = request.getfixturevalue("virtual_card")("openpgp", slot=0)
        card, remove, kind = inserted.card, inserted.remove, Transport.PCSC

        transport = token_worker.call(pcsc_transport, inserted.reader)
    token = token_worker.call(OpenPgpToken, transport, prompter, kind)
    yield Rig(token, prompter, token_worker, card, remove)
    token_worker.call(token.close)


def enrolled(rig: Rig) -> bytes:
    public = rig.worker.call(rig.token.enroll, ENROLL)
    assert public.scheme is SignatureScheme.OPENPGP_ED25519
    return public.key


def test_ref_and_info_of_a_blank_card(rig: Rig) -> None:
    ref = rig.token.ref
    assert ref.serial.startswith("FFFF:")
    assert len(ref.serial) == 13
    assert ref.label == f"OpenPGP card 3.4 ({ref.serial})"
    info = rig.worker.call(rig.token.info)
    assert (info.version, info.pin_retries, info.admin_pin_retries) == ("3.4", 3, 3)
    assert not info.has_keys
    with pytest.raises(NoKeysOnToken):
        rig.worker.call(rig.token.public_key)


def test_enroll_sign_and_verify(rig: Rig) -> None:
    key = enrolled(rig)
    assert rig.worker.call(rig.token.public_key).key == key
    signature = rig.worker.call(rig.token.sign, b"msg")
    assert signature.scheme is SignatureScheme.OPENPGP_ED25519
    Ed25519PublicKey.from_public_bytes(key).verify(
        signature.signature, hashlib.sha256(b"msg").digest()
    )
    # PW1 is valid for one signature: the second one asks again
    rig.worker.call(rig.token.sign, b"msg 2")
    assert [(r.kind, r.purpose) for r in rig.prompter.requests] == [(PinKind.USER, "sign")] * 2
    info = rig.worker.call(rig.token.info)
    assert info.has_keys
    assert ("Signatures made", "2") in info.details


def test_enroll_sets_the_pins(rig: Rig) -> None:
    enrolled(rig)
    rig.worker.call(rig.token.verify_pin, USER_PIN)
    rig.worker.call(rig.token.verify_pin, ADMIN_PIN, PinKind.ADMIN)
    with pytest.raises(WrongPin):
        rig.worker.call(rig.token.verify_pin, "123456")


def test_enroll_refuses_a_card_with_keys_unless_forced(rig: Rig) -> None:
    first = enrolled(rig)
    with pytest.raises(TokenNotBlank):
        rig.worker.call(rig.token.enroll, EnrollOptions(current_admin_pin=ADMIN_PIN))
    forced = EnrollOptions(force=True)  # admin PIN comes from the prompter
    assert rig.worker.call(rig.token.enroll, forced).key != first
    assert rig.prompter.requests[-1].kind is PinKind.ADMIN


def test_enroll_checks_the_new_pins_first(rig: Rig) -> None:
    with pytest.raises(PinPolicyError):
        rig.worker.call(
            rig.token.enroll, EnrollOptions(user_pin="123", current_admin_pin="12345678")
        )
    assert not rig.worker.call(rig.token.info).has_keys


def test_unlock_secret_is_stable_and_per_salt(rig: Rig) -> None:
    enrolled(rig)
    a = rig.worker.call(rig.token.unlock_secret, b"salt-a" * 4)
    assert rig.worker.call(rig.token.unlock_secret, b"salt-a" * 4) == a
    b = rig.worker.call(rig.token.unlock_secret, b"salt-b" * 4)
    assert len(a) == len(b) == 32
    assert a != b
    # PW1 for decryption stays verified: one PIN request for the session
    assert [r.purpose for r in rig.prompter.requests] == ["unlock"]


def test_wrong_pin_reports_the_tries_left(rig: Rig) -> None:
    enrolled(rig)
    rig.prompter.set_pin(PinKind.USER, "000000")
    with pytest.raises(WrongPin) as caught:
        rig.worker.call(rig.token.sign, b"m")
    assert caught.value.retries_left == 2
    assert "2 attempts left" in str(caught.value)
    assert "000000" not in str(caught.value)
    assert rig.worker.call(rig.token.info).pin_retries == 2
    with pytest.raises(WrongPin) as caught:
        rig.worker.call(rig.token.unlock_secret, b"salt")
    assert rig.prompter.requests[-1].retries_left == 2
    assert "1 attempt left" in str(caught.value)
    rig.prompter.set_pin(PinKind.USER, USER_PIN)
    rig.worker.call(rig.token.sign, b"m")
    assert rig.worker.call(rig.token.info).pin_retries == 3


def test_wrong_admin_pin_says_admin(rig: Rig) -> None:
    with pytest.raises(WrongPin, match="admin PIN"):
        rig.worker.call(rig.token.verify_pin, "00000000", PinKind.ADMIN)


def test_blocked_pin_is_not_asked_for(rig: Rig) -> None:
    enrolled(rig)
    for expected in (WrongPin, WrongPin, PinBlocked):
        with pytest.raises(expected):
            rig.worker.call(rig.token.verify_pin, "000000")
    asked = len(rig.prompter.requests)
    with pytest.raises(PinBlocked):
        rig.worker.call(rig.token.sign, b"m")
    assert len(rig.prompter.requests) == asked
    assert rig.worker.call(rig.token.info).pin_retries == 0


def test_change_pin(rig: Rig) -> None:
    rig.worker.call(rig.token.change_pin, "123456", "abcdef12")
    rig.worker.call(rig.token.verify_pin, "abcdef12")
    with pytest.raises(PinPolicyError):
        rig.worker.call(rig.token.change_pin, "abcdef12", "1")
    with pytest.raises(WrongPin):
        rig.worker.call(rig.token.change_pin, "zzzzzz12", "12345678")
    rig.worker.call(rig.token.change_pin, "12345678", "admin-pin-2", PinKind.ADMIN)
    rig.worker.call(rig.token.verify_pin, "admin-pin-2", PinKind.ADMIN)


def test_cancelled_prompt(rig: Rig) -> None:
    enrolled(rig)
    rig.prompter = FixedPinPrompter()
    rig.token._prompter = rig.prompter  # a person who closes the dialog
    with pytest.raises(OperationCancelled):
        rig.worker.call(rig.token.sign, b"m")
    assert rig.worker.call(rig.token.info).pin_retries == 3


def test_cancel_while_the_pin_dialog_is_open(rig: Rig) -> None:
    enrolled(rig)
    asked, release = threading.Event(), threading.Event()

    class SlowPrompter(FixedPinPrompter):
        def ask_pin(self, request: PinRequest) -> str | None:
            asked.set()
            release.wait(10)
            return USER_PIN

    rig.token._prompter = SlowPrompter()
    before = rig.card.apdu_count
    job = rig.worker.submit(rig.token.sign, b"m")
    assert asked.wait(10)
    sent = rig.card.apdu_count
    job.cancel()
    release.set()
    with pytest.raises(OperationCancelled):
        job.result(10)
    assert sent > before
    assert rig.card.apdu_count == sent  # no VERIFY, no PSO after the cancel


def test_removed_card(rig: Rig) -> None:
    enrolled(rig)
    rig.remove()
    with pytest.raises(TokenRemoved):
        rig.worker.call(rig.token.sign, b"m")


def test_calls_outside_the_worker_are_refused(rig: Rig) -> None:
    with pytest.raises(InternalError):
        rig.token.info()


def test_probe_finds_no_openpgp_on_a_fido_only_card(
    token_worker: TokenWorker, tmp_path: Path
) -> None:
    pytest.importorskip("keybound.token.sim.fido2_applet")
    card = build_card("fido2", tmp_path / "fido.json")
    assert token_worker.call(probe, InProcessTransport(card)) is None


# --- through pcscd only ------------------------------------------------------------------------


@pytest.mark.integration
def test_unlock_secret_survives_a_card_restart(
    virtual_card: CardFactory, token_worker: TokenWorker
) -> None:
    prompter = FixedPinPrompter({PinKind.USER: USER_PIN})
    first = virtual_card("openpgp", slot=0)
    token = token_worker.call(
        OpenPgpToken, token_worker.call(pcsc_transport, first.reader), prompter
    )
    token_worker.call(token.enroll, ENROLL)
    before = token_worker.call(token.unlock_secret, b"keyslot salt")
    serial = token.ref.serial
    token_worker.call(token.close)

    first.link.stop()  # power off: the process holding the card is gone
    again = virtual_card("openpgp", slot=0, state_file=first.state_file)
    token = token_worker.call(
        OpenPgpToken, token_worker.call(pcsc_transport, again.reader), prompter
    )
    assert token.ref.serial == serial
    assert token_worker.call(token.unlock_secret, b"keyslot salt") == before
    assert [r.purpose for r in prompter.requests] == ["unlock", "unlock"]  # PIN asked again
    token_worker.call(token.close)


@pytest.mark.integration
def test_two_cards_give_different_secrets(
    virtual_card: CardFactory, token_worker: TokenWorker
) -> None:
    prompter = FixedPinPrompter({PinKind.USER: USER_PIN})
    tokens = []
    for slot in (0, 1):
        inserted = virtual_card("openpgp", slot=slot)
        transport = token_worker.call(pcsc_transport, inserted.reader)
        tokens.append(token_worker.call(OpenPgpToken, transport, prompter))
    assert tokens[0].ref.serial != tokens[1].ref.serial
    secrets = []
    for token in tokens:
        token_worker.call(token.enroll, ENROLL)
        secrets.append(token_worker.call(token.unlock_secret, b"same salt"))
    assert secrets[0] != secrets[1]
    for token in tokens:
        token_worker.call(token.close)


@pytest.mark.integration
def test_probe_through_pcsc(virtual_card: CardFactory, token_worker: TokenWorker) -> None:
    inserted = virtual_card("openpgp", slot=0)
    transport = token_worker.call(pcsc_transport, inserted.reader)
    ref = token_worker.call(probe, transport)
    assert ref is not None
    assert ref.reader == inserted.reader
    aid: bytes = inserted.card.applets[0].aid
    assert ref.serial == "FFFF:" + aid[10:14].hex().upper()
    transport.close()
