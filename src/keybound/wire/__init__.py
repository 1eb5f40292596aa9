"""Relay protocol and the canonical CBOR codec shared by client, relay, identity and protocol.

Sans-I/O: nothing here opens a socket or a file.
"""
