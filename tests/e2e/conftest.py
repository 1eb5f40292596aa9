"""End-to-end tests: every person a `keybound` process, the relay a process, cards on pcscd."""

from __future__ import annotations

from tests.helpers.relay_process import relay_factory

__all__ = ["relay_factory"]
