"""One outer session: a symmetric hash ratchet per direction, rekeyed in-band with ML-KEM.

The numbers (``REKEY_MESSAGES``, ``REKEY_MS``, ``MAX_SKIP``) and the rules are
in docs/post-quantum.md.  An :class:`OuterSession` changes as it is used;
the protocol machine decrypts on a :meth:`~OuterSession.copy` and keeps the
copy only once the whole message was accepted, so a rejected message leaves
no trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from keybound.errors import DecryptionFailed, MalformedData
from keybound.protocol.devices import DeviceKeys
from keybound.protocol.pq import kem
from keybound.protocol.pq.header import PqHeader, Setup
from keybound.protocol.pq.prekeys import SignedPqKey
from keybound.protocol.pq.schedule import (
    initial_keys,
    open_sealed,
    rekey_keys,
    seal,
    session_id,
    step,
    transcript,
)
from keybound.wire import cbor

REKEY_MESSAGES = 50  # N: offer a new KEM key after this many messages sent in one epoch
REKEY_MS = 24 * 3600 * 1000  # T: ... or once the epoch is this old
MAX_SKIP = 1000  # skipped message keys kept per session, and the furthest jump ahead

_AadFor = Callable[[bytes], bytes]


@dataclass
class _Chain:
    epoch: int
    key: bytes
    n: int  # the next message number of this chain


class OuterSession:
    """The outer layer with one peer device, in one Olm-session-like lifetime."""

    def __init__(
        self,
        sid: bytes,
        initiator: bool,
        root: bytes,
        send: _Chain,
        recv: _Chain,
        *,
        setup: Setup | None = None,
    ) -> None:
        self.session_id = sid
        self.initiator = initiator
        self.root = root
        self.send = send
        self.recv = recv
        self.prev: _Chain | None = None  # the previous epoch's receiving chain
        self.skipped: dict[tuple[int, int], bytes] = {}
        self.setup = setup  # carried by the initiator until the responder answers
        self.offer: tuple[bytes, bytes] | None = None  # our pending rekey (seed, public key)
        self.answer: bytes | None = None  # our KEM ciphertext that began the current epoch
        self.epoch_started_ms = 0  # 0: set at the next send
        self.seq = 0  # last use, for newest-first ordering (set by the layer)

    @property
    def epoch(self) -> int:
        return self.send.epoch

    # --- starting ---------------------------------------------------------------------

    @classmethod
    def initiate(cls, own: DeviceKeys, peer: DeviceKeys, prekey: SignedPqKey) -> OuterSession:
        """Encapsulate to ``peer``'s claimed (and already verified) PQ prekey."""
        try:
            secret, ciphertext = kem.encapsulate(prekey.key)
        except ValueError as exc:
            raise MalformedData("post-quantum prekey") from exc
        t = transcript(own, peer, prekey.key_id, prekey.key, ciphertext)
        keys = initial_keys(secret, t)
        return cls(
            session_id(t),
            True,
            keys.root,
            _Chain(0, keys.forward, 0),
            _Chain(0, keys.backward, 0),
            setup=Setup(prekey.key_id, ciphertext),
        )

    @classmethod
    def respond(
        cls,
        own: DeviceKeys,
        peer: DeviceKeys,
        header: PqHeader,
        seed: bytes,
        public_key: bytes,
    ) -> OuterSession:
        """Open the session ``header`` sets up, with the private key of the prekey it names."""
        if header.setup is None:
            raise DecryptionFailed()
        secret = kem.decapsulate(seed, header.setup.ciphertext)
        t = transcript(peer, own, header.setup.key_id, public_key, header.setup.ciphertext)
        if session_id(t) != header.session_id:
            raise DecryptionFailed()
        keys = initial_keys(secret, t)
        return cls(
            header.session_id,
            False,
            keys.root,
            _Chain(0, keys.backward, 0),
            _Chain(0, keys.forward, 0),
        )

    def copy(self) -> OuterSession:
        other = OuterSession(
            self.session_id,
            self.initiator,
            self.root,
            _Chain(self.send.epoch, self.send.key, self.send.n),
            _Chain(self.recv.epoch, self.recv.key, self.recv.n),
            setup=self.setup,
        )
        prev = self.prev
        other.prev = _Chain(prev.epoch, prev.key, prev.n) if prev is not None else None
        other.skipped = dict(self.skipped)
        other.offer, other.answer = self.offer, self.answer
        other.epoch_started_ms, other.seq = self.epoch_started_ms, self.seq
        return other

    # --- messages ---------------------------------------------------------------------

    def encrypt(self, plaintext: bytes, now_ms: int, aad_for: _AadFor) -> tuple[bytes, bytes]:
        """(header bytes, ciphertext); ``aad_for(header)`` gives the envelope's associated data."""
        if self.epoch_started_ms == 0:
            self.epoch_started_ms = max(now_ms, 1)
        due = self.send.n >= REKEY_MESSAGES or now_ms - self.epoch_started_ms >= REKEY_MS
        if self.offer is None and due:
            self.offer = kem.generate()
        message_key, self.send.key = step(self.send.key)
        header = PqHeader(
            self.session_id,
            self.send.epoch,
            self.send.n,
            self.setup,
            self.offer[1] if self.offer is not None else None,
            self.answer,
        )
        self.send.n += 1
        data = header.encode()
        return data, seal(message_key, plaintext, aad_for(data))

    def decrypt(self, header: PqHeader, aad: bytes, ciphertext: bytes) -> bytes:
        """The plaintext; raises :class:`DecryptionFailed` (the session may then be half-changed:
        decrypt on a :meth:`copy`)."""
        if header.session_id != self.session_id:
            raise DecryptionFailed()
        if header.epoch == self.epoch + 1 and header.answer is not None and self.offer is not None:
            self._take_answer(header.answer)
        plaintext = open_sealed(self._message_key(header.epoch, header.counter), ciphertext, aad)
        # authentic from here on
        self.setup = None  # the responder has the session: stop sending the setup
        if header.epoch == self.epoch:
            self.answer = None  # the peer reached our epoch: it has our answer
            if header.offer is not None and not (self.offer is not None and self.initiator):
                self.offer = None  # the initiator's offer wins a tie
                self._answer(header.offer)
        return plaintext

    def _message_key(self, epoch: int, n: int) -> bytes:
        key = self.skipped.pop((epoch, n), None)
        if key is not None:
            return key
        if epoch == self.recv.epoch:
            chain = self.recv
        elif self.prev is not None and epoch == self.prev.epoch:
            chain = self.prev
        else:
            raise DecryptionFailed()
        if n < chain.n or n - chain.n > MAX_SKIP:
            raise DecryptionFailed()  # its key was used (a replay), or it is too far ahead
        while chain.n < n:
            skipped, chain.key = step(chain.key)
            self.skipped[(epoch, chain.n)] = skipped
            chain.n += 1
        key, chain.key = step(chain.key)
        chain.n += 1
        while len(self.skipped) > MAX_SKIP:
            del self.skipped[next(iter(self.skipped))]
        return key

    # --- rekeying ---------------------------------------------------------------------

    def _answer(self, offer: bytes) -> None:
        try:
            secret, ciphertext = kem.encapsulate(offer)
        except ValueError as exc:
            raise DecryptionFailed() from exc
        self._advance(secret, offer, ciphertext)
        self.answer = ciphertext

    def _take_answer(self, ciphertext: bytes) -> None:
        assert self.offer is not None
        seed, public = self.offer
        self._advance(kem.decapsulate(seed, ciphertext), public, ciphertext)
        self.offer = None

    def _advance(self, secret: bytes, offer: bytes, ciphertext: bytes) -> None:
        epoch = self.epoch + 1
        keys = rekey_keys(self.root, secret, self.session_id, epoch, offer, ciphertext)
        mine, theirs = (
            (keys.forward, keys.backward) if self.initiator else (keys.backward, keys.forward)
        )
        self.prev = self.recv
        self.root = keys.root
        self.send = _Chain(epoch, mine, 0)
        self.recv = _Chain(epoch, theirs, 0)
        self.skipped = {k: v for k, v in self.skipped.items() if k[0] >= epoch - 1}
        self.epoch_started_ms = 0

    # --- storage ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        m: cbor.CborMap = {
            0: self.session_id,
            1: self.initiator,
            2: self.root,
            3: _chain_value(self.send),
            4: _chain_value(self.recv),
            6: [[e, n, k] for (e, n), k in self.skipped.items()],
            10: self.epoch_started_ms,
            11: self.seq,
        }
        if self.prev is not None:
            m[5] = _chain_value(self.prev)
        if self.setup is not None:
            m[7] = [self.setup.key_id, self.setup.ciphertext]
        if self.offer is not None:
            m[8] = list(self.offer)
        if self.answer is not None:
            m[9] = self.answer
        return cbor.encode(m)

    @classmethod
    def from_bytes(cls, data: bytes) -> OuterSession:
        m = cbor.decode_map(data, max_size=1 << 20)
        setup = _pair(m.get(7))
        s = cls(
            cbor.get_bytes(m, 0),
            cbor.get_bool(m, 1),
            cbor.get_bytes(m, 2, size=32),
            _chain(m[3]),
            _chain(m[4]),
            setup=Setup(setup[0].decode(), setup[1]) if setup is not None else None,
        )
        s.prev = _chain(m[5]) if 5 in m else None
        s.skipped = _skipped(cbor.get_list(m, 6))
        s.offer = _pair(m.get(8))
        s.answer = cbor.get_bytes(m, 9) if 9 in m else None
        s.epoch_started_ms = cbor.get_int(m, 10)
        s.seq = cbor.get_int(m, 11)
        return s


def _chain_value(c: _Chain) -> list[cbor.Value]:
    return [c.epoch, c.key, c.n]


def _chain(value: cbor.Value) -> _Chain:
    if not isinstance(value, list) or len(value) != 3:
        raise MalformedData("post-quantum chain")
    epoch, key, n = value
    if not isinstance(epoch, int) or not isinstance(key, bytes) or not isinstance(n, int):
        raise MalformedData("post-quantum chain")
    return _Chain(epoch, key, n)


def _skipped(items: list[cbor.Value]) -> dict[tuple[int, int], bytes]:
    out = {}
    for item in items:
        if not isinstance(item, list) or len(item) != 3:
            raise MalformedData("post-quantum skipped key")
        epoch, n, key = item
        if not isinstance(epoch, int) or not isinstance(n, int) or not isinstance(key, bytes):
            raise MalformedData("post-quantum skipped key")
        out[(epoch, n)] = key
    return out


def _pair(value: cbor.Value | None) -> tuple[bytes, bytes] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], bytes):
        raise MalformedData("post-quantum state")
    first = value[0]
    if isinstance(first, str):
        first = first.encode()
    if not isinstance(first, bytes):
        raise MalformedData("post-quantum state")
    return first, value[1]
