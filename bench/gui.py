"""Chat view benchmark: the real engine and a real SQLCipher profile of 1,000,000 messages.

Run: `.venv/bin/python bench/gui.py [--json PATH] [--cache DIR] [--scroll N]`
(offscreen Qt unless QT_QPA_PLATFORM says otherwise).

The profile (Bob's, on an in-process virtual OpenPGP card) is built once
through the store's bulk path (what a backup restore uses) and cached in
`--cache` (default bench/results/gui-profile-v1, git-ignored) with the relay's data and
Alice's profile, so later runs start in seconds: 100,000 messages with Alice
and 900,000 in 999 groups.  Bob's window is a real `ChatPane` driven by a real
`Messenger` on the same qasync loop the app uses.

Measured, each against a named baseline in the same run (ratio = ours / baseline):
- first paint: from choosing the 100,000-message conversation to the first
  painted frame with its rows; baseline: a bare QListView over a
  QStringListModel of the same texts, from setting the model to its first frame;
- scroll frames p50/p99 while scrolling up through N (default 20,000) messages,
  400 px per frame, pages read from the engine as they come; a frame is one
  turn of the loop (scroll, paint, and whatever engine callbacks ran);
  baseline: the bare QListView over N strings scrolled the same way;
- memory (RSS) with the conversation open and after scrolling, and the
  model's row count (bounded by its window, not by the history);
- MessageReceived to the row painted, over 20 real messages from Alice through
  a real relay process; baseline: the same event appended to the bare list.
"""

# Imports come after the sys.path fix below.
# ruff: noqa: E402

from __future__ import annotations

import os
import sys

# bench/token.py would shadow the standard library's `token` module: drop this folder.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
sys.path.insert(0, os.path.dirname(_here))  # the checkout (for tests.client.harness)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import asyncio
import gc
import json
import platform
import random
import resource
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import QApplication, QListView
from tests.client.harness import ENROLL, InProcessTokens, befriend, prompter
from tests.client.harness import options as harness_options
from tests.helpers.relay_process import RelayProcess

from keybound.client import events as ev
from keybound.client.messenger import Messenger, Options, websocket_link
from keybound.client.options import LinkRequest
from keybound.gui.bridge import Bridge
from keybound.gui.loop import application, install_loop
from keybound.gui.views.chat import ChatPane
from keybound.store.models import (
    Conversation,
    ConversationKind,
    Message,
    MessageStatus,
    new_message_id,
)
from keybound.token.sim import build_card
from keybound.token.worker import TokenWorker

TOTAL = 1_000_000
BIG = 100_000
GROUPS = 999
STEP_PX = 400
RECEIVED = 20
WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def body(rng: random.Random, i: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(max(1, int(rng.lognormvariate(2.0, 0.8)))))
    if i % 10 == 3:
        return f"**{words[:12]}** {words}"
    if i % 25 == 7:
        return f"{words} https://example.org/{i}"
    return words


class Person:
    """A cached profile with its virtual card, opened against this run's relay."""

    def __init__(self, cache: Path, name: str, relay: RelayProcess, worker: TokenWorker) -> None:
        self.name = name
        self.profile = cache / f"profile-{name}"
        self.tokens = InProcessTokens(build_card("openpgp", cache / f"card-{name}.json"))

        def link(request: LinkRequest) -> Any:  # the relay's port changes from run to run
            return websocket_link(replace(request, url=relay.url))

        self.options: Options = harness_options(self.tokens, worker, link_factory=link)

    async def create(self, relay: RelayProcess) -> Messenger:
        m, _code = await Messenger.create_account(
            self.profile, relay.url, prompter(), display_name=self.name, enroll=ENROLL,
            options=self.options, device_name=f"{self.name}-bench",
        )  # fmt: skip
        return m

    async def open(self) -> Messenger:
        return await Messenger.open(self.profile, prompter(), options=self.options)


