"""Opt-in tests against one real, blank hardware token (`--real-token -m real_token`).

They refuse a token that is not blank: an OpenPGP card that already holds keys,
or a FIDO2 key that already has a PIN. Virtual (vpcd) readers are ignored.
"""

from __future__ import annotations

import secrets

import pytest

from keybound.token.base import EnrollOptions, PinKind, Token, TokenKind, TokenRef
from keybound.token.discovery import list_tokens, open_token
from keybound.token.prompter import FixedPinPrompter
from keybound.token.verify import verify
from keybound.token.worker import TokenWorker

pytestmark = pytest.mark.real_token

PIN = "314159"
ADMIN = "31415926"


@pytest.fixture
def real_token(token_worker: TokenWorker) -> tuple[Token, TokenRef]:
    refs = [r for r in list_tokens() if "Virtual PCD" not in r.reader]
    if len(refs) != 1:
        pytest.fail(f"plug in exactly one real token (found {len(refs)})")
    ref = refs[0]
    prompter = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN})
    token = token_worker.call(open_token, ref, prompter)
    info = token_worker.call(token.info)
    if info.has_keys or (ref.kind is TokenKind.FIDO2 and info.pin_set):
        pytest.fail(f"refusing a token that is not blank: {ref.label}")
    return token, ref


def test_enroll_sign_verify_unlock(
    real_token: tuple[Token, TokenRef], token_worker: TokenWorker
) -> None:
    token, ref = real_token
    options = (
        EnrollOptions(current_admin_pin="12345678", user_pin=PIN, admin_pin=ADMIN)
        if ref.kind is TokenKind.OPENPGP
        else EnrollOptions(user_pin=PIN)
    )
    public = token_worker.call(token.enroll, options)
    message = secrets.token_bytes(40)
    verify(public, message, token_worker.call(token.sign, message))
    salt = secrets.token_bytes(32)
    first = token_worker.call(token.unlock_secret, salt)
    assert first == token_worker.call(token.unlock_secret, salt)
    assert first != token_worker.call(token.unlock_secret, secrets.token_bytes(32))
