"""``python -m keybound.demo``: what ``scripts/demo`` runs."""

import sys

from keybound.demo.app import main

sys.exit(main())
