"""The relay: a store-and-forward server that sees only ciphertext.

Never imports client, store, token or gui code (checked by import-linter).
"""
