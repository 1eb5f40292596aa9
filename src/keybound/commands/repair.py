"""`keybound repair`: copy what can still be read of a damaged history into a new one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..client.history_repair import repair_history
from ..client.options import Options
from ..pins import CliPrompter
from ..token.worker import TokenWorker
from . import session


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "repair",
        help="copy what can still be read of a damaged history into a new one",
        description="Unlocks with your security key, copies every readable row of the "
        "damaged history into a new encrypted file and puts it in place; the damaged file "
        "is kept beside it as history.db.damaged-<time>. Stop `keybound listen` first.",
    )
    session.add_token_selector(p)


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    worker = TokenWorker()
    try:
        return session.run(lambda: _repair(args, profile, worker, out))
    finally:
        worker.stop()


async def _repair(args: argparse.Namespace, profile: Path, worker: TokenWorker, out: TextIO) -> int:
    options = Options(tokens=session.token_source(args), token_worker=worker)

    def progress(done: int, total: int) -> None:
        print(f"copying: {done}/{total} tables", file=sys.stderr, flush=True)

    report = await repair_history(
        profile, CliPrompter(session.pin_source(args)), options, progress=progress
    )
    print(f"The history was damaged: {report.damage.describe()}.", file=out)
    print(f"Copied {report.copied.get('messages', 0)} messages into a new history.", file=out)
    if report.messages_lost:
        print(f"{report.messages_lost} messages on the damaged part could not be read.", file=out)
    else:
        print("No message was lost.", file=out)
    print(f"The damaged file is kept as {report.damaged_copy}.", file=out)
    return session.EXIT_OK
