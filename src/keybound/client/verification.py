"""Interactive emoji verification (SAS) between this device and one of a contact's.

The flows around :class:`keybound.identity.sas.SasVerification`::

    we: start_verification(bob)  -> "start" to all of Bob's devices   VerificationRequested
    Bob's device: accept(tx)     -> "accept" (commits to its key)      (on Bob's side)
    we -> key, Bob -> key: both show seven emoji                        VerificationCodes
    each person: confirm (-> "mac") or mismatch (-> "cancel: mismatch")
    both MACs verified and confirmed on both sides                      VerificationDone

The messages travel end-to-end encrypted through the outbox, as the
engine-private content type :data:`VERIFICATION` in the direct conversation,
and are never stored in the history.  Only a contact may ask; a request older
than the timeout is ignored (it waited on the relay), and every flow ends
after ``Options.verification_timeout_s`` (ten minutes) with a cancel.

The initiator takes the first device that accepts and ignores the others.
When both people start at the same time, the start of the lower identity ID
stands and the other side answers it instead of its own.

A match marks the contact verified (and clears any identity alert); "they
don't match", from either side, or keys that do not verify, mark it suspect
(``identity_alerts``).  The flows live in memory for one session: locking
ends them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from keybound.client import contacts, identity_alerts
from keybound.client import conversations as convs
from keybound.client import events as ev
from keybound.client.core import Core, Effects
from keybound.errors import (
    KeyboundError,
    MalformedData,
    SasMismatch,
    UnknownContact,
    UnknownVerification,
)
from keybound.identity import sas
from keybound.identity.sas import SasIdentity, SasVerification
from keybound.protocol.content import Unsupported
from keybound.wire import cbor

if TYPE_CHECKING:
    from keybound.client.session import Session

log = logging.getLogger(__name__)

VERIFICATION = 0x4B02  # engine-private content type (see client.sync)

# outcomes of VerificationDone
VERIFIED, MISMATCH, CANCELLED, TIMED_OUT = "verified", "mismatch", "cancelled", "timed_out"

_MISMATCH_TEXT = (
    "The emoji did not match: someone may be between you and this contact. Do not trust "
    "this conversation; meet or call them and compare safety numbers before you do."
)


@dataclass(frozen=True)
class VerificationIn:
    """A verification message as the inbox took it in (not stored anywhere)."""

    sender_identity: bytes
    sender_device: bytes
    raw: bytes
    sent_at: int  # ms, the envelope's timestamp


@dataclass(frozen=True)
class PendingRequest:
    """A contact's device asked to verify with us and waits for an answer."""

    tx: bytes
    identity_id: bytes
    device_id: bytes
    at: int  # ms


@dataclass
class _Flow:
    tx: bytes
    peer: bytes
    initiator: bool
    started_at: int  # ms
    peer_device: bytes | None = None
    sas: SasVerification | None = None
    start_raw: bytes = b""  # an incoming request, until it is accepted
    confirmed: bool = False
    peer_confirmed: bool = False
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


def content(raw: bytes) -> Unsupported:
    return Unsupported(VERIFICATION, raw)


def _own_identity(core: Core) -> SasIdentity:
    own = core.book.get(core.own_id)
    if own is None:
        raise UnknownContact("Our own identity is not loaded yet.")
    return sas.sas_identity(own, core.device_id)


def _peer_identity(core: Core, identity_id: bytes, device_id: bytes) -> SasIdentity:
    verified = core.book.get(identity_id)
    if verified is None:
        raise UnknownContact("There is no such contact.")
    return sas.sas_identity(verified, device_id)


def _queue(core: Core, peer: bytes, raw: bytes) -> Effects:
    """Database thread: the message into the outbox, for the peer's devices only."""
    effects = Effects()
    item = core.item_to(convs.direct_id(core.own_id, peer), False, [peer], content(raw))
    with core.db.transaction():
        core.queue(item, effects)
    return effects


