"""Where a person's Keybound data lives.

Order: the global ``--profile DIR`` option, then ``KEYBOUND_HOME``, then the
platform's per-user data directory (platformdirs). Several people can run
side by side on one machine by giving each a profile directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

from .errors import ProfileError

ENV_HOME = "KEYBOUND_HOME"


def profile_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The profile directory, created (mode 0700) if missing."""
    if override:
        path = Path(override)
    elif os.environ.get(ENV_HOME):
        path = Path(os.environ[ENV_HOME])
    else:
        path = user_data_path("keybound", appauthor=False)
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ProfileError(f"Cannot use the profile directory {path}: {exc.strerror}.") from None
    if not os.access(path, os.W_OK):
        raise ProfileError(f"The profile directory {path} is not writable.")
    return path
