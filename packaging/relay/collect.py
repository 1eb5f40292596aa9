"""Copy the modules the relay imports, and only those, into a source tree for its wheel.

Imports the relay's entry point and both storage backends, then copies every
``keybound`` module found in ``sys.modules`` from ``src/``.  Fails if one of
the client's heavy dependencies came along, so the relay distribution can
never silently grow a dependency on Qt, smartcards, SQLCipher or vodozemac.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

ENTRY_POINTS = (
    "keybound.relay.main",
    "keybound.relay.storage.sqlite",
    "keybound.relay.storage.postgres",
)
FORBIDDEN = ("PySide6", "smartcard", "fido2", "sqlcipher3", "vodozemac", "nacl", "pyrage")


def collect(src: Path, out: Path) -> list[str]:
    sys.path.insert(0, str(src))
    for name in ENTRY_POINTS:
        importlib.import_module(name)
    leaked = sorted({m.split(".")[0] for m in sys.modules} & set(FORBIDDEN))
    if leaked:
        raise SystemExit(f"collect: the relay imports client-only packages: {', '.join(leaked)}")
    copied = []
    for name, module in sorted(sys.modules.items()):
        if name != "keybound" and not name.startswith("keybound."):
            continue
        path = Path(module.__file__ or "")
        rel = path.relative_to(src)
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out / rel)
        copied.append(str(rel))
    for data in (src / "keybound" / "py.typed",):
        shutil.copy2(data, out / data.relative_to(src))
    return copied


if __name__ == "__main__":
    src_dir, out_dir = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    names = collect(src_dir, out_dir)
    print(f"collect: {len(names)} modules")
