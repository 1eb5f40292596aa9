"""Token benchmark: sign and unlock_secret through real pcscd with the virtual card.

Run: `.venv/bin/python bench/token.py [--rounds N] [--json PATH]`
(pcscd with vsmartcard-vpcd running, as `scripts/setup` leaves it).

The baseline in the same run is the bare APDU round trip through pcscd (a
GET DATA of the PW status bytes): every token operation costs some number of
those plus the card's own work, so the table reports each operation's median
as a ratio of that floor. The same operations over the in-process transport
show what pcscd and vpcd add.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file (named as the issue asks) would shadow the
# standard library's `token` module for every import below: drop its folder.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse
import json
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keybound.token import fido2_token, pcsc
from keybound.token.base import EnrollOptions, PinKind, Token
from keybound.token.openpgp.card import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim import build_card
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.sim.vpcd import VpcdLink
from keybound.token.worker import TokenWorker

PIN = "246810"
ADMIN = "24681012"
GET_PW_STATUS = bytes.fromhex("00ca00c400")
SELECT_OPENPGP = bytes.fromhex("00a4040006d27600012401")


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    fn()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def enroll(worker: TokenWorker, token: Token, openpgp: bool) -> None:
    options = (
        EnrollOptions(current_admin_pin="12345678", user_pin=PIN, admin_pin=ADMIN)
        if openpgp
        else EnrollOptions(user_pin=PIN)
    )
    worker.call(token.enroll, options)


def measure_token(
    worker: TokenWorker, token: Token, openpgp: bool, rounds: int
) -> dict[str, list[float]]:
    enroll(worker, token, openpgp)
    message = secrets.token_bytes(64)
    salt = secrets.token_bytes(32)
    return {
        "sign": timed(lambda: worker.call(token.sign, message), rounds),
        "unlock_secret": timed(lambda: worker.call(token.unlock_secret, salt), rounds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).parent / "results" / "token.json"
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("KEYBOUND_VPCD_PORT", "35963"))
    )
    parser.add_argument("--reader", default=os.environ.get("KEYBOUND_VPCD_READER", "Virtual PCD"))
    args = parser.parse_args()

    reader = f"{args.reader} 00 00"
    results: dict[str, list[float]] = {}
    worker = TokenWorker()
    prompter = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN})
    with tempfile.TemporaryDirectory() as tmp:
        card = build_card("both", Path(tmp) / "card.json")
        link = VpcdLink(card, port=args.port)
        link.start()
        try:
            deadline = time.monotonic() + 10
            while reader not in pcsc.list_readers() or not _present(reader):
                if time.monotonic() > deadline:
                    print(
                        f"bench: no card appeared in {reader!r}; is pcscd running?", file=sys.stderr
                    )
                    return 1
                time.sleep(0.05)
            transport = pcsc.PcscTransport(reader)
            transport.transmit(SELECT_OPENPGP)
            results["apdu_roundtrip (pcscd floor)"] = timed(
                lambda: transport.transmit(GET_PW_STATUS), args.rounds * 10
            )
            token = worker.call(OpenPgpToken, transport, prompter)
            for name, samples in measure_token(worker, token, True, args.rounds).items():
                results[f"openpgp {name} (pcscd)"] = samples
            transport.close()
            fido = worker.call(fido2_token.open_pcsc, reader, prompter)
            for name, samples in measure_token(worker, fido, False, args.rounds).items():
                results[f"fido2 {name} (pcscd)"] = samples
            worker.call(fido.close)
        finally:
            link.stop()

        inproc = build_card("both", Path(tmp) / "inproc.json")
        token = worker.call(OpenPgpToken, InProcessTransport(inproc), prompter)
        for name, samples in measure_token(worker, token, True, args.rounds).items():
            results[f"openpgp {name} (in-process)"] = samples
        device = fido2_token.inprocess_device(InProcessTransport(inproc))
        fido = fido2_token.Fido2Token(device, fido2_token.inprocess_ref("bench"), prompter)
        for name, samples in measure_token(worker, fido, False, args.rounds).items():
            results[f"fido2 {name} (in-process)"] = samples
    worker.stop()

    floor = statistics.median(results["apdu_roundtrip (pcscd floor)"])
    rows: list[dict[str, Any]] = []
    print(f"{'operation':<34} {'median ms':>10} {'p90 ms':>8} {'x floor':>8} {'n':>5}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) >= 10 else max(samples)
        ratio = median / floor
        rows.append(
            {
                "operation": name,
                "median_s": median,
                "p90_s": p90,
                "ratio_to_floor": ratio,
                "samples": len(samples),
            }
        )
        print(
            f"{name:<34} {median * 1000:>10.3f} {p90 * 1000:>8.3f} {ratio:>8.1f} {len(samples):>5}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "benchmark": "token",
                "baseline": "apdu_roundtrip (pcscd floor)",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"\nwrote {args.json}")
    return 0


def _present(reader: str) -> bool:
    try:
        pcsc.PcscTransport(reader).close()
    except Exception:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
