"""The bundle's entry point: the same `keybound` command as the installed one."""

import sys

from keybound.cli import main

if __name__ == "__main__":
    sys.exit(main())
