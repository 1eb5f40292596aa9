"""Values that cross from the backup package to the engine and the UI: progress, results.

All frozen dataclasses. ``Control`` carries the two things a long backup step
needs from its caller: where to report progress and how to learn it was
cancelled; it is called from the worker thread that does the work.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from keybound.errors import OperationCancelled

FORMAT_VERSION = 1


class Phase(enum.StrEnum):
    WRITING = "writing"  # backup create
    READING = "reading"  # verify, and the first part of restore
    EXPORTING = "exporting"


@dataclass(frozen=True)
class Progress:
    """How far a long step is. ``total_*`` are 0 while unknown (reading a file's payload)."""

    phase: Phase
    messages_done: int
    messages_total: int
    bytes_done: int  # file bytes read or written so far
    bytes_total: int

    @property
    def fraction(self) -> float | None:
        """0..1, or None when the total is not known."""
        if self.bytes_total > 0:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.messages_total > 0:
            return min(1.0, self.messages_done / self.messages_total)
        return None


ProgressCallback = Callable[[Progress], None]


@dataclass(eq=False)
class Control:
    """Progress reporting and cancellation for one long step (thread-safe)."""

    progress: ProgressCallback | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        if self.cancelled.is_set():
            raise OperationCancelled()

    def report(self, progress: Progress) -> None:
        if self.progress is not None:
            self.progress(progress)


@dataclass(frozen=True)
class Counts:
    contacts: int = 0
    conversations: int = 0
    messages: int = 0
    reactions: int = 0
    receipts: int = 0
    attachments: int = 0  # attachment files inside the backup


@dataclass(frozen=True)
class BackupInfo:
    """What a verified (or written) backup holds, from its authenticated manifest."""

    format: int
    identity_id: bytes
    created_at: int
    counts: Counts
    size: int  # bytes of the backup file


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore added to the history (duplicates by message ID are skipped)."""

    backup: BackupInfo
    added: Counts
    skipped_messages: int
