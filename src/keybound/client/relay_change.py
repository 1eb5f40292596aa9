"""Point an existing profile at another relay (a typo in ``init`` is no longer permanent).

The relay is checked first (``relay_probe``); only a relay that passes is
written, together with how its certificate is trusted, in one transaction of
the encrypted settings.  The public device certificate keeps the address it
was made with: it is informational, and the engine, the invites and the
contacts' view of us all take the relay from the settings.
"""

from __future__ import annotations

from keybound.client import settings as cfg
from keybound.client.core import Core
from keybound.client.relay_probe import RelayProbe


def apply(core: Core, probe: RelayProbe) -> None:
    """Database thread: store the checked relay and its TLS trust; one commit."""
    with core.db.transaction():
        cfg.put(core.repo, cfg.RELAY_URL, probe.url)
        cfg.put(core.repo, cfg.TLS_PINNED, bool(probe.pinned))
        cfg.put(core.repo, cfg.TLS_PIN, probe.fingerprint if probe.pinned else "")
        cfg.put(core.repo, cfg.PUBLISHED_VERSION, -1)  # the new relay may not have our chain
    core.settings = cfg.load(core.repo)
