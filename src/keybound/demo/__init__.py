"""The two-window demo of ``scripts/demo`` (see :mod:`keybound.demo.app`)."""
