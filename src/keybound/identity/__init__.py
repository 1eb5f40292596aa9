"""Identity: the token-signed chain of identity documents, device certificates,
fingerprints, safety numbers and invites.  Sans-I/O."""
