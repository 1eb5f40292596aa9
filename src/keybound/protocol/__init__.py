"""Sans-I/O end-to-end encryption on vodozemac: Olm device sessions, Megolm groups,
envelopes, message content types and deduplication."""
