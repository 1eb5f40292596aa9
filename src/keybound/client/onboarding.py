"""The async flows that bring a profile to an unlocked engine: new identity, new
device of an existing identity, and unlocking an existing profile.

Each strings together the synchronous steps of ``account`` on the right
threads (token worker, database thread) and returns an :class:`Opened`: the
database thread with the loaded core, the token used, and for a new vault its
recovery code.  On any failure the database thread is closed again and the
error propagates; the caller releases the profile lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keybound.client import account, actions
from keybound.client import settings as cfg
from keybound.client.core import Core, Effects
from keybound.client.dbthread import DbThread
from keybound.client.identities import decode_documents
from keybound.client.options import LinkRequest, Options
from keybound.client.profile import Profile
from keybound.client.tls_pin import MemoryPinStore, normalize_fingerprint
from keybound.identity.chain import verify_chain
from keybound.identity.document import token_id
from keybound.store.keys import MasterKey
from keybound.store.vault import unlock_with_recovery_code
from keybound.token.base import EnrollOptions, PublicKey, TokenRef
from keybound.token.prompter import Prompter
from keybound.token.worker import TokenWorker


@dataclass
class Opened:
    db: DbThread
    core: Core
    token: TokenRef | None  # None: opened with the recovery code
    recovery_code: str = ""
    effects: Effects = field(default_factory=Effects)


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
) -> Opened:
    """Token -> vault -> database -> device keys -> genesis signed by the token."""
    account.refuse_existing(profile)
    token = await worker.run(opts.tokens.open, prompter, [])
    db: DbThread | None = None
    try:
        public = await worker.run(account.adopt_token, token, enroll, profile)
        master_key, code = await worker.run(account.new_vault, profile, token, opts.recovery_cost)
        db = DbThread()
        database = await db.run(
            account.open_database, profile, master_key, create=True, secure=opts.memory_security
        )
        draft = await db.run(
            account.draft_device, database, master_key, opts.env, b"", token_id(public), relay_url
        )
        genesis = account.genesis_for(public, account.token_label(token), draft, opts.env)
        signed = await worker.run(account.sign_document, token, genesis)
        core = await db.run(
            account.install, draft, [signed], opts.env, relay_url=relay_url,
            display_name=display_name, device_name=device_name,
        )  # fmt: skip
        await db.run(_store_tls, core, tls_pin)
        return Opened(db, core, token.ref, code)
    except BaseException:
        if db is not None:
            db.close()
        raise
    finally:
        await worker.run(token.close)


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
) -> Opened:
    """Find our identity by the token, make a device, sign it into the chain's next
    version with the token, and queue the news for our other devices."""
    account.refuse_existing(profile)
    token = await worker.run(opts.tokens.open, prompter, [])
    db: DbThread | None = None
    try:
        public = await worker.run(account.adopt_token, token, None, profile)
        raw, seen_pin = await _fetch_own_chain(opts, relay_url, tls_pin, public, identity_id)
        if tls_pin is True and seen_pin:
            tls_pin = seen_pin  # trusted on first use just now: keep that certificate
        docs = decode_documents(raw)
        verified = verify_chain(docs, None, opts.env.now_s())
        account.check_token_in(verified, public)
        if identity_id is None:  # found by the token alone: make sure it is really ours
            account.check_token_signed(docs, public)
        master_key, code = await worker.run(account.new_vault, profile, token, opts.recovery_cost)
        db = DbThread()
        database = await db.run(
            account.open_database, profile, master_key, create=True, secure=opts.memory_security
        )
        draft = await db.run(
            account.draft_device, database, master_key, opts.env, verified.identity_id,
            verified.root_token, relay_url,
        )  # fmt: skip
        unsigned = account.next_with_device(verified.head_document, draft, opts.env)
        signed = await worker.run(account.sign_document, token, unsigned)
        core = await db.run(
            account.install, draft, [*docs, signed], opts.env, relay_url=relay_url,
            display_name="", device_name=device_name,
        )  # fmt: skip
        await db.run(_store_tls, core, tls_pin)
        effects = await db.run(actions.announce_devices, core, False)
        return Opened(db, core, token.ref, code, effects)
    except BaseException:
        if db is not None:
            db.close()
        raise
    finally:
        await worker.run(token.close)


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


async def _fetch_own_chain(
    opts: Options,
    relay_url: str,
    tls_pin: str | bool,
    public: PublicKey,
    identity_id: bytes | None,
) -> tuple[list[bytes], str | None]:
    """Our identity's chain, over an anonymous link (this device has no keys yet),
    and the relay certificate's fingerprint if it was pinned on this first use."""
    pins = None
    if tls_pin is not False:
        pins = MemoryPinStore(tls_pin if isinstance(tls_pin, str) else None)
    link = opts.link_factory(LinkRequest(relay_url, None, None, pins))
    ignore: Callable[..., Any] = _ignore
    await link.start(ignore, lambda _status: None, ignore)
    try:
        if identity_id is not None:
            raw = await link.fetch_identity(identity_id)
        else:
            raw = await link.find_identity(token_id(public))
        return raw, pins.get_pin() if pins is not None else None
    finally:
        await link.close()


async def _ignore(*_: object) -> None:
    return None
