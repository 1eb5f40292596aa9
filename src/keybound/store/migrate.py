"""Numbered schema migrations, one SQL file each, applied in one transaction.

``migrations/NNNN_name.sql`` takes the schema from version NNNN-1 to NNNN;
``PRAGMA user_version`` records where a file stands.  A migration, once
shipped, never changes: a real file of each shipped version is kept under
``tests/data/store/`` and the tests upgrade it.  A file newer than this code
is refused rather than guessed at.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

import sqlcipher3.dbapi2 as sqlcipher

from keybound.errors import HistoryTooNew, InternalError


class Migratable(Protocol):
    """What migrating needs of a database (:class:`keybound.store.database.Database` has it).

    A protocol rather than an import, so the database may import this module.
    """

    @property
    def schema_version(self) -> int: ...

    def transaction(self) -> AbstractContextManager[None]: ...

    def execute(self, sql: str) -> int: ...


_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str = ""


def available() -> tuple[Migration, ...]:
    """The migrations shipped in ``keybound.store.migrations``, checked to be 1..N."""
    found = []
    for entry in resources.files("keybound.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise InternalError(f"schema migrations are not numbered 1..N: {[m.name for m in found]}")
    return tuple(found)


def latest_version() -> int:
    return len(available())


def migrate(db: Migratable, migrations: tuple[Migration, ...] | None = None) -> int:
    """Apply every pending migration in one transaction; the resulting version.

    Any failure rolls back to the version the file had.  The version is read
    again inside the write transaction, so two openers cannot both apply.
    """
    steps = available() if migrations is None else migrations
    latest = len(steps)
    current = db.schema_version
    if current > latest:
        raise HistoryTooNew(current, latest)
    if current == latest:
        return current
    with db.transaction():
        current = db.schema_version
        if current > latest:
            raise HistoryTooNew(current, latest)
        for step in steps[current:]:
            for statement in statements(step.sql):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {step.version}")
    return latest


def statements(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies hold semicolons).

    ``executescript`` would commit first and so cannot run inside our transaction.
    """
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlcipher.complete_statement(pending):
            if _has_code(pending):
                out.append(pending.strip())
            pending = ""
    if _has_code(pending):
        raise InternalError("a schema migration ends in an incomplete statement")
    return out


def _has_code(text: str) -> bool:
    return any(line.split("--", 1)[0].strip() for line in text.splitlines())
