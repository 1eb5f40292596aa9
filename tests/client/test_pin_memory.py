"""Each PIN once per flow: several signatures and an unlock on one OpenPGP card (whose
signing PIN is good for one signature) ask the person once."""

from __future__ import annotations

from collections.abc import Callable

from keybound.client.pin_memory import RememberingPrompter
from keybound.token.base import EnrollOptions, PinKind, Transport
from keybound.token.openpgp.card import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim import VirtualCard
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker

PIN, ADMIN = "424242", "87654321"


def signatures_and_unlock(token: OpenPgpToken) -> None:
    token.sign(b"first")
    token.sign(b"second")
    token.sign(b"third")
    token.unlock_secret(b"\x01" * 32)


def test_a_new_pin_is_used_for_every_later_request(
    inprocess_card: Callable[..., tuple[VirtualCard, InProcessTransport]],
    token_worker: TokenWorker,
) -> None:
    _card, transport = inprocess_card("openpgp")
    person = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN})
    enroll = EnrollOptions(user_pin=PIN, admin_pin=ADMIN, current_admin_pin="12345678")
    asking = RememberingPrompter.for_enrollment(person, enroll)

    def flow() -> None:
        token = OpenPgpToken(transport, asking, Transport.INPROCESS)
        token.enroll(enroll)
        signatures_and_unlock(token)

    token_worker.call(flow)
    assert person.requests == []  # the PINs of the enrollment served every request


def test_an_existing_pin_is_asked_once_for_several_signatures(
    inprocess_card: Callable[..., tuple[VirtualCard, InProcessTransport]],
    token_worker: TokenWorker,
) -> None:
    _card, transport = inprocess_card("openpgp")
    person = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN})
    enroll = EnrollOptions(user_pin=PIN, admin_pin=ADMIN, current_admin_pin="12345678")
    token_worker.call(lambda: OpenPgpToken(transport, person, Transport.INPROCESS).enroll(enroll))

    plain = FixedPinPrompter({PinKind.USER: PIN})
    token_worker.call(
        lambda: signatures_and_unlock(OpenPgpToken(transport, plain, Transport.INPROCESS))
    )
    assert len(plain.requests) >= 3  # without memory: once per signature

    once = FixedPinPrompter({PinKind.USER: PIN})
    asking = RememberingPrompter(once)
    token_worker.call(
        lambda: signatures_and_unlock(OpenPgpToken(transport, asking, Transport.INPROCESS))
    )
    assert [r.kind for r in once.requests] == [PinKind.USER]
