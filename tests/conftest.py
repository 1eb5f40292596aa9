"""Shared fixtures: the virtual card on real pcscd (via vpcd), in-process cards.

pcscd must be running with vsmartcard's vpcd driver (``.ci/run`` starts it).
``KEYBOUND_VPCD_PORT`` (default 35963) names the vpcd slot pair to use and
``KEYBOUND_VPCD_READER`` (default "Virtual PCD") its reader name, so that
several test runs on one machine can use different vpcd readers.

With ``CI=true`` a missing pcscd or vpcd fails the test instead of skipping it.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from keybound.errors import KeyboundError
from keybound.token import fido2_token, pcsc
from keybound.token.base import TokenRef
from keybound.token.openpgp.card import probe
from keybound.token.sim import SimKind, VirtualCard, build_card
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.sim.presence import UserPresence
from keybound.token.sim.vpcd import VpcdLink
from keybound.token.worker import TokenWorker

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--real-token",
        action="store_true",
        default=False,
        help="run tests against a real, blank hardware token (destructive to a blank token only)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--real-token"):
        return
    skip = pytest.mark.skip(reason="needs --real-token and a blank hardware token")
    for item in items:
        if "real_token" in item.keywords:
            item.add_marker(skip)


def unavailable(reason: str) -> None:
    """Fail in CI, skip on a developer machine: never a silent skip in CI."""
    if IN_CI:
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class VpcdSetup:
    """vpcd reader pairs: slots 0/1 are the default pair, 2..5 the extra pairs
    that ``scripts/pcscd-start`` configures (ports 35965..35968)."""

    port: int
    reader_prefix: str
    extra_prefixes: tuple[str, ...] = ()

    def reader(self, slot: int) -> str:
        pair = slot // 2
        if pair > len(self.extra_prefixes):
            unavailable(f"no vpcd reader for slot {slot} (scripts/pcscd-start adds slots 2-5)")
        prefix = self.reader_prefix if pair == 0 else self.extra_prefixes[pair - 1]
        return f"{prefix} 00 {slot % 2:02d}"

    def slot_port(self, slot: int) -> int:
        return self.port + slot


EXTRA_READERS = ("Keybound PCD 1", "Keybound PCD 2")


VPCD_LOCK = Path(os.environ.get("KEYBOUND_VPCD_LOCK", "/tmp/keybound-vpcd.lock"))


@pytest.fixture(autouse=True)
def _test_process_stays_dumpable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that call ``keybound.cli.main`` in this process do not harden it.

    Hardening cannot be undone (the core limit's hard value stays 0 for every
    later child), which would take away the control of tests/test_hardening.py;
    that file checks the real hardening in fresh processes.
    """
    monkeypatch.setattr("keybound.cli.harden_process", lambda: None)


@pytest.fixture(autouse=True)
def _vpcd_exclusive(request: pytest.FixtureRequest) -> Iterator[None]:
    """One test at a time on this machine's vpcd readers, across pytest processes.

    The readers and their ports are machine-wide; two test runs in different
    checkouts would otherwise put cards into each other's slots.
    """
    if "vpcd" not in request.fixturenames:
        yield
        return
    with VPCD_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def vpcd() -> VpcdSetup:
    overridden = "KEYBOUND_VPCD_PORT" in os.environ
    setup = VpcdSetup(
        port=int(os.environ.get("KEYBOUND_VPCD_PORT", "35963")),
        reader_prefix=os.environ.get("KEYBOUND_VPCD_READER", "Virtual PCD"),
    )
    try:
        names = pcsc.list_readers()
    except KeyboundError as exc:
        unavailable(f"pcscd: {exc}")
    if setup.reader(0) not in names:
        unavailable(f"no vpcd reader {setup.reader(0)!r} in pcscd (readers: {names})")
    if not overridden and all(f"{p} 00 00" in names for p in EXTRA_READERS):
        setup = dataclasses.replace(setup, extra_prefixes=EXTRA_READERS)
    return setup


def _card_present(reader: str) -> bool:
    # SCardGetStatusChange, not a connection: disconnecting could reset the card
    # under an operation that a test has in flight.
    return pcsc.card_present(reader)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def probe_reader(reader: str, kind: str) -> TokenRef:
    """The token of ``kind`` in ``reader``; call on the token worker.

    Probes one reader only, unlike ``discovery.list_tokens``: the other vpcd
    readers may belong to other test runs on this machine.
    """
    if kind == "fido2":
        ref = fido2_token.probe_pcsc(reader)
    else:
        transport = pcsc.PcscTransport(reader)
        try:
            ref = probe(transport)
        finally:
            transport.close()
    assert ref is not None, f"no {kind} token in {reader}"
    return ref


@dataclass
class InsertedCard:
    """A virtual card sitting in a vpcd reader of the real pcscd."""

    card: VirtualCard
    link: VpcdLink
    reader: str
    state_file: Path

    @property
    def presence(self) -> UserPresence:
        return self.card.presence

    def insert(self) -> None:
        self.link.insert()
        assert wait_for(lambda: _card_present(self.reader)), f"card never appeared in {self.reader}"

    def remove(self) -> None:
        self.link.remove()
        assert wait_for(lambda: not _card_present(self.reader)), "card still present after removal"


@dataclass
class CardFactory:
    vpcd: VpcdSetup
    tmp_path: Path
    inserted: list[InsertedCard] = field(default_factory=list)

    def __call__(
        self, kind: SimKind | str = SimKind.BOTH, slot: int = 0, state_file: Path | None = None
    ) -> InsertedCard:
        state = state_file or self.tmp_path / f"card-slot{slot}.json"
        reader = self.vpcd.reader(slot)
        # a card just stopped in this slot may still look present for one pcscd poll
        assert wait_for(lambda: not _card_present(reader), timeout=5), f"{reader} is occupied"
        card = build_card(kind, state)
        link = VpcdLink(card, port=self.vpcd.slot_port(slot))
        inserted = InsertedCard(card, link, reader, state)
        self.inserted.append(inserted)
        link.start(inserted=False)
        inserted.insert()
        return inserted

    def close(self) -> None:
        for item in self.inserted:
            item.link.stop()
        for item in self.inserted:
            wait_for(lambda item=item: not _card_present(item.reader), timeout=5)


@pytest.fixture
def virtual_card(vpcd: VpcdSetup, tmp_path: Path) -> Iterator[CardFactory]:
    """Factory: ``virtual_card("openpgp", slot=0)`` inserts a fresh card into a vpcd slot."""
    factory = CardFactory(vpcd, tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def inprocess_card(tmp_path: Path) -> Callable[..., tuple[VirtualCard, InProcessTransport]]:
    """Factory for a virtual card called directly, without pcscd."""

    def make(kind: SimKind | str = SimKind.BOTH) -> tuple[VirtualCard, InProcessTransport]:
        card = build_card(kind, tmp_path / f"inproc-{kind}.json")
        return card, InProcessTransport(card)

    return make


@pytest.fixture
def token_worker() -> Iterator[TokenWorker]:
    """The dedicated token thread; backends refuse calls from any other thread."""
    worker = TokenWorker()
    yield worker
    worker.stop()
