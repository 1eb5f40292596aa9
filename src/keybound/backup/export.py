"""A readable, UNENCRYPTED export of the history: HTML pages or JSON, with attachments beside.

The layout follows Telegram Desktop's export: one folder per conversation
holding ``messages.html`` (or ``messages.json``) and a ``files/`` folder with
the attachments that were downloaded. The whole export is written into
``DIR.part`` (mode 0700) and renamed to ``DIR`` only when complete; a cancel
or failure removes it. Reads a snapshot through a read-only connection.
"""

# SQL text is built only from constant column lists, never from data.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from keybound.errors import BackupError
from keybound.store.database import Database
from keybound.store.system_lines import SYSTEM_CONTENT_TYPE, SystemEvent, describe, notice

from . import layout as L
from .age_file import write_error
from .values import Control, Phase, Progress

HTML, JSON = "html", "json"
PAGE = 2000
_UNSAFE = re.compile(r"[^\w .-]+")

_STYLE = """body{font-family:sans-serif;max-width:50em;margin:2em auto;color:#222}
.m{margin:.4em 0;padding:.4em .7em;border-radius:.6em;background:#eef}
.out{background:#dfd;margin-left:4em}.meta{font-size:.8em;color:#666}
.deleted{color:#999;font-style:italic}
.sys{text-align:center;font-size:.85em;color:#777;margin:.6em 0}"""


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(" .")[:60] or "conversation"


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))


def export_history(
    db: Database,
    dest: Path,
    *,
    fmt: str,
    conversation_id: bytes | None,
    control: Control,
) -> Path:
    """Write the export to ``dest`` (which must not exist yet); returns ``dest``."""
    if fmt not in (HTML, JSON):
        raise BackupError("The export format is html or json.")
    if dest.exists():
        raise BackupError(f"{dest} exists already; choose a new folder for the export.")
    part = dest.with_name(dest.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(part)  # left by a killed earlier export
    db.execute("BEGIN")
    try:
        os.mkdir(part, 0o700)
        _write(db, part, fmt, conversation_id, control)
        os.replace(part, dest)
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        raise write_error(exc, dest) from None
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    finally:
        db.execute("ROLLBACK")
    return dest


def _write(db: Database, root: Path, fmt: str, only: bytes | None, control: Control) -> None:
    people = db.query("SELECT identity_id, display_name, is_self FROM identities")
    names = {bytes(i): str(n) for i, n, _ in people}
    own = {bytes(i) for i, _, is_self in people if is_self}

    def line_name(identity_id: bytes) -> str:  # for system lines: "" is us
        if identity_id in own:
            return ""
        return names.get(identity_id) or identity_id.hex()[:8]

    convs = db.query(
        "SELECT conversation_id, kind, name, peer_identity FROM conversations "
        "ORDER BY conversation_id"
    )
    if only is not None:
        convs = [c for c in convs if bytes(c[0]) == only]
        if not convs:
            raise BackupError("There is no such conversation to export.")
    total = int(db.query("SELECT count(*) FROM messages")[0][0]) if only is None else 0
    done = 0
    for conv_id, kind, name, peer in convs:
        title = str(name) if kind == "group" else names.get(bytes(peer), "") or "contact"
        folder_name = f"{_safe(title)}-{bytes(conv_id).hex()[:8]}"
        folder = root / folder_name
        folder.mkdir(mode=0o700)
        writer = _HtmlWriter(folder, title) if fmt == HTML else _JsonWriter(folder, title)
        after: tuple[int, bytes] = (-(2**62), b"")
        while True:
            control.check()
            rows = db.query(
                f"SELECT {', '.join(L.MESSAGE_COLUMNS)} FROM messages WHERE conversation_id = ? "
                "AND (sort_at, message_id) > (?, ?) ORDER BY sort_at, message_id LIMIT ?",
                (conv_id, after[0], after[1], PAGE),
            )
            if not rows:
                break
            for row in rows:
                record = L.to_json(L.MESSAGE_COLUMNS, row)
                record["sender_name"] = names.get(bytes(row[2]), "")
                if record["content_type"] == SYSTEM_CONTENT_TYPE:
                    # a group or timer change: its sentence beside the stored change
                    event = SystemEvent.decode(record["body"])
                    if event is not None:
                        record["system_text"] = describe(notice(event, line_name))
                record["files"] = _copy_files(db, folder, bytes(row[0]), control)
                writer.message(record)
            done += len(rows)
            control.report(Progress(Phase.EXPORTING, done, total, 0, 0))
            after = (int(rows[-1][5]), bytes(rows[-1][0]))
        writer.close()


def _copy_files(db: Database, folder: Path, message_id: bytes, control: Control) -> list[str]:
    copied = []
    for position, file_name, state, local in db.query(
        "SELECT position, file_name, local_state, local_path FROM attachments "
        "WHERE message_id = ? ORDER BY position",
        (message_id,),
    ):
        if state != "local" or not local or not Path(local).is_file():
            continue
        control.check()
        files = folder / "files"
        files.mkdir(mode=0o700, exist_ok=True)
        target = files / f"{message_id.hex()[:12]}-{position}-{_safe(file_name or 'file')}"
        shutil.copyfile(local, target)
        os.chmod(target, 0o600)
        copied.append(f"files/{target.name}")
    return copied


class _JsonWriter:
    def __init__(self, folder: Path, title: str) -> None:
        self._out = (folder / "messages.json").open("w", encoding="utf-8")
        self._out.write('{"name":' + json.dumps(title, ensure_ascii=False) + ',"messages":[\n')
        self._first = True

    def message(self, record: dict[str, Any]) -> None:
        if not self._first:
            self._out.write(",\n")
        self._first = False
        self._out.write(json.dumps(record, ensure_ascii=False))

    def close(self) -> None:
        self._out.write("\n]}\n")
        self._out.close()


class _HtmlWriter:
    def __init__(self, folder: Path, title: str) -> None:
        self._out = (folder / "messages.html").open("w", encoding="utf-8")
        t = html.escape(title)
        self._out.write(
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{t}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{t}</h1>\n"
        )

    def message(self, r: dict[str, Any]) -> None:
        who = html.escape(r["sender_name"] or r["sender_identity"][:12])
        meta = f"{who} · {_when(r['sent_at'])}"
        if r["edited_at"]:
            meta += f" · edited {_when(r['edited_at'])}"
        if r.get("system_text"):
            line = f"{html.escape(r['system_text'])} · {_when(r['sent_at'])}"
            self._out.write(f'<div class="sys" id="m{r["message_id"]}">{line}</div>\n')
            return
        if r["deleted"]:
            body = '<span class="deleted">deleted</span>'
        else:
            body = html.escape(r["body"] or "").replace("\n", "<br>")
        links = "".join(
            f'<div><a href="{html.escape(f)}">{html.escape(f.split("/", 1)[1])}</a></div>'
            for f in r["files"]
        )
        side = " out" if r["outgoing"] else ""
        self._out.write(
            f'<div class="m{side}" id="m{r["message_id"]}"><div class="meta">{meta}</div>'
            f"<div>{body}</div>{links}</div>\n"
        )

    def close(self) -> None:
        self._out.write("</body></html>\n")
        self._out.close()


__all__ = ["HTML", "JSON", "export_history"]
