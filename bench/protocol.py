"""Protocol benchmark: Olm and Megolm encrypt+decrypt of 256-byte messages.

Run: `.venv/bin/python bench/protocol.py [--rounds N] [--ops N] [--json PATH]`

Each operation is one encrypt on the sender plus one decrypt on the receiver.
"keybound" rows go through `keybound.protocol.machine.Machine` (envelope and
inner header in canonical CBOR, content codec, sender authentication, dedup
window) and write the state changes as the engine does: the last record per
key, its value (the encrypted pickle) taken at the commit, once per
transaction of 1 message (the worst case: one message at a time) or of 100
(a busy conversation: the inbox's batch); "vodozemac" rows
do the same ratchet operations directly on the library in the same run, so
the ratio is our overhead over the library.  Megolm uses the default rotation
policy (a new session and an Olm key share every 100 messages), as a real
client would.
"""

from __future__ import annotations

import os
import sys

# bench/token.py would shadow the standard library's `token` module (imported by
# `inspect`, hence by dataclasses) for every import below: drop this folder first.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import cbor2  # noqa: E402
import vodozemac  # noqa: E402

from keybound.protocol.content import Text  # noqa: E402
from keybound.protocol.devices import DeviceKeys  # noqa: E402
from keybound.protocol.machine import Machine  # noqa: E402
from keybound.protocol.pq import kem  # noqa: E402
from keybound.protocol.pq import session as pq_session  # noqa: E402
from keybound.protocol.pq.header import PqHeader  # noqa: E402
from keybound.protocol.pq.prekeys import SignedPqKey  # noqa: E402
from keybound.protocol.pq.session import REKEY_MESSAGES  # noqa: E402
from keybound.protocol.state import StateChange  # noqa: E402

MESSAGE = b"m" * 256
PICKLE_KEY = b"k" * 32
NOW = 1_750_000_000_000