async def build(cache: Path, relay: RelayProcess, worker: TokenWorker) -> None:
    """Bob and Alice, introduced; Bob's history filled in bulk."""
    from tests.client.harness import Someone

    t0 = time.perf_counter()
    bob_p, alice_p = Person(cache, "bob", relay, worker), Person(cache, "alice", relay, worker)
    bob = Someone("bob", bob_p.profile, bob_p.tokens, bob_p.options)
    alice = Someone("alice", alice_p.profile, alice_p.tokens, alice_p.options)
    bob.attach(await bob_p.create(relay))
    alice.attach(await alice_p.create(relay))
    await bob.m.wait_online(20)
    await alice.m.wait_online(20)
    b_conv, _ = await befriend(bob, alice)
    session = bob.m._need()  # the bulk path sits below the facade
    repo, own, peer = session.core.repo, bob.m.identity_id, alice.m.identity_id
    rng = random.Random(7)
    start = int(time.time() * 1000) - BIG * 30_000 - 3_600_000

    def direct(lo: int, hi: int) -> list[Message]:
        rows = []
        for i in range(lo, hi):
            at = start + i * 30_000
            mine = rng.random() < 0.4
            rows.append(Message(
                new_message_id(at), b_conv, own if mine else peer, b"\0" * 8, mine, at,
                body(rng, i), received_at=None if mine else at,
                status=MessageStatus.READ if mine else MessageStatus.RECEIVED,
            ))  # fmt: skip
        return rows

    for lo in range(0, BIG, 10_000):
        await session.db.run(repo.insert_messages, direct(lo, lo + 10_000))
    per_group = (TOTAL - BIG) // GROUPS

    def groups(first: int, last: int) -> None:
        for g in range(first, last):
            gid = bytes(16 - len(str(g))) + str(g).encode()
            repo.upsert_conversation(Conversation(gid, ConversationKind.GROUP, start, f"group {g}"))
            at0 = start - g * 1000
            repo.insert_messages(
                Message(new_message_id(at0 + i * 60_000), gid, peer, b"\0" * 8, False,
                        at0 + i * 60_000, body(rng, i), received_at=at0 + i * 60_000)
                for i in range(per_group)
            )  # fmt: skip

    for g in range(0, GROUPS, 20):
        await session.db.run(groups, g, min(GROUPS, g + 20))
    await session.db.run(repo.mark_read, b_conv, (await bob.m.history(b_conv, 1))[0].message_id)
    await bob.close()
    await alice.close()
    (cache / "ready.json").write_text(
        json.dumps({"conversation": b_conv.hex(), "built_s": time.perf_counter() - t0})
    )


async def wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the benchmark waited too long")
        await asyncio.sleep(0.001)


async def first_paint_ours(pane: ChatPane, conv: bytes) -> float:
    painted: list[float] = []
    view = pane.view

    def frame() -> None:
        if pane.timeline.rowCount() and not painted:
            painted.append(time.perf_counter())

    view.frame_painted.connect(frame)
    t0 = time.perf_counter()
    pane.open_conversation(conv)
    await wait(lambda: bool(painted))
    view.frame_painted.disconnect(frame)
    return (painted[0] - t0) * 1000


class BareList(QListView):
    """The baseline: a plain QListView over a QStringListModel."""

    def __init__(self) -> None:
        super().__init__()
        self.painted = 0
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        self.painted += 1


async def first_paint_bare(texts: list[str]) -> float:
    view = BareList()
    view.resize(1000, 700)
    view.show()
    await asyncio.sleep(0.05)
    before = view.painted
    t0 = time.perf_counter()
    view.setModel(QStringListModel(texts))
    view.scrollToBottom()
    await wait(lambda: view.painted > before)
    ms = (time.perf_counter() - t0) * 1000
    view.close()
    view.deleteLater()
    return ms


async def scroll_frames(
    bar: Any, done: Callable[[], bool], repaint: Callable[[], None]
) -> list[float]:
    frames: list[float] = []
    while not done():
        t0 = time.perf_counter()
        bar.setValue(max(0, bar.value() - STEP_PX))
        repaint()
        await asyncio.sleep(0)  # whatever the loop has (pages from the engine) runs here
        frames.append((time.perf_counter() - t0) * 1000)
        if len(frames) > 200_000:
            raise RuntimeError("scrolling did not make progress")
    return frames


