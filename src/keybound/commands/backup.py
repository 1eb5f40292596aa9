"""`keybound backup create|verify|restore|keys|schedule`: encrypted backups on the command line.

Passphrases come from the terminal or, for scripts, from ``--passphrase-fd N``
(one per line; ``create`` reads it twice, to confirm), never from argv or the
environment. On a terminal, a progress bar goes to stderr; otherwise nothing.
Ctrl-C (or SIGTERM) cancels: no partial backup file is left, and a restore
changes nothing. The profile must not be held by `keybound listen` or the app
at the same time (their automatic backups run inside them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from ..backup import operations as backup_ops
from ..backup import passphrase as pp
from ..backup.age_recipients import ScryptIdentity
from ..backup.values import BackupInfo, Control, Progress, RestoreSummary
from ..client import events as ev
from ..client import settings as cfg
from ..client.backups import needs_passphrase
from ..client.daemon_json import Json
from ..client.messenger import Messenger
from ..errors import (
    BackupError,
    OperationCancelled,
    ProfileInUse,
    UserFacingError,
    WeakPassphrase,
)
from . import session

RECOVERY_NOTE = (
    "Note: the recovery code is not a backup key. It unlocks this computer's vault, "
    "not a backup file."
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("backup", help="encrypted backups (age files) of your history")
    cmds = p.add_subparsers(dest="backup_command", metavar="COMMAND", required=True)

    create = cmds.add_parser("create", help="write a backup")
    create.add_argument("--out", metavar="FILE", help="default: keybound-DATE.age here")
    how = create.add_mutually_exclusive_group()
    how.add_argument(
        "--passphrase-fd", type=int, metavar="N",
        help="read the passphrase twice (two lines) from file descriptor N",
    )  # fmt: skip
    how.add_argument(
        "--tokens", action="store_true",
        help="encrypt to your backup security keys instead of a passphrase (no PIN needed)",
    )  # fmt: skip
    create.add_argument(
        "--no-attachments", action="store_true", help="leave downloaded attachment files out"
    )
    for name, text in (("verify", "decrypt a backup and check it"), ("restore", "merge it in")):
        c = cmds.add_parser(name, help=text)
        c.add_argument("file", metavar="FILE")
        c.add_argument("--passphrase-fd", type=int, metavar="N", help="read it from fd N")
        session.add_token_selector(c)
    session.add_token_selector(create)

    keys = cmds.add_parser("keys", help="the security keys backups are encrypted to")
    keys.add_argument("action", nargs="?", choices=("list", "add"), default="list")
    session.add_token_selector(keys)

    schedule = cmds.add_parser("schedule", help="automatic backups while listen/the app runs")
    schedule.add_argument("--every", type=int, metavar="DAYS", required=True, help="0: off")
    schedule.add_argument("--folder", metavar="DIR", help="where they go")
    schedule.add_argument("--keep", type=int, metavar="K", default=5, help="keep the last K")
    session.add_token_selector(schedule)


def add_export_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="a readable, UNENCRYPTED copy of your history")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--html", dest="fmt", action="store_const", const="html", default="html")
    fmt.add_argument("--json", dest="fmt", action="store_const", const="json")
    p.add_argument("--conversation", metavar="NAME", help="only this contact or group")
    p.add_argument("--out", metavar="DIR", required=True, help="a new folder (mode 0700)")
    session.add_token_selector(p)


def run_export(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    return session.run(lambda: _export(args, profile, out))


async def _export(args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    err = sys.stderr
    print(
        "Warning: the export is NOT encrypted. Anyone who can read the folder can read "
        "your messages; keep it safe and delete it when done.",
        file=err,
    )
    messenger = await _open(profile, args)
    try:
        conversation = None
        if args.conversation:
            conversation = await _conversation_named(messenger, args.conversation)
        bar = Bar(err, "Exporting")
        try:
            dest = await messenger.export_history(
                Path(args.out), fmt=args.fmt, conversation_id=conversation, progress=bar
            )
        finally:
            bar.done()
    finally:
        await messenger.close()
    print(f"exported to {dest}", file=out)
    return session.EXIT_OK


async def _conversation_named(messenger: Messenger, name: str) -> bytes:
    for summary in await messenger.conversations():
        conv = summary.conversation
        if conv.kind == "group" and conv.name == name:
            return conv.conversation_id
    contact = await messenger.contact(name)  # raises UnknownContact with a clear sentence
    return await messenger.direct_conversation(contact.identity_id)


# --- passphrases ------------------------------------------------------------------------


class Passphrases:
    """From ``--passphrase-fd N`` (one per line) or the terminal; never argv or environment."""

    def __init__(self, fd: int | None, err: TextIO) -> None:
        self._err = err
        self._file: TextIO | None = None
        if fd is not None:
            try:
                self._file = os.fdopen(fd, "r", closefd=False)
            except OSError:
                raise BackupError(
                    f"Cannot read the passphrase from file descriptor {fd}."
                ) from None

    def _line(self, label: str) -> str:
        if self._file is not None:
            line = self._file.readline()
            if not line:
                raise BackupError("The passphrase file descriptor has no more lines.")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise BackupError(
                "No terminal to ask for the backup passphrase on. Use --passphrase-fd N."
            )
        try:
            return getpass.getpass(f"{label}: ", stream=self._err)
        except (EOFError, KeyboardInterrupt):
            raise OperationCancelled() from None

    def existing(self) -> str:
        return self._line("Backup passphrase")

    def new(self) -> str:
        """A new passphrase, confirmed; on a terminal an empty answer takes a generated one."""
        first = self._line("New backup passphrase (empty: generate a strong one)")
        if not first and self._file is None:
            generated = pp.generate()
            print("Your backup passphrase (write it down; it is not stored anywhere):",
                  file=self._err)  # fmt: skip
            print(f"\n    {generated}\n", file=self._err)
            print(RECOVERY_NOTE, file=self._err)
            first = generated
        pp.check(first)
        if self._line("The backup passphrase again") != first:
            raise WeakPassphrase("The two passphrases did not match. Nothing was written.")
        return first


# --- progress ----------------------------------------------------------------------------


class Bar:
    """A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, err: TextIO, what: str) -> None:
        self._err, self._what = err, what
        self._on = err.isatty()
        self._last = ""

    def __call__(self, p: Progress) -> None:
        if not self._on:
            return
        fraction = p.fraction
        bar = ""
        if fraction is not None:
            filled = int(fraction * 30)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {fraction * 100:3.0f}% "
        line = f"\r{self._what} {bar}{p.messages_done} messages, {p.bytes_done / 1e6:.1f} MB"
        if line != self._last:
            self._last = line
            self._err.write(line)
            self._err.flush()

    def done(self) -> None:
        if self._on and self._last:
            self._err.write("\n")
            self._err.flush()


