"""The outer layer's header, in clear in the envelope and authenticated as associated data."""

from __future__ import annotations

from dataclasses import dataclass

from keybound.errors import MalformedData
from keybound.protocol.pq.kem import CIPHERTEXT_SIZE, PUBLIC_KEY_SIZE
from keybound.protocol.pq.schedule import SESSION_ID_SIZE
from keybound.wire import cbor

MAX_HEADER = 4096
_COUNTER_MAX = (1 << 32) - 1


@dataclass(frozen=True)
class Setup:
    """How the responder opens the session: which PQ prekey, and the KEM ciphertext to it."""

    key_id: str
    ciphertext: bytes


@dataclass(frozen=True)
class PqHeader:
    """Session, epoch and position of one message, plus any setup, rekey offer or answer."""

    session_id: bytes
    epoch: int
    counter: int
    setup: Setup | None = None
    offer: bytes | None = None  # a fresh ML-KEM public key for the next epoch
    answer: bytes | None = None  # the KEM ciphertext that started this epoch

    def encode(self) -> bytes:
        m: cbor.CborMap = {0: self.session_id, 1: self.epoch, 2: self.counter}
        if self.setup is not None:
            m[3] = [self.setup.key_id, self.setup.ciphertext]
        if self.offer is not None:
            m[4] = self.offer
        if self.answer is not None:
            m[5] = self.answer
        return cbor.encode(m)

    @classmethod
    def decode(cls, data: bytes) -> PqHeader:
        m = cbor.decode_map(data, max_size=MAX_HEADER)
        cbor.reject_unknown(m, {0, 1, 2, 3, 4, 5}, what="post-quantum header")
        setup = None
        if 3 in m:
            item = m[3]
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not isinstance(item[1], bytes)
                or len(item[0]) > 64
                or len(item[1]) != CIPHERTEXT_SIZE
            ):
                raise MalformedData("post-quantum header: bad session setup")
            setup = Setup(item[0], item[1])
        return cls(
            session_id=cbor.get_bytes(m, 0, name="pq session id", size=SESSION_ID_SIZE),
            epoch=cbor.get_int(m, 1, name="pq epoch", min_value=0, max_value=_COUNTER_MAX),
            counter=cbor.get_int(m, 2, name="pq counter", min_value=0, max_value=_COUNTER_MAX),
            setup=setup,
            offer=(
                cbor.get_bytes(m, 4, name="pq rekey offer", size=PUBLIC_KEY_SIZE)
                if 4 in m
                else None
            ),
            answer=(
                cbor.get_bytes(m, 5, name="pq rekey answer", size=CIPHERTEXT_SIZE)
                if 5 in m
                else None
            ),
        )