async def measure(
    cache: Path, relay: RelayProcess, worker: TokenWorker, n_scroll: int
) -> dict[str, Any]:
    info = json.loads((cache / "ready.json").read_text())
    conv = bytes.fromhex(info["conversation"])
    bob_p, alice_p = Person(cache, "bob", relay, worker), Person(cache, "alice", relay, worker)
    t_open = time.perf_counter()
    bob = await bob_p.open()
    open_s = time.perf_counter() - t_open
    alice = await alice_p.open()
    await bob.wait_online(20)
    await alice.wait_online(20)
    a_conv = await alice.direct_conversation(bob.identity_id)
    bridge = Bridge()
    bridge.attach(bob)
    pane = ChatPane(bridge)
    pane.resize(1000, 700)
    pane.show()
    await wait(lambda: pane.conversations.row_of(conv) >= 0)
    await asyncio.sleep(0.2)
    gc.collect()
    rss_before = rss_mb()

    ours_first = [await first_paint_ours(pane, conv)]
    for _ in range(4):  # again, after switching away (what a person does)
        pane.open_conversation(pane.conversations.rows[-1].conversation_id)
        await wait(lambda: not pane.timeline.loading)
        await asyncio.sleep(0.05)
        ours_first.append(await first_paint_ours(pane, conv))
    texts = [e.message.body or "" for e in pane.timeline.entries]
    bare_first = [await first_paint_bare(texts) for _ in range(5)]
    await asyncio.sleep(0.2)
    gc.collect()
    rss_open = rss_mb()

    # scroll up through n_scroll messages
    model, view = pane.timeline, pane.view
    newest = model.entries[-1].message.sort_at
    start_count = model.rowCount()

    def far_enough() -> bool:
        first = model.entry(0)
        return model.at_start or (
            first is not None and _older_than(first.message.sort_at, newest, n_scroll)
        )

    ours_frames = await scroll_frames(view.verticalScrollBar(), far_enough, view.viewport().repaint)
    gc.collect()
    rss_scrolled = rss_mb()
    rows_after = model.rowCount()

    bare = BareList()
    bare.resize(1000, 700)
    bare.setModel(QStringListModel([texts[i % len(texts)] for i in range(n_scroll)]))
    bare.show()
    bare.scrollToBottom()
    await asyncio.sleep(0.05)
    bare_bar = bare.verticalScrollBar()
    bare_frames = await scroll_frames(
        bare_bar, lambda: bare_bar.value() == 0, bare.viewport().repaint
    )
    bare.close()
    bare.deleteLater()

    # MessageReceived to the row painted
    pane.open_conversation(conv)
    await wait(lambda: model.rowCount() > 0 and not model.loading)
    await asyncio.sleep(0.1)
    got: dict[bytes, float] = {}
    painted: dict[bytes, float] = {}

    def on_event(event: object) -> None:
        if isinstance(event, ev.MessageReceived) and event.message.conversation_id == conv:
            got[event.message.message_id] = time.perf_counter()

    def on_frame() -> None:
        now = time.perf_counter()
        for mid in got:
            if mid not in painted and model.row_of(mid) >= 0:
                painted[mid] = now

    bridge.engine_event.connect(on_event)
    view.frame_painted.connect(on_frame)
    for i in range(RECEIVED):
        await alice.send_text(a_conv, f"live message {i}")
        await wait(lambda n=i + 1: len(painted) == n)  # type: ignore[misc]
    received = [(painted[m] - got[m]) * 1000 for m in got]

    bare_received: list[float] = []
    bare = BareList()
    strings = QStringListModel(texts)
    bare.setModel(strings)
    bare.resize(1000, 700)
    bare.show()
    bare.scrollToBottom()
    await asyncio.sleep(0.05)
    for i in range(RECEIVED):
        before = bare.painted
        t0 = time.perf_counter()
        row = strings.rowCount()
        strings.insertRows(row, 1)
        strings.setData(strings.index(row), f"live message {i}")
        bare.scrollToBottom()
        await wait(lambda b=before: bare.painted > b)  # type: ignore[misc]
        bare_received.append((time.perf_counter() - t0) * 1000)
    bare.close()

    pane.deleteLater()
    await bridge.shutdown()
    await bob.close()
    await alice.close()
    return {
        "profile_messages": TOTAL, "conversation_messages": BIG, "unlock_open_s": open_s,
        "first_paint_ms": statistics.median(ours_first), "first_paint_all_ms": ours_first,
        "first_paint_baseline_ms": statistics.median(bare_first),
        "scroll_messages": n_scroll, "scroll_frames": len(ours_frames),
        "scroll_p50_ms": pct(ours_frames, 50), "scroll_p99_ms": pct(ours_frames, 99),
        "scroll_max_ms": max(ours_frames),
        "scroll_baseline_p50_ms": pct(bare_frames, 50),
        "scroll_baseline_p99_ms": pct(bare_frames, 99),
        "rss_before_open_mb": rss_before, "rss_open_mb": rss_open,
        "rss_after_scroll_mb": rss_scrolled, "rows_open": start_count,
        "rows_after_scroll": rows_after, "window_rows": model.window,
        "received_p50_ms": pct(received, 50), "received_p99_ms": pct(received, 99),
        "received_baseline_p50_ms": pct(bare_received, 50),
        "received_baseline_p99_ms": pct(bare_received, 99),
    }  # fmt: skip


