"""The async flows that bring a profile to an unlocked engine: new identity, new
device of an existing identity, and unlocking an existing profile.

Each strings together the synchronous steps of ``account`` on the right
threads (token worker, database thread) and returns an :class:`Opened`: the
database thread with the loaded core, the token used, and for a new vault its
recovery code.  On any failure the database thread is closed again and the
error propagates; the caller releases the profile lock.

Creating and joining first check the relay (``relay_probe``), build the
account aside and move it into place at the end (``staging``), and ask each
PIN once (``pin_memory``).  Creating on a token that already has keys asks
the relay whether the token signed an identity there, and refuses with
``TokenHasIdentity`` (offer to join instead).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keybound.client import account, actions, staging
from keybound.client import settings as cfg
from keybound.client.core import Core, Effects
from keybound.client.dbthread import DbThread
from keybound.client.identities import decode_documents
from keybound.client.options import LinkRequest, Options
from keybound.client.pin_memory import RememberingPrompter
from keybound.client.profile import Profile
from keybound.client.relay_probe import probe_relay
from keybound.client.tls_pin import MemoryPinStore, normalize_fingerprint
from keybound.errors import NoIdentityForToken, NoKeysOnToken, RelayRefused, TokenHasIdentity
from keybound.identity.chain import verify_chain
from keybound.identity.document import token_id
from keybound.store.database import Database
from keybound.store.keys import MasterKey
from keybound.store.vault import unlock_with_recovery_code
from keybound.token.base import EnrollOptions, PublicKey, Token, TokenRef
from keybound.token.prompter import Prompter, RefusingPrompter
from keybound.token.worker import TokenWorker
from keybound.wire.frames import ErrorCode


@dataclass
class Opened:
    db: DbThread
    core: Core
    token: TokenRef | None  # None: opened with the recovery code
    recovery_code: str = ""
    effects: Effects = field(default_factory=Effects)


class SetupStep(enum.IntEnum):
    """Where a create or join flow is, for a progress display (in this order)."""

    CHECKING_RELAY = 1
    PREPARING_TOKEN = 2  # create: keys made on a blank token (or the existing ones read)
    FINDING_IDENTITY = 3  # join: the token's identity fetched from the relay
    MAKING_VAULT = 4  # the token unlocks the new vault; the encrypted history is made
    SIGNING = 5  # the token signs the identity document
    FINISHING = 6  # the account moves into the profile


Progress = Callable[[SetupStep], None]


def _report(progress: Progress | None, step: SetupStep) -> None:
    if progress is not None:
        progress(step)


async def create(
    profile: Profile,
    worker: TokenWorker,
    prompter: Prompter,
    opts: Options,
    *,
    relay_url: str,
    display_name: str,
    device_name: str,
    enroll: EnrollOptions | None,
    tls_pin: str | bool,
    pin: str | None = None,
    progress: Progress | None = None,
) -> Opened:
    """Relay check -> token -> vault -> database -> device keys -> genesis signed by the
    token, all built aside (``staging``) and moved into the profile at the end."""
    aside = staging.prepare(profile)
    db: DbThread | None = None
    try:
        _report(progress, SetupStep.CHECKING_RELAY)
        tls_pin = await _check_relay(relay_url, tls_pin)
        asking = RememberingPrompter.for_enrollment(prompter, enroll, pin)
        token = await worker.run(opts.tokens.open, asking, [])
        try:
            had_keys = await worker.run(_has_keys, token)
            _report(progress, SetupStep.PREPARING_TOKEN)
            public = await worker.run(account.adopt_token, token, enroll, profile)
            if had_keys:  # a used token: make sure it is not someone's identity already
                await _refuse_known_identity(opts, relay_url, tls_pin, public)
            _report(progress, SetupStep.MAKING_VAULT)
            master_key, code = await worker.run(account.new_vault, aside, token, opts.recovery_cost)
            db = DbThread()
            database = await db.run(
                account.open_database, aside, master_key, create=True, secure=opts.memory_security
            )
            draft = await db.run(
                account.draft_device, database, master_key, opts.env, b"", token_id(public),
                relay_url,
            )  # fmt: skip
            genesis = account.genesis_for(public, account.token_label(token), draft, opts.env)
            _report(progress, SetupStep.SIGNING)
            signed = await worker.run(account.sign_document, token, genesis)
            ref = token.ref
        finally:
            await worker.run(token.close)
        core = await db.run(
            account.install, draft, [signed], opts.env, relay_url=relay_url,
            display_name=display_name, device_name=device_name,
        )  # fmt: skip
        await db.run(_store_tls, core, tls_pin)
        _report(progress, SetupStep.FINISHING)
        core = await _move_into_place(db, database, aside, profile, master_key, opts)
        return Opened(db, core, ref, code)
    except BaseException:
        if db is not None:
            db.close()
        staging.discard(aside)
        raise


async def join(
    profile: Profile,
    worker: TokenWorker,
    prompter: Prompter,
    opts: Options,
    *,
    relay_url: str,
    device_name: str,
    identity_id: bytes | None,
    tls_pin: str | bool,
    pin: str | None = None,
    progress: Progress | None = None,
) -> Opened:
    """Find our identity by the token, make a device, sign it into the chain's next
    version with the token, and queue the news for our other devices (built aside,
    moved into place at the end, like :func:`create`)."""
    aside = staging.prepare(profile)
    db: DbThread | None = None
    try:
        _report(progress, SetupStep.CHECKING_RELAY)
        tls_pin = await _check_relay(relay_url, tls_pin)
        asking = RememberingPrompter.for_enrollment(prompter, None, pin)
        token = await worker.run(opts.tokens.open, asking, [])
        try:
            _report(progress, SetupStep.FINDING_IDENTITY)
            public = await worker.run(account.adopt_token, token, None, profile)
            raw = await _fetch_own_chain(opts, relay_url, tls_pin, public, identity_id)
            if identity_id is None and not raw:
                raise NoIdentityForToken()
            docs = decode_documents(raw)
            verified = verify_chain(docs, None, opts.env.now_s())
            account.check_token_in(verified, public)
            if identity_id is None:  # found by the token alone: make sure it is really ours
                account.check_token_signed(docs, public)
            _report(progress, SetupStep.MAKING_VAULT)
            master_key, code = await worker.run(account.new_vault, aside, token, opts.recovery_cost)
            db = DbThread()
            database = await db.run(
                account.open_database, aside, master_key, create=True, secure=opts.memory_security
            )
            draft = await db.run(
                account.draft_device, database, master_key, opts.env, verified.identity_id,
                verified.root_token, relay_url,
            )  # fmt: skip
            unsigned = account.next_with_device(verified.head_document, draft, opts.env)
            _report(progress, SetupStep.SIGNING)
            signed = await worker.run(account.sign_document, token, unsigned)
            ref = token.ref
        finally:
            await worker.run(token.close)
        core = await db.run(
            account.install, draft, [*docs, signed], opts.env, relay_url=relay_url,
            display_name="", device_name=device_name,
        )  # fmt: skip
        await db.run(_store_tls, core, tls_pin)
        effects = await db.run(actions.announce_devices, core, False)
        _report(progress, SetupStep.FINISHING)
        core = await _move_into_place(db, database, aside, profile, master_key, opts)
        return Opened(db, core, ref, code, effects)
    except BaseException:
        if db is not None:
            db.close()
        staging.discard(aside)
        raise


async def unlock(
    profile: Profile, worker: TokenWorker, prompter: Prompter, opts: Options
) -> Opened:
    """Open the vault with whichever enrolled token is present, then the history."""
    master_key, ref = await worker.run(account.unlock, profile, opts.tokens, prompter)
    return await _open_history(profile, master_key, ref, opts)


async def unlock_with_recovery(profile: Profile, code: str, opts: Options) -> Opened:
    """Open the vault with the recovery code ("lost your key?"), then the history.

    The Argon2id work runs off the event loop; a mistyped or wrong code raises
    ``RecoveryCodeMistyped`` / ``WrongRecoveryCode`` and opens nothing.
    """
    master_key = await asyncio.to_thread(unlock_with_recovery_code, profile.keyslots, code)
    return await _open_history(profile, master_key, None, opts)


async def _open_history(
    profile: Profile, master_key: MasterKey, ref: TokenRef | None, opts: Options
) -> Opened:
    db = DbThread()
    try:
        database = await db.run(
            account.open_database, profile, master_key, create=False, secure=opts.memory_security
        )
        core = await db.run(account.load_core, database, master_key, opts.env)
    except BaseException:
        db.close()
        raise
    return Opened(db, core, ref)


def _store_tls(core: Core, tls_pin: str | bool) -> None:
    if tls_pin is False:
        return
    core.set_setting(cfg.TLS_PINNED, True)
    if isinstance(tls_pin, str):
        core.set_setting(cfg.TLS_PIN, normalize_fingerprint(tls_pin))


async def _check_relay(relay_url: str, tls_pin: str | bool) -> str | bool:
    """Check the relay before anything is made; what to pin (its fingerprint, or False)."""
    probe = await probe_relay(relay_url, tls_pin)
    return probe.tls_pin if tls_pin is not False else False


def _has_keys(token: Token) -> bool:
    try:
        token.public_key()
    except NoKeysOnToken:
        return False
    return True


async def _move_into_place(
    db: DbThread,
    database: Database,
    aside: Profile,
    profile: Profile,
    master_key: MasterKey,
    opts: Options,
) -> Core:
    """Close the staged history, move the account into the profile, open it there."""
    await db.run(database.close)
    staging.commit(aside, profile)
    moved = await db.run(
        account.open_database, profile, master_key, create=False, secure=opts.memory_security
    )
    return await db.run(account.load_core, moved, master_key, opts.env)


async def _refuse_known_identity(
    opts: Options, relay_url: str, tls_pin: str | bool, public: PublicKey
) -> None:
    """``TokenHasIdentity`` when the relay knows an identity this token signed."""
    found = await _identity_signed_by(opts, relay_url, tls_pin, public)
    if found is not None:
        raise TokenHasIdentity(found)


async def token_identity(
    worker: TokenWorker, opts: Options, relay_url: str, tls_pin: str | bool
) -> bytes | None:
    """The identity the token of ``opts.tokens`` signed on this relay, or None.

    Needs no PIN (reading a public key), so a wizard can offer "add this
    computer" before asking for anything.  ``tls_pin``: the checked relay's pin.
    """
    token = await worker.run(opts.tokens.open, RememberingPrompter(RefusingPrompter()), [])
    try:
        public = await worker.run(_public_or_none, token)
    finally:
        await worker.run(token.close)
    if public is None:
        return None
    return await _identity_signed_by(opts, relay_url, tls_pin, public)


async def _identity_signed_by(
    opts: Options, relay_url: str, tls_pin: str | bool, public: PublicKey
) -> bytes | None:
    raw = await _fetch_own_chain(opts, relay_url, tls_pin, public, None)
    if not raw:
        return None
    docs = decode_documents(raw)
    verified = verify_chain(docs, None, opts.env.now_s())
    if any(doc.signer == token_id(public) for doc in docs):
        return verified.identity_id
    return None


def _public_or_none(token: Token) -> PublicKey | None:
    try:
        return token.public_key()
    except NoKeysOnToken:
        return None


async def _fetch_own_chain(
    opts: Options,
    relay_url: str,
    tls_pin: str | bool,
    public: PublicKey,
    identity_id: bytes | None,
) -> list[bytes]:
    """Our identity's chain, over an anonymous link (this device has no keys yet)."""
    pins = None
    if tls_pin is not False:
        pins = MemoryPinStore(tls_pin if isinstance(tls_pin, str) else None)
    link = opts.link_factory(LinkRequest(relay_url, None, None, pins))
    ignore: Callable[..., Any] = _ignore
    await link.start(ignore, lambda _status: None, ignore)
    try:
        if identity_id is not None:
            return await link.fetch_identity(identity_id)
        try:
            return await link.find_identity(token_id(public))
        except RelayRefused as exc:
            if exc.code == ErrorCode.NOT_FOUND:
                return []  # the relay knows no identity of this token
            raise
    finally:
        await link.close()


async def _ignore(*_: object) -> None:
    return None
