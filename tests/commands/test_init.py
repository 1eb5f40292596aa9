"""`keybound init` and `keybound relay set` as a person meets them: separate processes, a
virtual OpenPGP card in a vpcd reader of the real pcscd, real relay processes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from keybound.client.tls_pin import normalize_fingerprint
from keybound.token import pcsc
from tests.conftest import CardFactory, InsertedCard
from tests.e2e.people import ENROLL_PINS, PIN, Person
from tests.helpers.relay_process import RelayProcess, free_port

SIGN_APDU = bytes.fromhex("002a9e9a")  # PSO: COMPUTE DIGITAL SIGNATURE


@pytest.fixture(scope="module")
def dev_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """A `--dev-tls` relay: self-signed, as on a developer's machine."""
    relay = RelayProcess(tmp_path_factory.mktemp("devtls"), tls=True).start()
    yield relay
    relay.kill()


def person(name: str, tmp: Path, card: InsertedCard) -> Person:
    root = tmp / name
    root.mkdir()
    return Person(name, root, card)


def init_args(relay: RelayProcess, reader: str, *extra: str) -> list[str]:
    return ["init", "--relay", relay.url, "--reader", reader, "--kind", "openpgp", *extra]


def pull_when_signing(card: InsertedCard) -> threading.Event:
    """Pull the card out of its reader at the first signature it is asked for."""
    pulled = threading.Event()
    transmit = card.card.transmit

    def pulling(apdu: bytes) -> bytes:
        if apdu[:4] == SIGN_APDU and not pulled.is_set():
            pulled.set()
            card.link.remove()
            return b"\x6f\x00"
        return transmit(apdu)

    card.card.transmit = pulling  # type: ignore[method-assign]
    return pulled


def identity_of(out: str) -> str:
    return next(line.split()[-1] for line in out.splitlines() if line.startswith("identity:"))


def test_init_checks_the_relay_asks_each_pin_once_refuses_a_used_card_and_joins(
    tmp_path: Path, virtual_card: CardFactory, dev_relay: RelayProcess
) -> None:
    card = virtual_card("openpgp", slot=0)
    alice = person("alice", tmp_path, card)
    number = str(pcsc.list_readers().index(card.reader))  # `--reader 0`, not the name
    assert dev_relay.fingerprint is not None
    fingerprint = normalize_fingerprint(dev_relay.fingerprint)

    refused = alice.run(*init_args(dev_relay, number, "--name", "alice"), expect=1)
    assert "not trusted" in refused.err and fingerprint in refused.err, refused.err
    assert "--tls-fingerprint" in refused.err and "Traceback" not in refused.err
    assert not (alice.profile / "keyslots.kbv").exists()

    # exactly the three enrollment PINs (so the card was still blank): the new PIN is
    # used again to unlock the new vault and to sign the identity
    made = alice.run(
        *init_args(dev_relay, number, "--name", "alice", "--tls-fingerprint", fingerprint),
        pins=ENROLL_PINS,
    )
    assert "Account created." in made.out
    identity = identity_of(made.out)

    bob = person("bob", tmp_path, card)
    used = bob.run(*init_args(dev_relay, number, "--name", "bob", "--dev-tls"), expect=1)
    assert f"already holds the Keybound identity {identity}" in used.err, used.err
    assert "--join" in used.err
    assert not (bob.profile / "keyslots.kbv").exists()

    joined = bob.run(*init_args(dev_relay, number, "--join", "--dev-tls"), pins=[PIN])
    assert "This computer was added to your account." in joined.out
    assert identity_of(joined.out) == identity


def test_a_setup_cut_short_by_a_pulled_card_or_missing_pins_can_simply_be_run_again(
    tmp_path: Path, virtual_card: CardFactory, dev_relay: RelayProcess
) -> None:
    card = virtual_card("openpgp", slot=0)
    carol = person("carol", tmp_path, card)
    args = init_args(dev_relay, card.reader, "--name", "carol", "--dev-tls")

    short = carol.run(*args, pins=["", PIN], expect=None)  # no line for the new admin PIN
    assert short.code == 3 and "no more lines" in short.err, short.err  # 3: PIN missing

    pulled = pull_when_signing(card)
    cut = carol.run(*args, pins=ENROLL_PINS, expect=None)
    assert pulled.is_set() and cut.code != 0, cut.out + cut.err
    assert "Traceback" not in cut.err and "internal error" not in cut.err, cut.err
    assert not (carol.profile / "keyslots.kbv").exists()
    assert not (carol.profile / "history.db").exists()
    card.insert()
    joining = carol.run(*init_args(dev_relay, card.reader, "--join", "--dev-tls"), expect=1)
    assert "knows no Keybound account of this security key" in joining.err, joining.err

    # the same command again: the card kept the keys the first run made, so only its PIN
    again = carol.run(*args, pins=[PIN])
    assert "Account created." in again.out
    assert not (carol.profile / "setup-unfinished").exists()
    assert carol.run("invite").out.startswith("keybound://invite?")


def test_relay_set_checks_the_new_relay_and_moves_the_profile(
    tmp_path: Path, virtual_card: CardFactory, dev_relay: RelayProcess
) -> None:
    card = virtual_card("openpgp", slot=0)
    dave = person("dave", tmp_path, card)
    dave.run(*init_args(dev_relay, card.reader, "--name", "dave", "--dev-tls"), pins=ENROLL_PINS)

    closed = free_port()
    typo = dave.run("relay", "set", f"wss://127.0.0.1:{closed}", expect=1)
    assert f"Nothing accepts connections on port {closed}" in typo.err, typo.err

    other = RelayProcess(tmp_path / "other").start()
    try:
        moved = dave.run("relay", "set", other.url)
        assert other.url in moved.out
        invite = dave.run("invite").out
        assert str(other.port) in invite and str(dev_relay.port) not in invite
    finally:
        other.kill()
