"""Hardware tokens: OpenPGP cards (pyscard) and FIDO2 keys (python-fido2).

The only package that talks to smartcards and security keys. Its interface is
``base.Token``; ``discovery`` finds and opens tokens; ``worker`` is the one
thread their calls run on; ``sim`` is the virtual card for tests and demos.
"""
