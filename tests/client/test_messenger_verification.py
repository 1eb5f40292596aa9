"""Emoji verification between two real Messengers over a real relay, and identity changes:
the banner's alert, the held send for a verified contact, a fork as an attack warning."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from keybound.client import events as ev
from keybound.client.messenger import LinkRequest
from keybound.client.values import ALERT_ATTACK, ALERT_CHANGED, ALERT_SUSPECT
from keybound.client.verification import CANCELLED, MISMATCH, TIMED_OUT, VERIFIED
from keybound.errors import SendingHeld, UnknownVerification
from keybound.store.models import Verification
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .chain_change import add_spare_token, rival_head
from .harness import Someone, befriend, create, run, texts, until
from .links import Delegate


def _of(person: Someone, kind: type[Any], **match: Any) -> list[Any]:
    return [e for e in person.events_of(kind) if all(getattr(e, k) == v for k, v in match.items())]


async def _request(person: Someone, peer: Someone) -> bytes:
    async def found() -> bytes | None:
        pending = [r for r in await person.m.verification_requests()
                   if r.identity_id == peer.m.identity_id]  # fmt: skip
        return pending[-1].tx if pending else None

    return await until(found, what=f"{person.name} hears the request")


async def _codes(person: Someone, tx: bytes) -> ev.VerificationCodes:
    async def found() -> ev.VerificationCodes | None:
        got = _of(person, ev.VerificationCodes, tx=tx)
        return got[0] if got else None

    return await until(found, what=f"{person.name} shows the emoji")


async def _done(person: Someone, tx: bytes) -> ev.VerificationDone:
    async def found() -> ev.VerificationDone | None:
        got = _of(person, ev.VerificationDone, tx=tx)
        return got[0] if got else None

    return await until(found, what=f"{person.name}'s verification ends")


async def _verification(person: Someone, peer: Someone) -> Verification:
    return (await person.m.contact(peer.m.identity_id)).verification


async def _pair(
    tmp: Path, relay: RelayProcess, worker: TokenWorker, **kw: Any
) -> tuple[Someone, Someone]:
    alice = await create(tmp, "alice", relay.url, worker, **kw)
    bob = await create(tmp, "bob", relay.url, worker, **kw)
    await befriend(alice, bob)
    return alice, bob


async def _codes_on_both(alice: Someone, bob: Someone) -> tuple[bytes, ev.VerificationCodes]:
    tx = await alice.m.start_verification(bob.m.identity_id)
    assert await _request(bob, alice) == tx
    await bob.m.accept_verification(tx)
    a, b = await _codes(alice, tx), await _codes(bob, tx)
    assert a.emoji == b.emoji and len(a.emoji) == 7 and a.decimals == b.decimals
    assert all(name for _, name in a.emoji)
    return tx, a


def test_the_emoji_match_and_both_sides_are_verified(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice, bob = await _pair(tmp_path, shared_relay, worker)
        try:
            tx, _ = await _codes_on_both(alice, bob)
            await alice.m.confirm_verification(tx)
            await asyncio.sleep(0.3)
            assert not _of(alice, ev.VerificationDone, tx=tx)  # bob has not confirmed yet
            await bob.m.confirm_verification(tx)
            assert (await _done(alice, tx)).outcome == VERIFIED
            assert (await _done(bob, tx)).outcome == VERIFIED
            assert await _verification(alice, bob) is Verification.VERIFIED
            assert await _verification(bob, alice) is Verification.VERIFIED
            # the verification left nothing in the history
            conv = await alice.m.direct_conversation(bob.m.identity_id)
            assert await texts(alice, conv) == []
            assert await texts(bob, await bob.m.direct_conversation(alice.m.identity_id)) == []
            with pytest.raises(UnknownVerification):
                await alice.m.confirm_verification(tx)
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


def test_they_dont_match_marks_the_contact_suspect_on_both_sides(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice, bob = await _pair(tmp_path, shared_relay, worker)
        try:
            await alice.m.verify_contact(bob.m.identity_id)  # compared numbers once
            tx, _ = await _codes_on_both(alice, bob)
            await alice.m.confirm_verification(tx)
            await bob.m.mismatch_verification(tx)
            assert (await _done(bob, tx)).outcome == MISMATCH
            done = await _done(alice, tx)
            assert done.outcome == MISMATCH and "did not match" in done.reason
            for me, peer in ((alice, bob), (bob, alice)):
                alert = await me.m.identity_alert(peer.m.identity_id)
                assert alert is not None and alert.kind == ALERT_SUSPECT and alert.detail
                assert await _verification(me, peer) is Verification.UNVERIFIED
            # verifying again (here: the safety number) clears the warning
            await alice.m.verify_contact(bob.m.identity_id)
            assert await alice.m.identity_alert(bob.m.identity_id) is None
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


def test_cancel_reaches_the_other_side_and_an_unanswered_request_times_out(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice, bob = await _pair(tmp_path, shared_relay, worker, verification_timeout_s=2.0)
        try:
            tx, _ = await _codes_on_both(alice, bob)
            await bob.m.cancel_verification(tx)
            assert (await _done(bob, tx)).outcome == CANCELLED
            assert (await _done(alice, tx)).outcome == CANCELLED
            assert await _verification(alice, bob) is Verification.UNVERIFIED
            assert await alice.m.identity_alert(bob.m.identity_id) is None  # not suspect

            late = await alice.m.start_verification(bob.m.identity_id)
            await _request(bob, alice)  # bob never answers
            assert (await _done(alice, late)).outcome == TIMED_OUT
            assert (await _done(bob, late)).outcome == TIMED_OUT
            assert await bob.m.verification_requests() == []
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


def test_both_starting_at_once_ends_in_one_verification(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice, bob = await _pair(tmp_path, shared_relay, worker)
        try:
            a_tx = await alice.m.start_verification(bob.m.identity_id)
            b_tx = await bob.m.start_verification(alice.m.identity_id)
            low, high = sorted((alice, bob), key=lambda p: p.m.identity_id)
            kept = a_tx if low is alice else b_tx
            a, b = await _codes(alice, kept), await _codes(bob, kept)
            assert a.emoji == b.emoji
            assert _of(high, ev.VerificationRequested, tx=kept)[0].accepted
            await alice.m.confirm_verification(kept)
            await bob.m.confirm_verification(kept)
            assert (await _done(alice, kept)).outcome == VERIFIED
            assert (await _done(bob, kept)).outcome == VERIFIED
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


async def _alert(person: Someone, peer: Someone, kind: str) -> Any:
    async def found() -> Any:
        alert = await person.m.identity_alert(peer.m.identity_id)
        return alert if alert is not None and alert.kind == kind else None

    return await until(found, what=f"{person.name} sees the {kind} alert")


def test_a_verified_contacts_new_keys_hold_sending_until_accepted_or_verified_again(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice, bob = await _pair(tmp_path, shared_relay, worker)
        try:
            b_conv = await bob.m.direct_conversation(alice.m.identity_id)
            await bob.m.verify_contact(alice.m.identity_id)
            await add_spare_token(alice)
            alert = await _alert(bob, alice, ALERT_CHANGED)
            assert alert.held
            assert await _verification(bob, alice) is Verification.CHANGED
            with pytest.raises(SendingHeld, match="Sending to alice is held"):
                await bob.m.send_text(b_conv, "held")
            with pytest.raises(SendingHeld):
                await bob.m.send_file(b_conv, Path(__file__))
            assert "held" not in await texts(bob, b_conv)  # nothing was stored
            assert _of(bob, ev.IdentityAlertChanged, identity_id=alice.m.identity_id)

            await bob.m.accept_identity_change(alice.m.identity_id)
            assert await bob.m.identity_alert(alice.m.identity_id) is None
            assert await _verification(bob, alice) is Verification.UNVERIFIED
            await bob.m.send_text(b_conv, "released")
            a_conv = await alice.m.direct_conversation(bob.m.identity_id)
            await until(lambda: _has(alice, a_conv, "released"), what="the released text")

            # held again after the next change; an emoji verification releases it too
            await bob.m.verify_contact(alice.m.identity_id)
            await add_spare_token(alice)
            await _alert(bob, alice, ALERT_CHANGED)
            with pytest.raises(SendingHeld):
                await bob.m.send_text(b_conv, "held again")
            tx, _ = await _codes_on_both(bob, alice)
            await bob.m.confirm_verification(tx)
            await alice.m.confirm_verification(tx)
            assert (await _done(bob, tx)).outcome == VERIFIED
            assert await bob.m.identity_alert(alice.m.identity_id) is None
            await bob.m.send_text(b_conv, "verified again")
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


async def _has(person: Someone, conv: bytes, text: str) -> bool:
    return text in await texts(person, conv)


def test_an_unverified_contacts_new_keys_show_the_alert_without_holding(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice, bob = await _pair(tmp_path, shared_relay, worker)
        try:
            await add_spare_token(alice)
            alert = await _alert(bob, alice, ALERT_CHANGED)
            assert not alert.held
            await bob.m.send_text(await bob.m.direct_conversation(alice.m.identity_id), "fine")
            await bob.m.accept_identity_change(alice.m.identity_id)
            assert await bob.m.identity_alert(alice.m.identity_id) is None
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


class _ForkingLink(Delegate):
    """Bob's relay link, which can be told to hand out a rival version of someone's chain."""

    rival: dict[bytes, bytes] = {}

    async def fetch_identity(self, identity_id: bytes, after_version: int = -1) -> list[bytes]:
        if identity_id in self.rival:
            return [self.rival[identity_id]]
        return await self.inner.fetch_identity(identity_id, after_version)


def test_a_forked_chain_is_an_attack_warning_and_holds_a_verified_contact(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(
            tmp_path, "bob", shared_relay.url, worker,
            link_factory=lambda r: _ForkingLink(r),  # LinkRequest -> RelayLink
        )  # fmt: skip
        try:
            await befriend(alice, bob)
            await add_spare_token(alice)
            await _alert(bob, alice, ALERT_CHANGED)
            await bob.m.accept_identity_change(alice.m.identity_id)
            await bob.m.verify_contact(alice.m.identity_id)
            _ForkingLink.rival[alice.m.identity_id] = await rival_head(alice)
            await bob.m._need().refresh(alice.m.identity_id)
            alert = await _alert(bob, alice, ALERT_ATTACK)
            assert alert.held and "conflicting histories" in alert.detail
            with pytest.raises(SendingHeld):
                await bob.m.send_text(await bob.m.direct_conversation(alice.m.identity_id), "x")
            # a later routine change does not water the warning down
            _ForkingLink.rival.clear()
            before = (await bob.m.contact(alice.m.identity_id)).chain_version
            await add_spare_token(alice)
            await until(
                lambda: _chain_at_least(bob, alice, before + 1), what="bob takes in the next one"
            )
            assert (await bob.m.identity_alert(alice.m.identity_id)).kind == ALERT_ATTACK
        finally:
            _ForkingLink.rival.clear()
            await alice.close()
            await bob.close()

    run(scenario())


async def _chain_at_least(person: Someone, peer: Someone, version: int) -> bool:
    return (await person.m.contact(peer.m.identity_id)).chain_version >= version


__all__ = ["LinkRequest"]
