"""Your security keys: add a spare, remove one, change a PIN, replace the recovery code.

Two records name the keys of an account, and both must agree:

- the identity chain (public): which tokens may sign for the identity.  A
  spare is added by a document that a key already in the chain signs and the
  spare itself co-signs (identity format 2), so contacts see the new set and
  no chain can list a key that did not agree;
- this installation's vault (local): which tokens unlock the history here.

Adding asks both keys' PINs, each through a prompter that says which key it
is ("your current key" / "the new spare key"), each asked once.  Every vault
change needs the master key, which the engine does not keep while unlocked:
it is unwrapped again with a key of the vault (its PIN asked), used, dropped.

The recovery code is replaced in two steps so that the old one keeps working
until the new one is certainly written down: :meth:`KeyAdmin.new_recovery_code`
makes a code (shown once, stored nowhere), :meth:`KeyAdmin.confirm_recovery_code`
takes it as retyped and only then swaps the recovery keyslot (one atomic write
of the keyslot file).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from keybound.client import account, actions
from keybound.client import settings as cfg
from keybound.client.options import Options
from keybound.client.pin_memory import RememberingPrompter
from keybound.client.profile import Profile
from keybound.client.tokens import TokenSource
from keybound.errors import (
    IdentityError,
    KeyboundError,
    LastTokenSlot,
    NoKeysOnToken,
    TokenAlreadyEnrolled,
    TokenNotFound,
    UserFacingError,
)
from keybound.identity.document import (
    SignedDocument,
    TokenEntry,
    attach_cosignature,
    build_next,
    signing_bytes,
    token_id,
)
from keybound.store import vault
from keybound.store.keys import MasterKey
from keybound.store.recovery import RecoveryCode, parse_recovery_code
from keybound.token.base import PinKind, PublicKey, Token, TokenKind, TokenRef
from keybound.token.discovery import list_tokens, open_token
from keybound.token.prompter import PinRequest, Prompter, RefusingPrompter
from keybound.token.registry import CredentialRegistry
from keybound.token.worker import TokenWorker

if TYPE_CHECKING:
    from keybound.client.session import Session

# What each PIN is asked for; the CLI shows them as they are, the app translates them.
PURPOSE_CURRENT = "approve adding a spare key (this is your current key)"
PURPOSE_SPARE = "add it as your spare key (this is the new key)"
PURPOSE_REMOVE = "remove a key from your identity"
PURPOSE_RECOVERY = "replace your recovery code"


class RecoveryCodeNotConfirmed(UserFacingError):
    """The code typed back is not the new recovery code (so nothing was changed)."""


@dataclass(frozen=True)
class IdentityToken:
    """One security key of our identity, as the devices-and-keys page lists it."""

    token_id: bytes
    kind: TokenKind
    label: str  # its kind in words ("OpenPGP card"); the chain holds nothing else
    added: int  # Unix seconds: when the chain first listed it (or its keyslot was made)
    in_identity: bool  # listed by our identity chain: may sign for us
    in_vault: bool  # has a keyslot here: unlocks this installation
    present: bool  # plugged in now


class SpareTokens:
    """A :class:`~keybound.client.tokens.TokenSource` for the key being added: the one
    present token that is not yet a key of this installation (narrowed like
    ``PresentTokens``)."""

    def __init__(
        self,
        exclude: Sequence[PublicKey] = (),
        *,
        credentials: Sequence[PublicKey] = (),
        kind: TokenKind | None = None,
        serial: str | None = None,
        reader: str | None = None,
    ) -> None:
        self.exclude, self.credentials = list(exclude), list(credentials)
        self.kind, self.serial, self.reader = kind, serial, reader
        self.busy: set[str] = set()  # readers in use (the current key's): not opened again

    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        found: list[Token] = []
        for ref in list_tokens(skip=self.busy):
            if self.kind not in (None, ref.kind) or self.reader not in (None, ref.reader):
                continue
            if self.serial not in (None, ref.serial):
                continue
            try:
                token = open_token(ref, prompter, self.credentials)
            except KeyboundError:
                continue
            try:
                public: PublicKey | None = token.public_key()
            except KeyboundError:
                public = None  # blank (or a FIDO2 key this profile never set up)
            if public is not None and public in self.exclude:
                token.close()
                continue
            found.append(token)
        if len(found) == 1:
            return found[0]
        for token in found:
            token.close()
        if not found:
            raise TokenNotFound(
                "No new security key is plugged in: connect the spare key next to your current one."
            )
        raise TokenNotFound(
            "More than one new security key is plugged in; leave only the spare connected "
            "(or choose it with --reader)."
        )

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Callable[[], None]:
        return lambda: None  # the spare is used for one operation only


class _Asking:
    """A prompter that says which key and what for (``purpose``), asking each PIN once."""

    def __init__(self, inner: Prompter, purpose: str) -> None:
        self._inner = RememberingPrompter(_Purposed(inner, purpose))

    def ask_pin(self, request: PinRequest) -> str | None:
        return self._inner.ask_pin(request)

    def touch_needed(self, token: TokenRef) -> None:
        self._inner.touch_needed(token)

    def touch_done(self, token: TokenRef) -> None:
        self._inner.touch_done(token)


class _Purposed:
    def __init__(self, inner: Prompter, purpose: str) -> None:
        self._inner, self._purpose = inner, purpose

    def ask_pin(self, request: PinRequest) -> str | None:
        return self._inner.ask_pin(replace(request, purpose=self._purpose))

    def touch_needed(self, token: TokenRef) -> None:
        self._inner.touch_needed(token)

    def touch_done(self, token: TokenRef) -> None:
        self._inner.touch_done(token)


def kind_of(key: PublicKey) -> TokenKind:
    return TokenKind.OPENPGP if key.scheme.value.startswith("openpgp") else TokenKind.FIDO2


# --- token worker thread ------------------------------------------------------------------


@dataclass(frozen=True)
class _Added:
    document: SignedDocument | None  # None: the chain listed the spare already
    slot: vault.SlotInfo | None  # None: the vault had it already


def _add_spare(
    profile: Profile,
    source: TokenSource,
    spare_source: TokenSource,
    prompter: Prompter,
    head: SignedDocument,
    now: int,
) -> _Added:
    """Both keys open at once: the current one unlocks the vault and signs, the spare
    gets a keyslot and co-signs.  The vault is written first: a chain not yet
    published can be tried again, a published one without a keyslot could too."""
    chain_keys = [t.public_key for t in head.body.tokens]
    usable = [k for k in account.known_keys(profile) if k in chain_keys]
    if not usable:
        raise TokenNotFound("None of your identity's keys unlocks this installation.")
    current = source.open(_Asking(prompter, PURPOSE_CURRENT), usable)
    try:
        if isinstance(spare_source, SpareTokens):
            spare_source.busy.add(current.ref.reader)
        spare = spare_source.open(_Asking(prompter, PURPOSE_SPARE), [])
        try:
            try:
                public = spare.public_key()
            except NoKeysOnToken:
                raise NoKeysOnToken(
                    "The new key has no Keybound keys yet: set it up first "
                    "(`keybound token init`), then add it."
                ) from None
            slots = vault.list_slots(profile.keyslots)
            in_vault = any(s.public_key == public for s in slots)
            in_chain = public in chain_keys
            if in_vault and in_chain:
                raise TokenAlreadyEnrolled("This key is already one of your keys.")
            if public.scheme.value.startswith("fido2"):
                CredentialRegistry(profile.root).add(public)
            master_key = vault.unlock_with_token(profile.keyslots, current)
            slot = None
            if not in_vault:
                slot = vault.add_token(profile.keyslots, master_key, spare)
            del master_key
            signed = None
            if not in_chain:
                label = account.token_label(spare)
                unsigned = build_next(
                    head, now, tokens=[*head.body.tokens, TokenEntry(public, label)]
                )
                signed = account.sign_document(current, unsigned)
                signed = attach_cosignature(signed, public, spare.sign(signing_bytes(unsigned)))
            return _Added(signed, slot)
        finally:
            spare.close()
    finally:
        current.close()


def _remove(
    profile: Profile,
    source: TokenSource,
    prompter: Prompter,
    head: SignedDocument,
    target: bytes,
    now: int,
) -> SignedDocument | None:
    """Sign the chain without ``target`` (if it lists it) and drop its keyslot here."""
    remaining = [t for t in head.body.tokens if t.token_id != target]
    in_chain = len(remaining) < len(head.body.tokens)
    slots = [s for s in vault.list_slots(profile.keyslots) if s.public_key is not None]
    keys = [s.public_key for s in slots if s.public_key is not None]
    mine = [s for s, k in zip(slots, keys, strict=True) if token_id(k) == target]
    if not in_chain and not mine:
        raise IdentityError("This key is not one of your keys.")
    if in_chain and not remaining:
        raise LastTokenSlot(
            "This is your identity's only security key; it cannot be removed. "
            "Add a spare key first."
        )
    if mine and len(slots) == len(mine):
        raise LastTokenSlot(
            "This is the only key that unlocks Keybound on this computer; it cannot be "
            "removed here. Add a spare key first."
        )
    chain_keys = [t.public_key for t in head.body.tokens]
    usable = [k for k in keys if k in chain_keys] if in_chain else keys
    token = source.open(_Asking(prompter, PURPOSE_REMOVE), usable)
    try:
        signed = None
        if in_chain:
            signed = account.sign_document(token, build_next(head, now, tokens=remaining))
        master_key = vault.unlock_with_token(profile.keyslots, token)
        for slot in mine:
            vault.remove_token(profile.keyslots, master_key, slot.id)
        del master_key
        registry = CredentialRegistry(profile.root)
        for key in registry.credentials():
            if token_id(key) == target:  # else it would still be offered for unlocking
                registry.remove(key)
        return signed
    finally:
        token.close()


def _present(source: TokenSource, keys: Sequence[PublicKey]) -> set[bytes]:
    """Token IDs of ``keys`` plugged in now (no PIN asked)."""
    found: set[bytes] = set()
    for key in keys:
        try:
            token = source.open(RefusingPrompter(), [key])
        except KeyboundError:
            continue
        try:
            if token.public_key() == key:
                found.add(token_id(key))
        except KeyboundError:
            pass
        finally:
            token.close()
    return found


def _change_pin(
    source: TokenSource, keys: Sequence[PublicKey], old: str, new: str, kind: PinKind
) -> None:
    token = source.open(RefusingPrompter(), keys)
    try:
        token.change_pin(old, new, kind)
    finally:
        token.close()


def _unlock_vault(profile: Profile, source: TokenSource, prompter: Prompter) -> MasterKey:
    token = source.open(_Asking(prompter, PURPOSE_RECOVERY), account.known_keys(profile))
    try:
        return vault.unlock_with_token(profile.keyslots, token)
    finally:
        token.close()


# --- the event loop ---------------------------------------------------------------------------

PUBLISH_WAIT_S = 10.0  # how long an online change waits for the relay before telling contacts


async def publish_own(s: Session, docs: list[SignedDocument], signed: SignedDocument) -> None:
    """Take in our grown chain, publish it, and hint every contact and our other devices
    to fetch it (their view of our keys changes, so they are asked to re-verify).

    The hint waits (a little, while online) until the relay holds the new version:
    a contact that fetched before would get the old chain and let the hint go."""
    update = await s.db.run(s.accept_own, [*docs, signed])
    await s.chain_events(update)
    s.wake.publish.set()
    if s.online:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PUBLISH_WAIT_S
        while loop.time() < deadline:
            published = await s.db.run(s.core.get_setting, cfg.PUBLISHED_VERSION, -1)
            if isinstance(published, int) and published >= signed.version:
                break
            await asyncio.sleep(0.05)
    await s.after(await s.db.run(actions.announce_devices, s.core, False))


class KeyAdmin:
    """The Messenger's keys: one per Messenger; holds only a pending recovery code."""

    def __init__(
        self, profile: Profile, prompter: Prompter, options: Options, worker: TokenWorker
    ) -> None:
        self._profile, self._prompter, self._options = profile, prompter, options
        self._worker = worker
        self._pending: RecoveryCode | None = None

    def forget(self) -> None:
        """Drop a recovery code shown but not confirmed (on lock)."""
        self._pending = None

    async def _head(self, s: Session) -> list[SignedDocument]:
        return await s.db.run(s.core.book.documents, s.core.own_id)

    async def _publish(
        self, s: Session, docs: list[SignedDocument], signed: SignedDocument
    ) -> None:
        await publish_own(s, docs, signed)

    async def tokens(self, s: Session) -> list[IdentityToken]:
        docs = await self._head(s)
        head = docs[-1].body.tokens
        added: dict[bytes, int] = {}
        for doc in docs:
            for t in doc.body.tokens:
                added.setdefault(t.token_id, doc.body.created)
        slots = await asyncio.to_thread(vault.list_slots, self._profile.keyslots)
        in_vault = {token_id(s.public_key): s for s in slots if s.public_key is not None}
        keys = [t.public_key for t in head] + [
            s.public_key for s in slots
            if s.public_key is not None and token_id(s.public_key) not in added
        ]  # fmt: skip
        present = await self._worker.run(_present, self._options.tokens, keys)
        listed = {t.token_id for t in head}
        result = []
        for key in keys:
            tid = token_id(key)
            slot = in_vault.get(tid)
            entry = next((t for t in head if t.token_id == tid), None)
            result.append(
                IdentityToken(
                    tid, kind_of(key),
                    entry.label if entry and entry.label else _kind_words(kind_of(key)),
                    added.get(tid, slot.created if slot else 0), tid in listed,
                    slot is not None, tid in present,
                )
            )  # fmt: skip
        return result

    async def add(self, s: Session, spare: TokenSource | None) -> bytes:
        docs = await self._head(s)
        head = docs[-1]
        source = spare or SpareTokens()
        if isinstance(source, SpareTokens):
            # not a key that is here already; a key of the identity added on another
            # computer counts as new here (it only gets a keyslot)
            here = await asyncio.to_thread(account.known_keys, self._profile)
            source.exclude = [t.public_key for t in head.body.tokens if t.public_key in here]
            source.credentials = CredentialRegistry(self._profile.root).credentials()
        result = await self._worker.run(
            _add_spare, self._profile, self._options.tokens, source, self._prompter, head,
            self._options.env.now_s(),
        )  # fmt: skip
        if result.document is not None:
            await self._publish(s, docs, result.document)
            return token_id(result.document.body.tokens[-1].public_key)
        assert result.slot is not None and result.slot.public_key is not None
        return token_id(result.slot.public_key)

    async def remove(self, s: Session, target: bytes) -> None:
        docs = await self._head(s)
        signed = await self._worker.run(
            _remove, self._profile, self._options.tokens, self._prompter, docs[-1], target,
            self._options.env.now_s(),
        )  # fmt: skip
        if signed is not None:
            await self._publish(s, docs, signed)

    async def change_pin(
        self, s: Session, old: str, new: str, target: bytes | None, kind: PinKind
    ) -> None:
        docs = await self._head(s)
        keys = [t.public_key for t in docs[-1].body.tokens if target in (None, t.token_id)] or [
            k for k in account.known_keys(self._profile) if target in (None, token_id(k))
        ]
        if not keys:
            raise IdentityError("This key is not one of your keys.")
        await self._worker.run(_change_pin, self._options.tokens, keys, old, new, kind)

    async def new_recovery_code(self, s: Session) -> str:
        known = await asyncio.to_thread(account.known_keys, self._profile)
        present = await self._worker.run(_present, self._options.tokens, known)
        if not present:
            raise TokenNotFound(
                "Plug in one of your security keys first: replacing the recovery code needs it."
            )
        self._pending = RecoveryCode.generate()
        return self._pending.text()

    async def confirm_recovery_code(self, s: Session, typed: str) -> None:
        pending = self._pending
        if pending is None:
            raise RecoveryCodeNotConfirmed(
                "There is no new recovery code to confirm; make a new one first."
            )
        code = parse_recovery_code(typed)
        if not hmac.compare_digest(code.text(), pending.text()):
            raise RecoveryCodeNotConfirmed(
                "That is not the new recovery code shown; check what you wrote down. "
                "The old code still works."
            )
        master_key = await self._worker.run(
            _unlock_vault, self._profile, self._options.tokens, self._prompter
        )
        # Argon2id for the new slot: off the token thread and the event loop
        await asyncio.to_thread(
            vault.replace_recovery_code, self._profile.keyslots, master_key,
            cost=self._options.recovery_cost, code=pending,
        )  # fmt: skip
        del master_key
        self._pending = None


def _kind_words(kind: TokenKind) -> str:
    return "OpenPGP card" if kind is TokenKind.OPENPGP else "FIDO2 security key"
