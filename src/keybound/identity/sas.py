"""Short authentication strings: verify another device in real time, by emoji or numbers.

A sans-I/O state machine around vodozemac's ``Sas``, after the Matrix
``m.sas.v1`` flow (messages are canonical CBOR, not JSON)::

    A: sas, start = SasVerification.start(me)          A -> B: start
    B: sas, accept = SasVerification.accept(me, start)  B -> A: accept (commits to B's key)
    A: key_a = sas.receive(accept)                      A -> B: A's ephemeral key
    B: key_b = sas.receive(key_a)                       B -> A: B's ephemeral key
    A: sas.receive(key_b)  (checks B's commitment)      both: show ``sas.codes``
    both, once the person confirms: mac = sas.confirm()  -> other side: sas.receive(mac)

The SAS info string names both identity IDs, device IDs and ephemeral keys
and the transaction ID.  The MAC message carries the sender's identity
fingerprint and device Ed25519 key, each MACed with a key only the two
devices share; ``peer`` is set once the MACs verify *and* the person
confirmed.  Unknown fields of these messages are ignored; a higher ``v`` is
refused.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import NoReturn

import vodozemac

from ..errors import InternalError, MalformedData, NewerIdentityFormat, SasMismatch
from ..wire import cbor
from ..wire.cbor import CborMap
from .chain import VerifiedIdentity, check_device
from .fingerprint import fingerprint

SAS_FORMAT = 1
CANCEL_USER, CANCEL_MISMATCH, CANCEL_TIMEOUT = "user", "mismatch", "timeout"
_FE0F = "\ufe0f"
# Matrix SAS emoji table (spec appendix "SAS method: emoji"), index -> (emoji, name)
EMOJI: tuple[tuple[str, str], ...] = tuple(
    (e, n)
    for e, n in [
        ("🐶", "Dog"), ("🐱", "Cat"), ("🦁", "Lion"), ("🐎", "Horse"), ("🦄", "Unicorn"),
        ("🐷", "Pig"), ("🐘", "Elephant"), ("🐰", "Rabbit"), ("🐼", "Panda"),
        ("🐓", "Rooster"), ("🐧", "Penguin"), ("🐢", "Turtle"), ("🐟", "Fish"),
        ("🐙", "Octopus"), ("🦋", "Butterfly"), ("🌷", "Flower"), ("🌳", "Tree"),
        ("🌵", "Cactus"), ("🍄", "Mushroom"), ("🌏", "Globe"), ("🌙", "Moon"),
        ("\u2601" + _FE0F, "Cloud"), ("🔥", "Fire"), ("🍌", "Banana"), ("🍎", "Apple"),
        ("🍓", "Strawberry"), ("🌽", "Corn"), ("🍕", "Pizza"), ("🎂", "Cake"),
        ("\u2764" + _FE0F, "Heart"), ("😀", "Smiley"), ("🤖", "Robot"), ("🎩", "Hat"),
        ("👓", "Glasses"), ("🔧", "Spanner"), ("🎅", "Santa"), ("👍", "Thumbs Up"),
        ("\u2602" + _FE0F, "Umbrella"), ("⌛", "Hourglass"), ("⏰", "Clock"), ("🎁", "Gift"),
        ("💡", "Light Bulb"), ("📕", "Book"), ("\u270f" + _FE0F, "Pencil"),
        ("📎", "Paperclip"), ("\u2702" + _FE0F, "Scissors"), ("🔒", "Lock"), ("🔑", "Key"),
        ("🔨", "Hammer"), ("\u260e" + _FE0F, "Telephone"), ("🏁", "Flag"), ("🚂", "Train"),
        ("🚲", "Bicycle"), ("\u2708" + _FE0F, "Aeroplane"), ("🚀", "Rocket"),
        ("🏆", "Trophy"), ("⚽", "Ball"), ("🎸", "Guitar"), ("🎺", "Trumpet"),
        ("🔔", "Bell"), ("⚓", "Anchor"), ("🎧", "Headphones"), ("📁", "Folder"),
        ("📌", "Pin"),
    ]
)  # fmt: skip


@dataclass(frozen=True)
class SasIdentity:
    """What one side proves about itself: whose device it is and its signing key."""

    identity_id: bytes
    device_id: bytes
    fingerprint: bytes  # identity fingerprint: covers the identity's current tokens
    ed25519: bytes  # the device's Olm signing key


def sas_identity(verified: VerifiedIdentity, device_id: bytes) -> SasIdentity:
    """The ``SasIdentity`` of an active device of a verified identity."""
    device = check_device(verified, device_id=device_id)
    return SasIdentity(verified.identity_id, device_id, fingerprint(verified), device.ed25519)


@dataclass(frozen=True)
class SasCodes:
    emoji: tuple[tuple[str, str], ...]  # 7 (emoji, English name)
    decimals: tuple[int, int, int]  # each 1000..9191


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class SasVerification:
    """One verification between this device and another; feed it the other side's messages."""

    def __init__(
        self, own: SasIdentity, txn: bytes, *, initiator: bool, expected: SasIdentity | None
    ) -> None:
        self.own, self.txn, self.initiator, self.expected = own, txn, initiator, expected
        self.codes: SasCodes | None = None
        self._sas = vodozemac.Sas()
        self._own_key: bytes = self._sas.public_key.to_bytes()
        self._established: vodozemac.EstablishedSas | None = None
        self._peer_ids: tuple[bytes, bytes] | None = None
        self._peer: SasIdentity | None = None
        self._commitment = b""
        self._start = b""
        self._confirmed = False
        self._step = "start"

    @classmethod
    def start(
        cls, own: SasIdentity, expected_peer: SasIdentity | None = None
    ) -> tuple[SasVerification, bytes]:
        """Begin as the initiator; send the returned message to the other device."""
        sas = cls(own, secrets.token_bytes(16), initiator=True, expected=expected_peer)
        sas._start = sas._message("start", id=own.identity_id, dev=own.device_id)
        sas._step = "wait-accept"
        return sas, sas._start

    @classmethod
    def accept(
        cls, own: SasIdentity, start: bytes, expected_peer: SasIdentity | None = None
    ) -> tuple[SasVerification, bytes]:
        """Answer a start message; the reply commits to our key before we see theirs."""
        m = _parse(start, None, "start")
        sas = cls(own, cbor.get_bytes(m, "txn", name="txn", size=16), initiator=False,
                  expected=expected_peer)  # fmt: skip
        sas._peer_ids = _ids(m)
        commitment = hashlib.sha256(sas._own_key + start).digest()
        sas._step = "wait-key"
        return sas, sas._message("accept", id=own.identity_id, dev=own.device_id, commit=commitment)

    @property
    def peer(self) -> SasIdentity | None:
        """The other side, once its MACs verified and the person confirmed the codes."""
        return self._peer if self._confirmed else None

    def receive(self, message: bytes) -> bytes | None:
        """Take the other side's message; return the reply to send, if any."""
        m = _parse(message, self.txn, None)
        kind = m["t"]
        if kind == "cancel":
            self._step = "failed"
            raise SasMismatch("The verification was cancelled on the other device.")
        if (self._step, kind) == ("wait-accept", "accept"):
            self._peer_ids = _ids(m)
            self._commitment = cbor.get_bytes(m, "commit", name="commit", size=32)
            self._step = "wait-key"
            return self._message("key", key=self._own_key)
        if (self._step, kind) == ("wait-key", "key"):
            key = cbor.get_bytes(m, "key", name="key", size=32)
            if self.initiator and hashlib.sha256(key + self._start).digest() != self._commitment:
                self._fail("The other device's key does not match the one it committed to.")
            self._establish(key)
            return None if self.initiator else self._message("key", key=self._own_key)
        if self._step in ("codes", "confirmed") and kind == "mac" and self._peer is None:
            self._check_mac(m)
            return None
        raise MalformedData(f"verification message {kind!r} arrived out of order")

    def confirm(self) -> bytes:
        """The person saw the same codes on both devices: our MAC message for the other side."""
        if self._established is None or self._peer_ids is None or self._step == "failed":
            raise InternalError("confirm() before the codes were shown")
        self._confirmed, self._step = True, "confirmed"
        inputs = self._mac_inputs(self.own)
        macs = {f: self._established.calculate_mac(v, self._mac_info(True, f)) for f, v in inputs}
        return self._message(
            "mac", fp=self.own.fingerprint, ed25519=self.own.ed25519, **macs
        )  # fmt: skip

    def expect(self, peer: SasIdentity) -> None:
        """The initiator learns which device answered only from its accept: from then on
        its MACs must prove exactly that device (as its owner's pinned chain certifies it)."""
        self.expected = peer

    def cancel(self, code: str = CANCEL_USER) -> bytes:
        """The codes differ (``CANCEL_MISMATCH``), the person gave up (``CANCEL_USER``) or
        the time ran out (``CANCEL_TIMEOUT``): tell the other side why."""
        self._step = "failed"
        return self._message("cancel", code=code)

    # --- internals ----------------------------------------------------------------

    def _message(self, kind: str, **fields: bytes | str) -> bytes:
        return cbor.encode({"v": SAS_FORMAT, "t": kind, "txn": self.txn, **fields})

    def _fail(self, why: str) -> NoReturn:
        self._step = "failed"
        raise SasMismatch(why)

    def _establish(self, key: bytes) -> None:
        assert self._peer_ids is not None
        try:
            peer_key = vodozemac.Curve25519PublicKey.from_bytes(key)
            self._established = self._sas.diffie_hellman(peer_key)
        except (vodozemac.KeyException, vodozemac.SasException):
            self._fail("The other device sent an unusable key.")
        keys = (self._own_key, key) if self.initiator else (key, self._own_key)
        sides = ((self.own.identity_id, self.own.device_id), self._peer_ids)
        a, b = sides if self.initiator else sides[::-1]
        info = "|".join(
            ["KEYBOUND_SAS_V1", _b64(a[0]), _b64(a[1]), _b64(keys[0]), _b64(b[0]), _b64(b[1]),
             _b64(keys[1]), _b64(self.txn)]
        )  # fmt: skip
        assert self._established is not None
        raw = self._established.bytes(info)
        self.codes = SasCodes(tuple(EMOJI[i] for i in raw.emoji_indices), raw.decimals)
        self._step = "codes"

    def _mac_info(self, outgoing: bool, field: str) -> str:
        assert self._peer_ids is not None
        own = (self.own.identity_id, self.own.device_id)
        sender, receiver = (own, self._peer_ids) if outgoing else (self._peer_ids, own)
        parts = [*sender, *receiver, self.txn]
        return "|".join(["KEYBOUND_SAS_MAC_V1", *map(_b64, parts), field])

    @staticmethod
    def _mac_inputs(who: SasIdentity) -> list[tuple[str, str]]:
        identity = cbor.encode({"id": who.identity_id, "fp": who.fingerprint})
        device = cbor.encode({"dev": who.device_id, "ed25519": who.ed25519})
        return [("mac_identity", _b64(identity)), ("mac_device", _b64(device))]

    def _check_mac(self, m: CborMap) -> None:
        assert self._peer_ids is not None and self._established is not None
        peer = SasIdentity(
            *self._peer_ids,
            fingerprint=cbor.get_bytes(m, "fp", name="fp", size=32),
            ed25519=cbor.get_bytes(m, "ed25519", name="ed25519", size=32),
        )
        for field, value in self._mac_inputs(peer):
            tag = cbor.get_str(m, field, name=field, max_size=64)
            try:
                self._established.verify_mac(value, self._mac_info(False, field), tag)
            except vodozemac.SasException:
                self._fail(
                    "The other device's keys did not verify: the codes differ or someone "
                    "interfered. Do not trust this device."
                )
        if self.expected is not None and peer != self.expected:
            self._fail("The other device is not the one its owner's identity certifies.")
        self._peer = peer


