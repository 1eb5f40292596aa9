"""Encrypted backups: age v1 files holding a tar of JSON Lines and attachments.

Below the client engine, above the store: the engine hands this package an
open history database and the recipients or identities; this package never
touches the relay, the token worker or Olm/Megolm state.
"""
