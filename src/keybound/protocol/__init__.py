"""Sans-I/O end-to-end encryption on vodozemac: Olm device sessions, Megolm groups,
envelopes, message content types and deduplication.

``machine.Machine`` is the entry point (one per device).  ``devices`` holds the
certified-device view it is given and the signed one-time keys; ``olm`` and
``megolm`` the sessions; ``envelope`` the wire format; ``content`` and
``markdown`` what people send; ``ids`` message IDs; ``dedup`` the bounded
seen-set and pending queue; ``state`` the records the store keeps.
"""
