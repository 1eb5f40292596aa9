"""The locked vault: keyslots that wrap the master key per token and per recovery code,
and the SQLCipher history database that the master key opens."""
