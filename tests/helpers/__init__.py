"""Helpers shared by test packages (fixtures that are not about one package)."""
