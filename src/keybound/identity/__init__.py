"""Identity: the token-signed chain of identity documents, device certificates,
fingerprints, safety numbers, invites and interactive (SAS) verification.  Sans-I/O.

An identity is a chain of documents, each listing the full sets of tokens and
device certificates; the genesis document is signed by its first token (the
root token) and its hash is the identity ID; each later document is signed by a
token of the document before it.  Modules: ``document`` (values, builders,
codec), ``chain`` (verification), ``fingerprint`` (safety numbers, QR, invite
links), ``sas`` (emoji verification), ``testing`` (software signers for tests
and benchmarks).

Encoding rule (all formats are canonical CBOR via ``keybound.wire.cbor``):

- Every format carries a major version ``v``.  A ``v`` higher than this code
  knows raises ``NewerIdentityFormat`` ("update Keybound"), before any other
  check, since a newer format may add fields.
- Signed identity documents (and their token entries, device certificates and
  signature) *reject* fields unknown to the version they claim
  (``MalformedData``): a verifier must never accept bytes a signer meant
  differently, and "preserving" unknown fields would let them through unread.
  New fields mean a new ``v``.
- Unsigned, ephemeral payloads (QR payloads, invite links, SAS messages)
  *ignore* unknown fields, so an older app can still read what it needs.
"""
