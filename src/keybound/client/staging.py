"""Build a new account aside and move it into place at the end.

A setup that stops half way (the token pulled out, PINs running out, the
process killed) used to leave a keyslot file or a history without an account
in the profile, which neither ``init`` nor any other command accepted.  Now
the vault and the history are made in ``<profile>/setup-unfinished/`` and
moved into the profile only once the account is complete, the keyslot file
last: the profile has an account exactly when ``keyslots.kbv`` is there
(:meth:`Profile.exists`).  The next setup finds a leftover staging directory
and clears it (and any file already moved out of it, which the missing
keyslot file shows to be part of the same unfinished setup), so running the
same command again always works.

``tokens.json`` (public facts about FIDO2 credentials) is written straight
into the profile: a FIDO2 key enrolled by an unfinished setup can then be
reused by the next one.
"""

from __future__ import annotations

import contextlib
import os
import shutil

from keybound.client.profile import Profile
from keybound.errors import ProfileError

STAGING_DIR = "setup-unfinished"


def staging(profile: Profile) -> Profile:
    return Profile(profile.root / STAGING_DIR)


def prepare(profile: Profile) -> Profile:
    """Clear what an unfinished setup left and return a fresh, empty staging profile.

    Raises :class:`ProfileError` when the profile holds a finished account.
    """
    aside = staging(profile)
    if aside.root.exists():
        if not profile.exists():  # moved out before the keyslot file: same unfinished setup
            _remove_moved(profile)
        shutil.rmtree(aside.root)
    if profile.exists() or profile.history.exists():
        raise ProfileError(
            f"There is already an account in {profile.root}. Use another profile directory."
        )
    aside.ensure()
    return aside


def commit(aside: Profile, profile: Profile) -> None:
    """Move every staged file into the profile, the keyslot file last, then sync."""
    names = sorted(os.listdir(aside.root), key=lambda n: n == aside.keyslots.name)
    if aside.keyslots.name not in names:
        raise ProfileError("The new account is incomplete (no keyslot file was made).")
    for name in names:
        os.replace(aside.root / name, profile.root / name)
    _fsync_dir(profile)
    aside.root.rmdir()
    _fsync_dir(profile)


def discard(aside: Profile) -> None:
    """Best effort after a failure (the next :func:`prepare` clears what is left)."""
    with contextlib.suppress(OSError):
        shutil.rmtree(aside.root)


def _remove_moved(profile: Profile) -> None:
    prefixes = (profile.history.name, profile.keyslots.name)
    for name in os.listdir(profile.root):
        if name.startswith(prefixes):
            with contextlib.suppress(FileNotFoundError):
                (profile.root / name).unlink()


def _fsync_dir(profile: Profile) -> None:
    fd = os.open(profile.root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