def _older_than(sort_at: int, newest: int, n: int) -> bool:
    """Bob's history with Alice has one message every 30 s: n messages back in time."""
    return newest - sort_at >= n * 30_000


def table(r: dict[str, Any]) -> str:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:6.2f}x" if b else "   n/a"

    lines = [
        f"{'measure':44} {'ours':>10} {'baseline':>10} {'ratio':>8}",
        f"{'first paint, 100k-message conversation (ms)':44} {r['first_paint_ms']:10.1f} "
        f"{r['first_paint_baseline_ms']:10.1f} "
        f"{ratio(r['first_paint_ms'], r['first_paint_baseline_ms']):>8}",
        f"{'scroll frame p50 (ms)':44} {r['scroll_p50_ms']:10.2f} "
        f"{r['scroll_baseline_p50_ms']:10.2f} "
        f"{ratio(r['scroll_p50_ms'], r['scroll_baseline_p50_ms']):>8}",
        f"{'scroll frame p99 (ms)':44} {r['scroll_p99_ms']:10.2f} "
        f"{r['scroll_baseline_p99_ms']:10.2f} "
        f"{ratio(r['scroll_p99_ms'], r['scroll_baseline_p99_ms']):>8}",
        f"{'MessageReceived -> row painted p50 (ms)':44} {r['received_p50_ms']:10.2f} "
        f"{r['received_baseline_p50_ms']:10.2f} "
        f"{ratio(r['received_p50_ms'], r['received_baseline_p50_ms']):>8}",
        f"{'MessageReceived -> row painted p99 (ms)':44} {r['received_p99_ms']:10.2f} "
        f"{r['received_baseline_p99_ms']:10.2f} "
        f"{ratio(r['received_p99_ms'], r['received_baseline_p99_ms']):>8}",
        f"{'RSS before open / open / after scroll (MB)':44} {r['rss_before_open_mb']:6.0f} / "
        f"{r['rss_open_mb']:.0f} / {r['rss_after_scroll_mb']:.0f}",
        f"{'model rows open / after scroll / window':44} {r['rows_open']} / "
        f"{r['rows_after_scroll']} / {r['window_rows']}",
        f"scrolled through {r['scroll_messages']} messages in {r['scroll_frames']} frames "
        f"of {STEP_PX} px; profile of {r['profile_messages']:,} messages",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cache = Path(args.cache)
    worker = TokenWorker()
    relay = RelayProcess(cache / "relay")
    try:
        if not (cache / "ready.json").exists():
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            relay.data = cache / "relay"
            relay.log_path = relay.data / "relay.log"
            relay.start()
            print(f"building the {TOTAL:,}-message profile in {cache} (once)...", flush=True)
            await build(cache, relay, worker)
        else:
            relay.start()
        return await measure(cache, relay, worker, args.scroll)
    finally:
        relay.kill()
        worker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", default=str(Path(_here) / "results" / "gui.json"))
    parser.add_argument("--cache", default=str(Path(_here) / "results" / "gui-profile-v1"))
    parser.add_argument("--scroll", type=int, default=20_000)
    args = parser.parse_args()
    app: QApplication = application()
    app.setQuitOnLastWindowClosed(False)
    loop = install_loop(app)
    result = loop.run_until_complete(run(args))
    loop.close()  # joins the loop's executor threads
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(table(result))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
