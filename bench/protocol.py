"""Protocol benchmark: Olm and Megolm encrypt+decrypt of 256-byte messages.

Run: `.venv/bin/python bench/protocol.py [--rounds N] [--ops N] [--json PATH]`

Each operation is one encrypt on the sender plus one decrypt on the receiver.
"keybound" rows go through `keybound.protocol.machine.Machine` (envelope and
inner header in canonical CBOR, content codec, sender authentication, dedup
window, and a fresh encrypted pickle for every StateChange); "vodozemac" rows
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
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import vodozemac  # noqa: E402

from keybound.protocol.content import Text  # noqa: E402
from keybound.protocol.devices import DeviceKeys  # noqa: E402
from keybound.protocol.machine import Machine  # noqa: E402

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


def keybound_olm() -> Callable[[], object]:
    alice, bob = keybound_pair()
    text = Text(MESSAGE.decode())
    clock = iter(range(NOW, NOW + 10**9))

    def step() -> object:
        out = alice.encrypt_direct(b"conversation", [b"bob"], text, next(clock))
        return bob.decrypt(out.deliveries[0].data)

    return step


def keybound_megolm() -> Callable[[], object]:
    alice, bob = keybound_pair()
    text = Text(MESSAGE.decode())
    clock = iter(range(NOW, NOW + 10**9))

    def step() -> object:
        out = alice.encrypt_group(b"group", [b"bob"], text, next(clock))
        result = None
        for delivery in out.deliveries:  # a room key share first, every 100 messages
            result = bob.decrypt(delivery.data)
        return result

    return step


def raw_olm() -> Callable[[], object]:
    alice, bob = vodozemac.Account(), vodozemac.Account()
    bob.generate_one_time_keys(1)
    otk = next(iter(bob.one_time_keys.values()))
    sender = alice.create_outbound_session(bob.curve25519_key, otk)
    first = sender.encrypt(MESSAGE)
    receiver, _ = bob.create_inbound_session(alice.curve25519_key, first.to_pre_key())
    return lambda: receiver.decrypt(sender.encrypt(MESSAGE))


def raw_megolm() -> Callable[[], object]:
    outbound = vodozemac.GroupSession()
    inbound = vodozemac.InboundGroupSession(outbound.session_key)
    return lambda: inbound.decrypt(outbound.encrypt(MESSAGE))


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

    measured = {
        "olm encrypt+decrypt (vodozemac)": rates(raw_olm(), args.ops, args.rounds),
        "olm encrypt+decrypt (keybound)": rates(keybound_olm(), args.ops, args.rounds),
        "megolm encrypt+decrypt (vodozemac)": rates(raw_megolm(), args.ops, args.rounds),
        "megolm encrypt+decrypt (keybound)": rates(keybound_megolm(), args.ops, args.rounds),
    }
    rows: list[dict[str, Any]] = []
    print(f"{'operation':<38} {'ops/s':>10} {'us/op':>9} {'x vodozemac':>12} {'rounds':>7}")
    for name, samples in measured.items():
        median = statistics.median(samples)
        baseline = statistics.median(measured[name.replace("(keybound)", "(vodozemac)")])
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
        print(f"{name:<38} {median:>10.0f} {1e6 / median:>9.1f} {ratio:>12.2f} {len(samples):>7}")

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
                "baseline": "the same operations directly on vodozemac",
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
