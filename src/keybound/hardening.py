"""Keep the app process's memory out of core dumps and away from other processes.

The plaintext of open conversations lives in Python strings and Qt widgets
that no one can wipe, and SQLCipher's ``cipher_memory_security`` is off by
default (see ``store.database``).  What protects that memory instead is that
it never leaves the process: no core file (``RLIMIT_CORE`` 0, soft and hard,
so nothing in the process can raise it again) and not dumpable
(``PR_SET_DUMPABLE`` 0: no core even through a ``core_pattern`` pipe, and
other processes of the same user cannot ``ptrace`` it or read its
``/proc/<pid>/mem``).  Swap is the one way left out; the threat model asks
for encrypted swap.

The CLI calls :func:`harden_process` first thing; the GUI entry does the same.
The relay does not: it holds no plaintext.
"""

from __future__ import annotations

import ctypes
import resource
import sys

PR_SET_DUMPABLE = 4  # from <linux/prctl.h>
PR_GET_DUMPABLE = 3


def harden_process() -> None:
    """No core dumps and no dumpable memory for this process, from now on.

    Raises OSError if the kernel refuses (it does not for an unprivileged
    process lowering its own limits), so a caller never runs unprotected
    believing otherwise.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        _prctl(PR_SET_DUMPABLE, 0)


def is_dumpable() -> bool:
    """Whether the kernel would write this process's memory to a core file (Linux)."""
    if not sys.platform.startswith("linux"):
        return resource.getrlimit(resource.RLIMIT_CORE)[0] != 0
    return _prctl(PR_GET_DUMPABLE, 0) != 0


def _prctl(option: int, arg: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    result = int(libc.prctl(option, arg, 0, 0, 0))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}) failed")
    return result
