"""The post-quantum hybrid layer around every Olm session (docs/post-quantum.md).

Sans-I/O like the rest of ``protocol``: ML-KEM-768 prekeys (``prekeys``), the
key schedule (``schedule``), the outer per-session ratchet with in-band
rekeying (``session``), its header (``header``) and the per-device state the
protocol machine holds (``layer``).
"""
