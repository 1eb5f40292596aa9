"""Spare keys and the recovery code through the Messenger: add a spare (both keys' PINs,
each named), see it in the chain contacts fetch, remove the first key, unlock with the
spare; change a PIN; replace the recovery code (shown once, retyped, the old one dead)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from keybound.client import events as ev
from keybound.client import token_admin
from keybound.client.messenger import Messenger
from keybound.client.token_admin import RecoveryCodeNotConfirmed
from keybound.client.tokens import PresentTokens
from keybound.errors import (
    LastTokenSlot,
    NoKeysOnToken,
    RecoveryCodeMistyped,
    TokenAlreadyEnrolled,
    TokenNotEnrolled,
    TokenNotFound,
    WrongPin,
    WrongRecoveryCode,
)
from keybound.identity.document import token_id
from keybound.token.base import EnrollOptions, PinKind, PublicKey, Token, TokenKind
from keybound.token.fido2_token import Fido2Token, inprocess_device, inprocess_ref
from keybound.token.prompter import FixedPinPrompter, Prompter
from keybound.token.registry import CredentialRegistry
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker
from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .harness import (
    ADMIN_PIN,
    ENROLL,
    PIN,
    InProcessTokens,
    Someone,
    befriend,
    card,
    create,
    enrolled_card,
    join,
    options,
    people,
    prompter,
    run,
    token_key,
    until,
)

pytestmark = pytest.mark.integration


def test_a_spare_is_added_cosigned_seen_by_contacts_and_unlocks_after_the_first_is_removed(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            await befriend(alice, bob)
            first = token_key(worker, alice.tokens)
            [only] = await alice.m.tokens()
            assert only.token_id == first and only.present and only.in_vault
            with pytest.raises(LastTokenSlot, match="only security key"):
                await alice.m.remove_token(first)

            blank = InProcessTokens(card(tmp_path, "blank"))
            with pytest.raises(NoKeysOnToken, match="set it up first"):
                await alice.m.add_token(blank)
            spare = enrolled_card(tmp_path, worker)
            asking = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN_PIN})
            alice.m._keys._prompter = asking  # to see what was asked
            added = await alice.m.add_token(spare)
            assert added == token_key(worker, spare)
            purposes = {r.purpose for r in asking.requests}
            assert purposes == {token_admin.PURPOSE_CURRENT, token_admin.PURPOSE_SPARE}
            with pytest.raises(TokenAlreadyEnrolled):
                await alice.m.add_token(spare)

            listed = {t.token_id: t for t in await alice.m.tokens()}
            assert set(listed) == {first, added}
            assert listed[first].present and not listed[added].present  # only one plugged in
            assert all(t.in_identity and t.in_vault and t.kind is TokenKind.OPENPGP
                       for t in listed.values())  # fmt: skip
            assert listed[added].added >= listed[first].added > 0
            s = alice.m._need()
            head = (await s.db.run(s.core.book.documents, s.core.own_id))[-1]
            assert head.body.format == 2 and [c.signer for c in head.cosignatures] == [added]

            # bob fetches the new chain: alice's key set changed, so he is asked to re-verify
            await until(lambda: _reverify(bob), what="bob sees alice's new key set", timeout=30)

            await alice.m.remove_token(first)
            assert [t.token_id for t in await alice.m.tokens()] == [added]
            await alice.close()

            with pytest.raises((TokenNotFound, TokenNotEnrolled)):
                await Messenger.open(alice.profile, prompter(), options=alice.options)
            with_spare = options(spare, worker)
            reopened = await Messenger.open(alice.profile, prompter(), options=with_spare)
            try:
                [left] = await reopened.tokens()
                assert left.token_id == added and left.present
            finally:
                await reopened.close()

    run(scenario(), timeout=120)


async def _reverify(bob: Someone) -> bool:
    return any(e.needs_reverification for e in bob.events_of(ev.ContactChanged))


def test_change_pin_says_the_tries_left_and_the_new_pin_unlocks(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice") as alice:
            with pytest.raises(WrongPin, match="2 attempts left"):
                await alice.m.change_token_pin("000000", "131313")
            await alice.m.change_token_pin(PIN, "131313")
            await alice.close()
            new_pin = FixedPinPrompter({PinKind.USER: "131313"})
            reopened = await Messenger.open(alice.profile, new_pin, options=alice.options)
            await reopened.close()

    run(scenario(), timeout=60)


def test_the_recovery_code_is_replaced_only_when_retyped_and_the_old_one_dies(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        old = alice.recovery_code
        try:
            with pytest.raises(RecoveryCodeNotConfirmed, match="make a new one first"):
                await alice.m.confirm_recovery_code(old)
            first = await alice.m.new_recovery_code()
            new = await alice.m.new_recovery_code()  # asked again: only the last one counts
            assert len({old, first, new}) == 3
            with pytest.raises(RecoveryCodeNotConfirmed, match="old code still works"):
                await alice.m.confirm_recovery_code(first)
            with pytest.raises(RecoveryCodeMistyped):
                await alice.m.confirm_recovery_code(new[:-3])
            await alice.m.confirm_recovery_code(new.lower().replace("-", " "))  # as typed
            with pytest.raises(RecoveryCodeNotConfirmed):
                await alice.m.confirm_recovery_code(new)  # used up
            await alice.close()

            held = await Messenger.hold(alice.profile, prompter(), options=alice.options)
            try:
                with pytest.raises(WrongRecoveryCode):
                    await held.unlock_with_recovery(old)
                assert held.locked
                await held.unlock_with_recovery(new)
                assert not held.locked
            finally:
                await held.close()
        finally:
            await alice.close()

    run(scenario(), timeout=60)


def test_a_code_shown_but_not_confirmed_is_forgotten_on_lock(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        try:
            new = await alice.m.new_recovery_code()
            await alice.m.lock()
            await alice.m.unlock()
            with pytest.raises(RecoveryCodeNotConfirmed):
                await alice.m.confirm_recovery_code(new)
            alice.tokens.pull()
            await until(lambda: _locked(alice), what="locked by the pull")
            alice.tokens.insert()
            await alice.m.unlock()
            alice.tokens.present = False
            with pytest.raises(TokenNotFound, match="Plug in one of your security keys"):
                await alice.m.new_recovery_code()
        finally:
            alice.tokens.present = True
            await alice.close()

    run(scenario(), timeout=60)


async def _locked(person: Someone) -> bool:
    return person.m.locked


def test_a_spare_card_in_a_second_reader_is_found_added_and_then_unlocks_alone(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,
    worker: TokenWorker,  # type: ignore[no-untyped-def]
) -> None:
    """The real path: both cards in vpcd readers of pcscd, found by ``PresentTokens``;
    the spare is the present card that is not yet a key of the identity."""
    relay: RelayProcess = relay_factory()
    first = virtual_card("openpgp", slot=2)
    spare = virtual_card("openpgp", slot=3)
    source = PresentTokens(kind=TokenKind.OPENPGP)

    def enroll_spare() -> None:
        from keybound.token.discovery import list_tokens, open_token

        [ref] = [r for r in list_tokens() if r.reader == spare.reader]
        token = open_token(ref, prompter())
        try:
            token.enroll(ENROLL)
        finally:
            token.close()

    async def scenario() -> None:
        opts = options(PresentTokens(kind=TokenKind.OPENPGP, reader=first.reader), worker)
        messenger, _ = await Messenger.create_account(
            tmp_path / "alice", relay.url, prompter(), display_name="alice", enroll=ENROLL,
            options=opts,
        )  # fmt: skip
        await messenger.close()
        await asyncio.to_thread(worker.call, enroll_spare)
        alice = Someone("alice", tmp_path / "alice", source, options(source, worker))
        await alice.open()
        try:
            added = await alice.m.add_token()  # the one present card not in the identity
            listed = {t.token_id: t for t in await alice.m.tokens()}
            assert len(listed) == 2 and all(t.present for t in listed.values())
            [old] = [t for t in listed if t != added]
            await alice.m.remove_token(old)
            await alice.close()
            await asyncio.get_running_loop().run_in_executor(None, first.remove)
            await alice.open()  # the spare alone
            [left] = await alice.m.tokens()
            assert left.token_id == added and left.present
        finally:
            await alice.close()

    run(scenario(), timeout=150)


class _Fido2Spare:
    """A TokenSource for an in-process virtual FIDO2 key (its credential made up front)."""

    def __init__(self, tmp: Path, worker: TokenWorker) -> None:
        from keybound.token.sim import build_card

        self.card = build_card("fido2", tmp / "fido2-spare.json")
        self.public = worker.call(
            lambda: self._token(prompter()).enroll(EnrollOptions(user_pin=PIN))
        )

    def _token(self, asking: Prompter) -> Fido2Token:
        transport = InProcessTransport(self.card, "fido2 spare")
        return Fido2Token(inprocess_device(transport), inprocess_ref("spare"), asking)

    def open(self, asking: Prompter, known: Sequence[PublicKey]) -> Token:
        token = self._token(asking)
        token.credential = token.find_credential(known or [self.public])
        if token.credential is None:
            raise TokenNotFound("None of the enrolled security keys is connected.")
        return token

    def watch(self, ref: object, on_removed: object) -> Callable[[], None]:
        return lambda: None


def test_a_fido2_key_is_added_as_spare_cosigns_and_unlocks(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    """The spare may be of the other kind: a FIDO2 key co-signs with its assertion and
    unlocks with hmac-secret."""

    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice") as alice:
            spare = _Fido2Spare(tmp_path, worker)
            registry = CredentialRegistry(alice.profile)
            added = await alice.m.add_token(spare)
            assert added == token_id(spare.public) and registry.credentials() == [spare.public]
            await alice.m.remove_token(added)  # removed: no longer offered for unlocking
            assert registry.credentials() == []
            assert await alice.m.add_token(spare) == added  # and back again
            listed = {t.token_id: t for t in await alice.m.tokens()}
            assert listed[added].kind is TokenKind.FIDO2 and listed[added].in_vault
            s = alice.m._need()
            head = (await s.db.run(s.core.book.documents, s.core.own_id))[-1]
            assert head.cosignatures[0].signature.scheme.value.startswith("fido2")
            await alice.m.remove_token(_first(listed, added))
            await alice.close()
            reopened = await Messenger.open(
                alice.profile, prompter(), options=options(spare, worker)
            )
            try:
                assert [t.token_id for t in await reopened.tokens()] == [added]
            finally:
                await reopened.close()

    run(scenario(), timeout=120)


def _first(listed: dict[bytes, token_admin.IdentityToken], added: bytes) -> bytes:
    return next(t for t in listed if t != added)


def test_a_spare_added_on_one_computer_is_enrolled_on_another_without_a_new_document(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        laptop = None
        try:
            spare = enrolled_card(tmp_path, worker)
            added = await alice.m.add_token(spare)
            laptop = await join(tmp_path, alice, shared_relay.url, worker)
            listed = {t.token_id: t for t in await laptop.m.tokens()}
            assert listed[added].in_identity and not listed[added].in_vault  # not here yet
            s = laptop.m._need()
            before = (await s.db.run(s.core.book.documents, s.core.own_id))[-1].version
            assert await laptop.m.add_token(spare) == added
            after = (await s.db.run(s.core.book.documents, s.core.own_id))[-1].version
            assert after == before  # the identity had it already: only a keyslot here
            assert all(t.in_vault for t in await laptop.m.tokens())
        finally:
            if laptop is not None:
                await laptop.close()
            await alice.close()

    run(scenario(), timeout=120)
