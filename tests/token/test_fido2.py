"""The FIDO2 backend: through real pcscd + vpcd (integration), and pure checks.

The integration tests put the virtual card in a vpcd reader of the running
pcscd, so the bytes travel pyscard -> pcscd -> vpcd -> card exactly as with a
security key on an NFC reader, and every call runs on the token worker.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2

from keybound.errors import (
    BadSignature,
    InternalError,
    NoKeysOnToken,
    OperationCancelled,
    PinBlocked,
    TokenCommunicationError,
    TokenError,
    TokenNotBlank,
    TokenRemoved,
    TouchDenied,
    TouchTimeout,
    WrongPin,
    WrongToken,
)
from keybound.token.base import (
    EnrollOptions,
    PinKind,
    PublicKey,
    Signature,
    SignatureScheme,
    TokenKind,
)
from keybound.token.fido2_token import (
    Fido2Token,
    inprocess_device,
    inprocess_ref,
    map_error,
    open_pcsc,
    probe_pcsc,
)
from keybound.token.fido2_verify import verify_fido2
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.fido2_applet import Fido2Applet
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.sim.presence import PresenceMode, UserPresence
from keybound.token.worker import TokenWorker
from tests.conftest import wait_for

PIN = "123456"
ERR = CtapError.ERR


def prompter() -> FixedPinPrompter:
    return FixedPinPrompter({PinKind.USER: PIN})


# --- in-process: no pcscd needed ----------------------------------------------------------


def inprocess_token(presence: UserPresence | None = None) -> tuple[Fido2Token, VirtualCard]:
    presence = presence or UserPresence()
    card = VirtualCard([Fido2Applet(None, presence)], presence)
    device = inprocess_device(InProcessTransport(card))
    return Fido2Token(device, inprocess_ref("sim"), prompter()), card


def test_token_calls_refuse_other_threads() -> None:
    token, _ = inprocess_token()
    with pytest.raises(InternalError):
        token.info()


def test_inprocess_enroll_sign_unlock(token_worker: TokenWorker) -> None:
    token, _ = token_worker.call(inprocess_token)
    with pytest.raises(NoKeysOnToken):
        token_worker.call(token.public_key)
    public = token_worker.call(token.enroll, EnrollOptions(user_pin=PIN))
    assert public.scheme is SignatureScheme.FIDO2_EDDSA  # preferred when the key offers it
    assert len(public.key) == 32
    assert public.user_verification
    signature = token_worker.call(token.sign, b"hello")
    verify_fido2(public, b"hello", signature)
    with pytest.raises(BadSignature, match="does not match"):
        verify_fido2(public, b"hullo", signature)
    short_salt = token_worker.call(token.unlock_secret, b"slot-1")
    hashed = token_worker.call(token.unlock_secret, hashlib.sha256(b"slot-1").digest())
    assert short_salt == hashed  # non-32-byte salts are SHA-256'd first
    assert len(short_salt) == 32
    with pytest.raises(TokenNotBlank):
        token_worker.call(token.enroll, EnrollOptions())


def test_inprocess_enroll_without_uv(token_worker: TokenWorker) -> None:
    token, _ = token_worker.call(inprocess_token)
    public = token_worker.call(token.enroll, EnrollOptions(user_verification=False))
    assert not public.user_verification
    signature = token_worker.call(token.sign, b"m")
    verify_fido2(public, b"m", signature)
    info = token_worker.call(token.info)
    assert (info.version, info.pin_set, info.pin_retries, info.has_keys) == (
        "FIDO_2_1",
        False,
        None,
        True,
    )
    assert token.credential is not None
    # A verifier that expects UV rejects an assertion made without it.
    with pytest.raises(BadSignature, match="UV flag"):
        verify_fido2(replace(public, user_verification=True), b"m", signature)


def _es256_assertion() -> tuple[PublicKey, Signature]:
    presence = UserPresence()
    card = VirtualCard([Fido2Applet(None, presence)], presence)
    ctap = Ctap2(inprocess_device(InProcessTransport(card)))
    att = ctap.make_credential(
        os.urandom(32),
        {"id": "keybound.local"},
        {"id": b"u"},
        [{"type": "public-key", "alg": -7}],
    )
    data = att.auth_data.credential_data
    assert data is not None
    cose = data.public_key
    public = PublicKey(
        SignatureScheme.FIDO2_ES256,
        b"\x04" + cose[-2] + cose[-3],
        "keybound.local",
        data.credential_id,
    )
    assertion = ctap.get_assertion(
        "keybound.local",
        hashlib.sha256(b"msg").digest(),
        [{"type": "public-key", "id": data.credential_id}],
    )
    return public, Signature(
        SignatureScheme.FIDO2_ES256, assertion.signature, bytes(assertion.auth_data)
    )


def test_verify_es256_and_its_failures() -> None:
    public, signature = _es256_assertion()
    verify_fido2(public, b"msg", signature)
    with pytest.raises(BadSignature, match="does not match"):
        verify_fido2(public, b"other", signature)
    with pytest.raises(BadSignature, match="another site"):
        verify_fido2(replace(public, rp_id="evil.example"), b"msg", signature)
    no_up = bytearray(signature.authenticator_data)
    no_up[32] &= 0xFE
    with pytest.raises(BadSignature, match="UP flag"):
        verify_fido2(public, b"msg", replace(signature, authenticator_data=bytes(no_up)))
    with pytest.raises(BadSignature, match="too short"):
        verify_fido2(public, b"msg", replace(signature, authenticator_data=b"\0" * 10))
    with pytest.raises(BadSignature, match="scheme"):
        verify_fido2(public, b"msg", replace(signature, scheme=SignatureScheme.FIDO2_EDDSA))
    with pytest.raises(BadSignature, match=r"malformed|uncompressed"):
        verify_fido2(replace(public, key=b"\x04" + b"\1" * 64), b"msg", signature)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (ERR.PIN_INVALID, WrongPin),
        (ERR.PIN_BLOCKED, PinBlocked),
        (ERR.OPERATION_DENIED, TouchDenied),
        (ERR.USER_ACTION_TIMEOUT, TouchTimeout),
        (ERR.KEEPALIVE_CANCEL, OperationCancelled),
        (ERR.NO_CREDENTIALS, WrongToken),
        (ERR.INVALID_CBOR, TokenCommunicationError),
    ],
)
def test_map_error(code: int, expected: type[Exception]) -> None:
    mapped = map_error(CtapError(code), lambda: 3)
    assert type(mapped) is expected
    if expected is WrongPin:
        assert isinstance(mapped, WrongPin)
        assert mapped.retries_left == 3


def test_map_error_unwraps_causes() -> None:
    outer = RuntimeError("wrapped")
    outer.__cause__ = TokenRemoved()
    assert isinstance(map_error(outer), TokenRemoved)
    wrapped_ctap = RuntimeError("wrapped")
    wrapped_ctap.__cause__ = CtapError(ERR.OPERATION_DENIED)
    assert isinstance(map_error(wrapped_ctap), TouchDenied)
    blocked = map_error(CtapError(ERR.PIN_AUTH_BLOCKED))
    assert type(blocked) is TokenError
    assert "plug it back in" in str(blocked)


# --- integration: real pcscd + vpcd ------------------------------------------------------


def open_token(
    worker: TokenWorker, reader: str, pr: FixedPinPrompter, credential: PublicKey | None = None
) -> Fido2Token:
    token: Fido2Token = worker.call(open_pcsc, reader, pr, credential)
    return token


@pytest.mark.integration
def test_enroll_sign_verify_through_pcscd(virtual_card, token_worker: TokenWorker) -> None:  # type: ignore[no-untyped-def]
    card = virtual_card("fido2", slot=0)
    ref = token_worker.call(probe_pcsc, card.reader)
    assert ref is not None
    assert ref.kind is TokenKind.FIDO2
    pr = prompter()
    token = open_token(token_worker, card.reader, pr)
    info = token_worker.call(token.info)
    assert (info.version, info.pin_set, info.has_keys) == ("FIDO_2_1", False, False)
    public = token_worker.call(token.enroll, EnrollOptions(user_pin=PIN))
    info = token_worker.call(token.info)
    assert (info.pin_set, info.pin_retries, info.has_keys) == (True, 8, True)
    assert info.admin_pin_retries is None
    for message in (b"m", b"", os.urandom(3000)):
        signature = token_worker.call(token.sign, message)
        verify_fido2(public, message, signature)
    with pytest.raises(BadSignature):
        verify_fido2(public, b"not m", token_worker.call(token.sign, b"m"))
    assert token_worker.call(token.public_key) == public
    token_worker.call(token.close)


@pytest.mark.integration
def test_unlock_secret_survives_restart_and_differs_per_salt_and_card(  # type: ignore[no-untyped-def]
    virtual_card, token_worker: TokenWorker
) -> None:
    card_a = virtual_card("fido2", slot=0)
    card_b = virtual_card("fido2", slot=1)
    pr = prompter()
    token_a = open_token(token_worker, card_a.reader, pr)
    token_b = open_token(token_worker, card_b.reader, pr)
    public_a = token_worker.call(token_a.enroll, EnrollOptions(user_pin=PIN))
    public_b = token_worker.call(token_b.enroll, EnrollOptions(user_pin=PIN))
    salt, other_salt = os.urandom(32), os.urandom(32)
    secret_a = token_worker.call(token_a.unlock_secret, salt)
    assert token_worker.call(token_a.unlock_secret, salt) == secret_a
    assert token_worker.call(token_a.unlock_secret, other_salt) != secret_a
    assert token_worker.call(token_b.unlock_secret, salt) != secret_a

    # Card A's credential is not on card B.
    wrong = open_token(token_worker, card_b.reader, pr, public_a)
    with pytest.raises(WrongToken):
        token_worker.call(wrong.unlock_secret, salt)
    for token in (token_a, token_b, wrong):
        token_worker.call(token.close)

    # Restart card A from its state file: same secret.
    card_a.link.stop()
    restarted = virtual_card("fido2", slot=0, state_file=card_a.state_file)
    token = open_token(token_worker, restarted.reader, pr, public_a)
    assert token_worker.call(token.unlock_secret, salt) == secret_a
    verify_fido2(public_a, b"x", token_worker.call(token.sign, b"x"))
    assert public_b.key != public_a.key
    token_worker.call(token.close)


@pytest.mark.integration
def test_wrong_pin_retries_and_blocking(virtual_card, token_worker: TokenWorker) -> None:  # type: ignore[no-untyped-def]
    card = virtual_card("fido2", slot=0)
    pr = prompter()
    token = open_token(token_worker, card.reader, pr)
    token_worker.call(token.enroll, EnrollOptions(user_pin=PIN))
    with pytest.raises(WrongPin) as wrong:
        token_worker.call(token.verify_pin, "000000")
    assert wrong.value.retries_left == 7
    assert token_worker.call(token.info).pin_retries == 7
    token_worker.call(token.verify_pin, PIN)
    assert token_worker.call(token.info).pin_retries == 8

    # Eight wrong PINs, with the power cycle that CTAP demands after every three.
    retries_seen = []
    blocked_until_power_cycle: list[tuple[int, bool]] = []
    blocked_at = 0
    for attempt in range(1, 9):
        try:
            token_worker.call(token.verify_pin, "000000")
        except WrongPin as exc:
            retries_seen.append(exc.retries_left)
        except PinBlocked:
            blocked_at = attempt
        except TokenError as exc:
            blocked_until_power_cycle.append((attempt, "plug it back in" in str(exc)))
            token_worker.call(token.close)
            card.remove()
            card.insert()
            token = open_token(token_worker, card.reader, pr, token.credential)
    assert retries_seen == [7, 6, 4, 3, 1]
    assert blocked_until_power_cycle == [(3, True), (6, True)]
    assert blocked_at == 8
    with pytest.raises(PinBlocked):
        token_worker.call(token.verify_pin, PIN)
    with pytest.raises(PinBlocked):
        token_worker.call(token.sign, b"m")
    token_worker.call(token.close)


@pytest.mark.integration
def test_touch_prompts_denial_and_timeout(virtual_card, token_worker: TokenWorker) -> None:  # type: ignore[no-untyped-def]
    card = virtual_card("fido2", slot=0)
    pr = prompter()
    token = open_token(token_worker, card.reader, pr)
    token_worker.call(token.enroll, EnrollOptions(user_verification=False))
    pr.touches.clear()

    card.presence.set(PresenceMode.DELAY, delay=0.3)
    token_worker.call(token.sign, b"m")
    assert pr.touches == ["needed", "done"]

    card.presence.set(PresenceMode.DENY)
    with pytest.raises(TouchDenied):
        token_worker.call(token.sign, b"m")

    card.presence.set(PresenceMode.WAIT, timeout=0.5)
    pr.touches.clear()
    with pytest.raises(TouchTimeout):
        token_worker.call(token.unlock_secret, b"salt")
    assert pr.touches == ["needed", "done"]

    card.presence.set(PresenceMode.WAIT, timeout=10)
    job = token_worker.submit(token.sign, b"m")
    assert wait_for(lambda: "needed" in pr.touches)
    card.presence.touch()
    assert isinstance(job.result(timeout=10), Signature)
    token_worker.call(token.close)


@pytest.mark.integration
def test_card_removed_while_waiting_for_touch(virtual_card, token_worker: TokenWorker) -> None:  # type: ignore[no-untyped-def]
    card = virtual_card("fido2", slot=0)
    pr = prompter()
    token = open_token(token_worker, card.reader, pr)
    token_worker.call(token.enroll, EnrollOptions(user_verification=False))
    pr.touches.clear()
    card.presence.set(PresenceMode.WAIT, timeout=30)
    job = token_worker.submit(token.sign, b"m")
    assert wait_for(lambda: "needed" in pr.touches)
    # Pull the card as a hand would, without waiting for pcscd to notice.
    card.link.remove()
    with pytest.raises(TokenRemoved):
        job.result(timeout=15)
    assert pr.touches == ["needed", "done"]
    token_worker.call(token.close)


@pytest.mark.integration
def test_cancel_while_waiting_for_touch(virtual_card, token_worker: TokenWorker) -> None:  # type: ignore[no-untyped-def]
    card = virtual_card("fido2", slot=0)
    pr = prompter()
    token = open_token(token_worker, card.reader, pr)
    public = token_worker.call(token.enroll, EnrollOptions(user_pin=PIN))
    pr.touches.clear()
    card.presence.set(PresenceMode.WAIT, timeout=30)
    job = token_worker.submit(token.sign, b"m")
    assert wait_for(lambda: "needed" in pr.touches)
    job.cancel()
    with pytest.raises(OperationCancelled):
        job.result(timeout=10)
    # The card is free again at once.
    card.presence.set(PresenceMode.GRANT)
    verify_fido2(public, b"m", token_worker.call(token.sign, b"m"))
    token_worker.call(token.close)


@pytest.mark.integration
def test_probe_ignores_a_card_without_fido2(virtual_card, token_worker: TokenWorker) -> None:  # type: ignore[no-untyped-def]
    card = virtual_card("openpgp", slot=1)
    assert token_worker.call(probe_pcsc, card.reader) is None


def test_state_file_holds_no_pin(tmp_path: Path, token_worker: TokenWorker) -> None:
    from keybound.token.sim import build_card

    card = build_card("fido2", tmp_path / "card.json")
    token = token_worker.call(
        lambda: Fido2Token(inprocess_device(InProcessTransport(card)), inprocess_ref(), prompter())
    )
    token_worker.call(token.enroll, EnrollOptions(user_pin=PIN))
    assert PIN not in (tmp_path / "card.json").read_text()