class Verifications:
    """The verifications of one session (event loop side)."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._flows: dict[bytes, _Flow] = {}

    @property
    def _timeout_s(self) -> float:
        return self._s.options.verification_timeout_s

    def stop(self) -> None:
        for flow in self._flows.values():
            if flow.timer is not None:
                flow.timer.cancel()
        self._flows.clear()

    def pending(self) -> list[PendingRequest]:
        return [
            PendingRequest(f.tx, f.peer, f.peer_device or b"", f.started_at)
            for f in self._flows.values()
            if not f.initiator and f.sas is None
        ]

    # --- what the person does ---------------------------------------------------------------

    async def start(self, identity_id: bytes) -> bytes:
        """Ask the contact's devices to verify; returns the transaction ID."""
        core = self._s.core
        await self._s.db.run(contacts.contact_info, core, identity_id)  # a contact of ours
        own = await self._s.db.run(_own_identity, core)
        for other in [f for f in self._flows.values() if f.peer == identity_id]:
            await self._end(other, CANCELLED, "A new verification replaced this one.", send=True)
        verification, start = SasVerification.start(own)
        flow = _Flow(verification.txn, identity_id, True, self._s.env.now_ms(), sas=verification)
        self._add(flow)
        await self._send(identity_id, start)
        return flow.tx

    async def accept(self, tx: bytes) -> None:
        flow = self._flow(tx)
        if flow.initiator or flow.sas is not None or flow.peer_device is None:
            return  # accepted already
        core = self._s.core
        await self._fresh(flow.peer)
        own = await self._s.db.run(_own_identity, core)
        try:
            expected = await self._s.db.run(_peer_identity, core, flow.peer, flow.peer_device)
            flow.sas, reply = SasVerification.accept(own, flow.start_raw, expected)
        except (SasMismatch, KeyboundError) as exc:
            await self._end(flow, CANCELLED, str(exc), send=False)
            raise
        await self._send(flow.peer, reply)

    async def confirm(self, tx: bytes) -> None:
        """The person saw the same emoji on both screens."""
        flow = self._flow(tx)
        if flow.sas is None or flow.sas.codes is None:
            raise UnknownVerification()
        mac = flow.sas.confirm()
        flow.confirmed = True
        await self._send(flow.peer, mac)
        await self._maybe_done(flow)

    async def mismatch(self, tx: bytes) -> None:
        """The person says the emoji differ: both sides mark the contact suspect."""
        flow = self._flow(tx)
        if flow.sas is not None:
            await self._send(flow.peer, flow.sas.cancel(sas.CANCEL_MISMATCH))
        await self._suspect(flow, _MISMATCH_TEXT)

    async def cancel(self, tx: bytes) -> None:
        flow = self._flows.get(tx)
        if flow is not None:
            await self._end(flow, CANCELLED, "The verification was cancelled.", send=True)

    # --- what arrives ------------------------------------------------------------------------

    async def receive(self, message: VerificationIn) -> None:
        try:
            await self._receive(message)
        except MalformedData as exc:
            log.info("a verification message was ignored: %s", exc)

    async def _receive(self, message: VerificationIn) -> None:
        core = self._s.core
        if message.sender_identity == core.own_id:
            return  # our own other device verifying someone: not ours to answer
        head = sas.header(message.raw)
        if head.kind == "start":
            await self._request(message, head)
            return
        flow = self._flows.get(head.txn)
        if flow is None or flow.peer != message.sender_identity:
            return
        if flow.peer_device is not None and flow.peer_device != message.sender_device:
            return  # another of their devices answered too late: the first one counts
        if head.kind == "cancel":
            if head.code == sas.CANCEL_MISMATCH:
                await self._suspect(flow, "They said the emoji did not match. " + _MISMATCH_TEXT)
            elif head.code == sas.CANCEL_TIMEOUT:
                await self._end(flow, TIMED_OUT, "The verification timed out.", send=False)
            else:
                await self._end(flow, CANCELLED, "They cancelled the verification.", send=False)
            return
        if flow.sas is None:
            return  # a request not accepted here yet
        if head.kind == "accept":
            if not flow.initiator or flow.peer_device is not None:
                return
            if head.identity_id != message.sender_identity or (
                head.device_id != message.sender_device
            ):
                return
            await self._fresh(flow.peer)
            try:
                expected = await self._s.db.run(
                    _peer_identity, core, flow.peer, message.sender_device
                )
            except KeyboundError as exc:
                await self._end(flow, CANCELLED, str(exc), send=True)
                return
            flow.peer_device = message.sender_device
            flow.sas.expect(expected)
        try:
            reply = flow.sas.receive(message.raw)
        except SasMismatch as exc:
            await self._send(flow.peer, flow.sas.cancel(sas.CANCEL_MISMATCH))
            await self._suspect(flow, f"{exc} {_MISMATCH_TEXT}")
            return
        if reply is not None:
            await self._send(flow.peer, reply)
        if head.kind == "key" and flow.sas.codes is not None:
            codes = flow.sas.codes
            self._s.emit(ev.VerificationCodes(flow.tx, flow.peer, codes.emoji, codes.decimals))
        if head.kind == "mac":
            flow.peer_confirmed = True
            await self._maybe_done(flow)

    async def _request(self, message: VerificationIn, head: sas.SasHeader) -> None:
        core = self._s.core
        now = self._s.env.now_ms()
        if head.txn in self._flows or now - message.sent_at > self._timeout_s * 1000:
            return  # a repeat, or it waited on the relay longer than anyone would wait
        if (head.identity_id, head.device_id) != (message.sender_identity, message.sender_device):
            return  # the start names another sender than the device that sent it
        try:
            await self._s.db.run(contacts.contact_info, core, message.sender_identity)
        except KeyboundError:
            return  # only contacts (not message requests) may ask
        ours = [f for f in self._flows.values() if f.peer == message.sender_identity]
        replaced = False
        for flow in ours:
            if flow.initiator and flow.peer_device is None:
                if core.own_id < message.sender_identity:
                    return  # both started: ours stands, they will answer it
                replaced = True  # theirs stands: answer it instead of waiting for ours
            self._drop(flow)
        flow = _Flow(
            head.txn, message.sender_identity, False, now, peer_device=message.sender_device,
            start_raw=message.raw,
        )  # fmt: skip
        self._add(flow)
        self._s.emit(
            ev.VerificationRequested(flow.tx, flow.peer, message.sender_device, accepted=replaced)
        )
        if replaced:
            await self.accept(flow.tx)

    # --- endings -----------------------------------------------------------------------------

    async def _maybe_done(self, flow: _Flow) -> None:
        if not (flow.confirmed and flow.peer_confirmed) or flow.sas is None:
            return
        if flow.sas.peer is None:
            return
        self._drop(flow)
        core = self._s.core
        info = await self._s.db.run(contacts.set_verified, core, flow.peer, True)
        self._s.emit(ev.ContactChanged(info, needs_reverification=False))
        self._s.emit(ev.IdentityAlertChanged(flow.peer, None))
        self._s.emit(ev.VerificationDone(flow.tx, flow.peer, VERIFIED, ""))

    async def _suspect(self, flow: _Flow, why: str) -> None:
        self._drop(flow)
        core = self._s.core
        alert = await self._s.db.run(identity_alerts.mark_suspect, core, flow.peer, why)
        try:
            info = await self._s.db.run(contacts.contact_info, core, flow.peer)
            self._s.emit(ev.ContactChanged(info, needs_reverification=False))
        except KeyboundError:
            pass
        self._s.emit(ev.IdentityAlertChanged(flow.peer, alert))
        self._s.emit(ev.VerificationDone(flow.tx, flow.peer, MISMATCH, why))

    async def _end(self, flow: _Flow, outcome: str, why: str, *, send: bool) -> None:
        self._drop(flow)
        if send:
            code = sas.CANCEL_TIMEOUT if outcome == TIMED_OUT else sas.CANCEL_USER
            raw = flow.sas.cancel(code) if flow.sas is not None else _cancel(flow.tx, code)
            try:
                await self._send(flow.peer, raw)
            except KeyboundError as exc:
                log.info("could not send a verification cancel: %s", type(exc).__name__)
        self._s.emit(ev.VerificationDone(flow.tx, flow.peer, outcome, why))

    def _expired(self, tx: bytes) -> None:
        flow = self._flows.get(tx)
        if flow is not None and not self._s.closing:
            self._s.spawn(self._end(flow, TIMED_OUT, "The verification timed out.", send=True))

    # --- plumbing ----------------------------------------------------------------------------

    def _flow(self, tx: bytes) -> _Flow:
        flow = self._flows.get(tx)
        if flow is None:
            raise UnknownVerification()
        return flow

    def _add(self, flow: _Flow) -> None:
        loop = asyncio.get_running_loop()
        flow.timer = loop.call_later(self._timeout_s, self._expired, flow.tx)
        self._flows[flow.tx] = flow

    def _drop(self, flow: _Flow) -> None:
        if flow.timer is not None:
            flow.timer.cancel()
        self._flows.pop(flow.tx, None)

    async def _fresh(self, peer: bytes) -> None:
        """Their newest chain before comparing: their MACs cover their current security
        keys, and an old pin here would end a genuine verification in "mismatch"."""
        if self._s.online:
            try:
                await self._s.refresh(peer)
            except KeyboundError as exc:
                log.info("could not refresh a chain before verifying: %s", type(exc).__name__)

    async def _send(self, peer: bytes, raw: bytes) -> None:
        effects = await self._s.db.run(_queue, self._s.core, peer, raw)
        await self._s.after(effects)


def _cancel(txn: bytes, code: str) -> bytes:
    """A cancel for a request we never answered (no SAS state of ours exists yet)."""
    return cbor.encode({"v": sas.SAS_FORMAT, "t": "cancel", "txn": txn, "code": code})