def rates(step: Callable[[], object], ops: int, rounds: int) -> list[float]:
    """Operations per second, one sample per round (after a warm-up round)."""
    for _ in range(max(ops // 10, 1)):
        step()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(ops):
            step()
        samples.append(ops / (time.perf_counter() - start))
    return samples


def keybound_pair() -> tuple[Machine, Machine]:
    directory: dict[bytes, list[DeviceKeys]] = {}

    def lookup(identity: bytes) -> list[DeviceKeys]:
        return directory.get(identity, [])

    alice, _ = Machine.create(b"alice", b"a1", lookup, PICKLE_KEY)
    bob, _ = Machine.create(b"bob", b"b1", lookup, PICKLE_KEY)
    for m in (alice, bob):
        directory[m.device_keys.identity_id] = [m.device_keys]
    upload, _ = bob.prepare_key_upload(0, need_fallback=False)
    assert upload is not None
    alice.start_session(bob.device_keys, upload.keys[0])
    return alice, bob


class Transactions:
    """Each side's state changes, written every ``size`` operations as `Core.write_state`
    writes them: the last record per key, its value taken then (into a dict standing in
    for the table)."""

    def __init__(self, size: int) -> None:
        self.size, self.count = size, 0
        self.pending: dict[tuple[str, bytes], StateChange] = {}
        self.table: dict[tuple[str, bytes], bytes | None] = {}

    def add(self, *changes: Iterable[StateChange]) -> None:
        for batch in changes:
            for c in batch:
                self.pending[(c.kind, c.key)] = c
        self.count += 1
        if self.count % self.size == 0:
            for key, c in self.pending.items():
                self.table[key] = c.value
            self.pending.clear()


def keybound_olm(per_tx: int) -> Callable[[], object]:
    alice, bob = keybound_pair()
    text = Text(MESSAGE.decode())
    clock = iter(range(NOW, NOW + 10**9))
    sent, received = Transactions(per_tx), Transactions(per_tx)

    def step() -> object:
        out = alice.encrypt_direct(b"conversation", [b"bob"], text, next(clock))
        sent.add(out.changes)
        result = bob.decrypt(out.deliveries[0].data)
        received.add(result.changes)
        return result

    return step


def keybound_megolm(per_tx: int) -> Callable[[], object]:
    alice, bob = keybound_pair()
    text = Text(MESSAGE.decode())
    clock = iter(range(NOW, NOW + 10**9))
    sent, received = Transactions(per_tx), Transactions(per_tx)

    def step() -> object:
        out = alice.encrypt_group(b"group", [b"bob"], text, next(clock))
        sent.add(out.changes)
        # a room key share first, every 100 messages
        results = [bob.decrypt(delivery.data) for delivery in out.deliveries]
        received.add(*(r.changes for r in results))
        return results

    return step


def raw_session_pair() -> tuple[vodozemac.Session, vodozemac.Session]:
    """(sender, receiver): an Olm session straight on vodozemac, its first message read."""
    alice, bob = vodozemac.Account(), vodozemac.Account()
    bob.generate_one_time_keys(1)
    otk = next(iter(bob.one_time_keys.values()))
    sender = alice.create_outbound_session(bob.curve25519_key, otk)
    first = sender.encrypt(MESSAGE)
    receiver, _ = bob.create_inbound_session(alice.curve25519_key, first.to_pre_key())
    return sender, receiver


def raw_olm() -> Callable[[], object]:
    sender, receiver = raw_session_pair()
    return lambda: receiver.decrypt(sender.encrypt(MESSAGE))


def floor_olm() -> Callable[[], object]:
    """What any Python layer with our wire format pays at least: the same vodozemac calls,
    the rollback snapshot (one pickle per decrypt), and only the CBOR library's own calls
    for the three nested structures (content, inner, envelope): encoded on the way out,
    decoded and re-encoded (the canonical proof) on the way in.  No checks, no objects."""
    sender, receiver = raw_session_pair()
    text = MESSAGE.decode()

    def step() -> object:
        content = cbor2.dumps({0: text})
        inner = cbor2.dumps({0: b"m" * 16, 1: b"alice", 2: b"a1", 3: b"k" * 32, 4: b"c" * 16,
                             5: NOW, 6: 1, 7: content})  # fmt: skip
        olm_type, body = sender.encrypt(inner).to_parts()
        envelope = cbor2.dumps({0: 1, 1: b"m" * 16, 2: b"alice", 3: b"a1", 4: NOW, 5: 1, 6: 0,
                                7: body, 8: olm_type})  # fmt: skip
        m = cbor2.loads(envelope)
        assert cbor2.dumps(m) == envelope
        receiver.pickle(PICKLE_KEY)
        plain = receiver.decrypt(vodozemac.AnyOlmMessage.from_parts(m[8], m[7]))
        i = cbor2.loads(plain)
        assert cbor2.dumps(i) == plain
        c = cbor2.loads(i[7])
        return cbor2.dumps(c) == i[7]

    return step


def raw_megolm() -> Callable[[], object]:
    outbound = vodozemac.GroupSession()
    inbound = vodozemac.InboundGroupSession(outbound.session_key)
    return lambda: inbound.decrypt(outbound.encrypt(MESSAGE))


# --- the post-quantum hybrid layer (docs/post-quantum.md) -------------------------------
# Baseline: plain Olm through the same Machine (devices whose certificates do not state
# the layer), so the ratio is the layer's own cost in our stack.


def _pq_pair(pq: bool) -> tuple[Machine, Machine]:
    directory: dict[bytes, list[DeviceKeys]] = {}

    def lookup(identity: bytes) -> list[DeviceKeys]:
        return directory.get(identity, [])

    alice, _ = Machine.create(b"alice", b"a1", lookup, PICKLE_KEY)
    bob, _ = Machine.create(b"bob", b"b1", lookup, PICKLE_KEY)
    for m in (alice, bob):
        directory[m.device_keys.identity_id] = [replace(m.device_keys, pq=pq)]
    return alice, bob


def _published(pq: bool) -> Callable[[], tuple[Machine, Machine, bytes]]:
    """Two devices whose keys are on the "relay"; calling the result opens the session from
    claimed keys and reads its first message (the part timed as setup)."""
    alice, bob = _pq_pair(pq)
    upload, _ = bob.prepare_key_upload(0, need_fallback=False)
    assert upload is not None
    pq_keys, _ = bob.prepare_pq_key_upload(0, need_last_resort=False) if pq else ([], [])
    bob_keys = replace(bob.device_keys, pq=pq)

    def setup() -> tuple[Machine, Machine, bytes]:
        alice.start_session(bob_keys, upload.keys[0], pq_keys[0] if pq else None)
        out = alice.encrypt_direct(b"conversation", [b"bob"], Text(MESSAGE.decode()), NOW)
        data = out.deliveries[0].data
        bob.decrypt(data)
        return alice, bob, data

    return setup


def _setup(pq: bool) -> tuple[Machine, Machine, bytes]:
    return _published(pq)()


def _setups(pq: bool, count: int) -> Callable[[], object]:
    """``count`` sessions set up one per call, from devices made beforehand."""
    pending = [_published(pq) for _ in range(count)]
    return lambda: pending.pop()()


def _per_message(pq: bool) -> tuple[Callable[[], object], Callable[[], int]]:
    alice, bob, _ = _setup(pq)
    text = Text(MESSAGE.decode())
    clock = iter(range(NOW + 1, NOW + 10**9))
    size = [0]

    def step() -> object:
        now = next(clock)
        out = alice.encrypt_direct(b"conversation", [b"bob"], text, now)
        size[0] = len(out.deliveries[0].data)
        result = bob.decrypt(out.deliveries[0].data)
        back = bob.encrypt_direct(b"conversation", [b"alice"], text, now)  # both directions,
        alice.decrypt(back.deliveries[0].data)  # so rekeys complete as in a conversation
        return result

    return step, lambda: size[0]


def _rekey_once() -> Callable[[], object]:
    """One in-band rekey: a fresh ML-KEM key pair, encapsulation, decapsulation, two HKDFs."""
    OuterSession = pq_session.OuterSession

    seed, public = kem.generate()
    alice = OuterSession.initiate(_A, _B, SignedPqKey("k", public, False, bytes(64)))
    h, _ = alice.encrypt(b"x", NOW, lambda hd: hd)
    bob = OuterSession.respond(_B, _A, PqHeader.decode(h), seed, public)

    def step() -> object:
        alice.offer = kem.generate()
        h, body = alice.encrypt(b"x", NOW, lambda hd: hd)
        bob.decrypt(PqHeader.decode(h), h, body)  # Bob encapsulates and moves on
        h, body = bob.encrypt(b"y", NOW, lambda hd: hd)
        return alice.decrypt(PqHeader.decode(h), h, body)  # Alice decapsulates

    return step


def _message_pair() -> Callable[[], object]:
    """The rekey's baseline: one outer message each way without a rekey."""
    OuterSession = pq_session.OuterSession

    seed, public = kem.generate()
    alice = OuterSession.initiate(_A, _B, SignedPqKey("k", public, False, bytes(64)))
    h, _ = alice.encrypt(b"x", NOW, lambda hd: hd)
    bob = OuterSession.respond(_B, _A, PqHeader.decode(h), seed, public)

    def step() -> object:
        h, body = alice.encrypt(b"x", NOW, lambda hd: hd)
        bob.decrypt(PqHeader.decode(h), h, body)
        h, body = bob.encrypt(b"y", NOW, lambda hd: hd)
        return alice.decrypt(PqHeader.decode(h), h, body)

    pq_session.REKEY_MESSAGES = 10**9  # never due for a rekey (restored by pq_rows)

    return step


_A = DeviceKeys(b"alice", b"a1", b"\x01" * 32, b"\x02" * 32)
_B = DeviceKeys(b"bob", b"b1", b"\x03" * 32, b"\x04" * 32)


def interleaved(
    a: Callable[[], object], b: Callable[[], object], ops: int, rounds: int
) -> tuple[list[float], list[float]]:
    """``rates`` of two steps, round by round in turn, so a busy machine slows both alike."""
    out_a: list[float] = []
    out_b: list[float] = []
    for _ in range(rounds):
        out_a += rates(a, ops, 1)
        out_b += rates(b, ops, 1)
    return out_a, out_b


def pq_rows(ops: int, rounds: int) -> list[dict[str, Any]]:
    plain_step, plain_size = _per_message(False)
    hybrid_step, hybrid_size = _per_message(True)
    hybrid, plain = interleaved(hybrid_step, plain_step, ops, rounds)
    setup_ops = max(ops // 10, 5)
    calls = (setup_ops + max(setup_ops // 10, 1)) * rounds
    setup_hybrid, setup_plain = interleaved(
        _setups(True, calls), _setups(False, calls), setup_ops, rounds
    )
    rekey_step, pair_step = _rekey_once(), _message_pair()
    try:
        rekey, pair = interleaved(rekey_step, pair_step, setup_ops, rounds)
    finally:
        pq_session.REKEY_MESSAGES = REKEY_MESSAGES
    first_plain, first_hybrid = len(_setup(False)[2]), len(_setup(True)[2])
    table = [
        ("olm+pq message pair (keybound)", hybrid, plain, hybrid_size(), plain_size()),
        ("olm+pq session setup (keybound)", setup_hybrid, setup_plain, first_hybrid, first_plain),
        ("pq rekey round trip", rekey, pair, kem.PUBLIC_KEY_SIZE + kem.CIPHERTEXT_SIZE, 0),
    ]
    print(f"\n{'hybrid layer':<34} {'us/op':>9} {'baseline us':>12} {'x base':>7} "
          f"{'bytes':>7} {'base B':>7}")  # fmt: skip
    rows = []
    for name, samples, base, size, base_size in table:
        median, base_median = statistics.median(samples), statistics.median(base)
        ratio = base_median / median
        rows.append(
            {
                "operation": name,
                "us_per_op": 1e6 / median,
                "baseline_us_per_op": 1e6 / base_median,
                "overhead_ratio": ratio,
                "bytes": size,
                "baseline_bytes": base_size,
                "samples": samples,
                "baseline_samples": base,
            }
        )
        print(f"{name:<34} {1e6 / median:>9.1f} {1e6 / base_median:>12.1f} {ratio:>7.2f} "
              f"{size:>7} {base_size:>7}")  # fmt: skip
    print(
        "  message pair: one 256-byte message each way, plain Olm in our Machine as baseline"
        f" (rekey every {REKEY_MESSAGES} messages included); setup: claim-to-first-message-read,"
        " bytes of the first envelope; rekey: offer + answer against a message pair"
    )
    return rows


# --- identity-chain verification of 100 documents ------------------------------------
# Filled in from the identity helper's API (keybound.identity); replace this block if
# that API changes.  Reported in seconds per whole-chain verification, not ops/s.
def identity_chain_100(rounds: int) -> list[float] | None:
    try:
        from keybound.identity.chain import verify_chain
        from keybound.identity.testing import software_chain
    except ImportError:
        return None
    chain = software_chain(100)
    now = 1_700_000_000 + 1000
    verify_chain(chain, None, now)  # warm up (and prove the chain verifies)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        verify_chain(chain, None, now)
        samples.append(time.perf_counter() - start)
    return samples


# --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=500, help="operations per round")
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).parent / "results" / "protocol.json"
    )
    args = parser.parse_args()

    measured: dict[str, list[float]] = {}
    for scheme, raw, ours in (
        ("olm", raw_olm, keybound_olm),
        ("megolm", raw_megolm, keybound_megolm),
    ):
        # round by round in turn, so a busy machine slows the baseline alike
        steps = {
            f"{scheme} encrypt+decrypt (vodozemac)": raw(),
            f"{scheme} encrypt+decrypt (keybound, 1 per tx)": ours(1),
            f"{scheme} encrypt+decrypt (keybound, 100 per tx)": ours(100),
        }
        if scheme == "olm":
            steps["olm encrypt+decrypt (floor: vodozemac, pickle, cbor2 calls)"] = floor_olm()
        for name in steps:
            measured[name] = []
        for _ in range(args.rounds):
            for name, step in steps.items():
                measured[name] += rates(step, args.ops, 1)
    rows: list[dict[str, Any]] = []
    print(f"{'operation':<62} {'ops/s':>10} {'us/op':>9} {'x vodozemac':>12} {'rounds':>7}")
    for name, samples in measured.items():
        median = statistics.median(samples)
        baseline = statistics.median(measured[name.split(" (")[0] + " (vodozemac)"])
        ratio = baseline / median  # how many times slower than the bare library
        rows.append(
            {
                "operation": name,
                "ops_per_s": median,
                "us_per_op": 1e6 / median,
                "overhead_ratio": ratio,
                "samples": samples,
                "message_bytes": len(MESSAGE),
            }
        )
        print(f"{name:<62} {median:>10.0f} {1e6 / median:>9.1f} {ratio:>12.2f} {len(samples):>7}")

    rows += pq_rows(args.ops, args.rounds)

    chain = identity_chain_100(args.rounds)
    if chain is None:
        print(f"{'identity chain verify (100 docs)':<38} {'not available (keybound.identity)':>30}")
    else:
        median = statistics.median(chain)
        rows.append(
            {"operation": "identity chain verify (100 docs)", "median_s": median, "samples": chain}
        )
        print(f"{'identity chain verify (100 docs)':<38} {'':>10} {median * 1e6:>9.0f} us/chain")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "benchmark": "protocol",
                "baseline": "the same operations directly on vodozemac; for the hybrid layer,"
                " plain Olm through the same Machine",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
