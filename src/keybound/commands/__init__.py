"""Command-line subcommands, one module each; ``keybound.cli`` wires them up."""