def _ids(m: CborMap) -> tuple[bytes, bytes]:
    return (
        cbor.get_bytes(m, "id", name="id", size=32),
        cbor.get_bytes(m, "dev", name="dev", max_size=64),
    )


def _parse(data: bytes, txn: bytes | None, kind: str | None) -> CborMap:
    m = cbor.decode_map(data, max_size=4096)
    version = cbor.get_int(m, "v", name="v", min_value=1)
    if version > SAS_FORMAT:
        raise NewerIdentityFormat("verification request", version)
    found = cbor.get_str(m, "t", name="t", max_size=16)
    if kind is not None and found != kind:
        raise MalformedData(f"expected a verification message {kind!r}")
    if txn is not None and cbor.get_bytes(m, "txn", name="txn") != txn:
        raise MalformedData("the verification message belongs to another verification")
    return m


@dataclass(frozen=True)
class SasHeader:
    """What routes a verification message: its kind, transaction, claimed sender and,
    for a cancel, why (the rest is read by :class:`SasVerification` itself)."""

    kind: str
    txn: bytes
    identity_id: bytes | None  # start and accept name their sender
    device_id: bytes | None
    code: str  # cancel only: CANCEL_USER, CANCEL_MISMATCH, CANCEL_TIMEOUT (unknown: user)


def header(data: bytes) -> SasHeader:
    """Read a verification message's header (``MalformedData`` if it is not one)."""
    m = _parse(data, None, None)
    kind = cbor.get_str(m, "t", name="t", max_size=16)
    txn = cbor.get_bytes(m, "txn", name="txn", size=16)
    ids = _ids(m) if kind in ("start", "accept") else (None, None)
    code = CANCEL_USER
    if kind == "cancel" and cbor.optional(m, "code"):
        found = cbor.get_str(m, "code", name="code", max_size=16)
        code = found if found in (CANCEL_MISMATCH, CANCEL_TIMEOUT) else CANCEL_USER
    return SasHeader(kind, txn, ids[0], ids[1], code)