# --- commands --------------------------------------------------------------------------------


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    return session.run(lambda: _main(args, profile, out))


async def _open(profile: Path, args: argparse.Namespace) -> Messenger:
    try:
        return await session.open_messenger(profile, args)
    except ProfileInUse:
        raise UserFacingError(
            "Keybound is running with this profile (`keybound listen` or the app). Stop it "
            "first; its automatic backups run inside it."
        ) from None


async def _main(args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    err = sys.stderr
    command = args.backup_command
    phrases = Passphrases(getattr(args, "passphrase_fd", None), err)
    if command == "create":
        secret = None if args.tokens else phrases.new()
        messenger = await _open(profile, args)
        try:
            info = await create(messenger, args, secret, err)
        finally:
            await messenger.close()
        print_info(info, out, str(args.out))
        return session.EXIT_OK
    if command in ("verify", "restore"):
        path = Path(args.file)
        secret = phrases.existing() if needs_passphrase(path) else None
        if command == "verify" and secret is not None:
            # A passphrase backup is checked without the profile: no PIN, no token.
            bar = Bar(err, "Verifying")
            try:
                info = await verify_with_passphrase(path, secret, bar)
            finally:
                bar.done()
            print_info(info, out, str(path))
            return session.EXIT_OK
        messenger = await _open(profile, args)
        try:
            bar = Bar(err, "Verifying" if command == "verify" else "Restoring")
            try:
                if command == "verify":
                    info = await messenger.verify_backup(path, passphrase=secret, progress=bar)
                    bar.done()
                    print_info(info, out, str(path))
                else:
                    summary = await messenger.restore_backup(path, passphrase=secret, progress=bar)
                    bar.done()
                    print_summary(summary, out)
            finally:
                bar.done()
        finally:
            await messenger.close()
        return session.EXIT_OK
    messenger = await _open(profile, args)
    try:
        if command == "keys":
            if args.action == "add":
                key = await messenger.add_backup_key()
                print(f"added: {key.label} ({key.kind}) {key.recipient_text()}", file=out)
            for key in await messenger.backup_keys():
                print(f"{key.kind}\t{key.label}\t{key.recipient_text()}", file=out)
        elif command == "schedule":
            if args.every < 0 or args.keep < 1:
                raise UserFacingError("--every must be 0 or more days and --keep 1 or more.")
            if args.every and not args.folder:
                raise UserFacingError("Automatic backups need a --folder.")
            if args.every and not await messenger.backup_keys():
                await messenger.add_backup_key()
            await messenger.set_setting(cfg.BACKUP_EVERY_DAYS, args.every)
            await messenger.set_setting(cfg.BACKUP_FOLDER, str(Path(args.folder or "").absolute()))
            await messenger.set_setting(cfg.BACKUP_KEEP, args.keep)
            state = f"every {args.every} days into {args.folder}" if args.every else "off"
            print(f"automatic backups: {state}", file=out)
    finally:
        await messenger.close()
    return session.EXIT_OK


async def create(
    messenger: Messenger, args: argparse.Namespace, secret: str | None, err: TextIO
) -> BackupInfo:
    dest = Path(args.out) if args.out else Path(
        f"keybound-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.age"
    )  # fmt: skip
    args.out = str(dest)
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose another --out.")
    bar = Bar(err, "Backing up")
    try:
        return await messenger.create_backup(
            dest, passphrase=secret, to_keys=args.tokens,
            attachments=not args.no_attachments, progress=bar,
        )  # fmt: skip
    finally:
        bar.done()


async def verify_with_passphrase(path: Path, secret: str, bar: Bar) -> BackupInfo:
    loop = asyncio.get_running_loop()

    def report(p: Progress) -> None:
        loop.call_soon_threadsafe(bar, p)

    control = Control(report)
    work = asyncio.ensure_future(
        asyncio.to_thread(backup_ops.verify, path, [ScryptIdentity(secret)], control)
    )
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        control.cancelled.set()
        with contextlib.suppress(BaseException):
            await work
        raise


def print_info(info: BackupInfo, out: TextIO, path: str) -> None:
    c = info.counts
    print(f"backup:        {path}", file=out)
    print(f"format:        {info.format}", file=out)
    print(f"identity:      {info.identity_id.hex()}", file=out)
    print(f"created at:    {info.created_at}", file=out)
    print(f"contacts:      {c.contacts}", file=out)
    print(f"conversations: {c.conversations}", file=out)
    print(f"messages:      {c.messages}", file=out)
    print(f"attachments:   {c.attachments}", file=out)
    print(f"size:          {info.size} bytes", file=out)


def print_summary(summary: RestoreSummary, out: TextIO) -> None:
    a = summary.added
    print(
        f"restored: {a.messages} messages added ({summary.skipped_messages} already here), "
        f"{a.conversations} conversations, {a.contacts} contacts, {a.reactions} reactions, "
        f"{a.receipts} receipts, {a.attachments} attachment files",
        file=out,
    )


async def restore_after_join(messenger: Messenger, args: argparse.Namespace, out: TextIO) -> None:
    """`init --join --restore FILE`: the history from a backup, after the new device joined."""
    path = Path(args.restore)
    phrases = Passphrases(getattr(args, "passphrase_fd", None), sys.stderr)
    secret = phrases.existing() if needs_passphrase(path) else None
    bar = Bar(sys.stderr, "Restoring")
    try:
        summary = await messenger.restore_backup(path, passphrase=secret, progress=bar)
    finally:
        bar.done()
    print_summary(summary, out)


def backup_event_json(event: ev.Event) -> Json | None:
    """`listen`'s line for an automatic backup: done, or failed (the notification)."""
    if isinstance(event, ev.BackupCreated):
        return {"type": "backup_created", "path": event.path, "automatic": event.automatic,
                "messages": event.info.counts.messages, "size": event.info.size}  # fmt: skip
    if isinstance(event, ev.BackupFailed):
        return {"type": "backup_failed", "text": event.text, "automatic": event.automatic}
    return None
