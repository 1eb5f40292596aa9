"""Making and opening an account: token, vault, history database, device, identity.

The steps are synchronous and run where they must: token calls on the token
worker thread, database and protocol work on the database thread.  The
messenger strings them together (``Messenger.create_account``, ``join_account``,
``open``); each step here does one thing so that a failure leaves a clear state.

Order for a new identity: the device's Olm keys come first; the genesis
document certifies them and is signed by the token; its hash is the identity
ID; only then is the protocol machine loaded under that ID.  A second device
of an identity makes its keys under the known ID and is signed into the
chain's next version by a token already in it.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass, replace

from keybound.client import settings as cfg
from keybound.client.core import Core
from keybound.client.env import Environment
from keybound.client.identities import IdentityBook
from keybound.client.profile import Profile
from keybound.client.tokens import TokenSource
from keybound.errors import (
    HistoryDamaged,
    HistoryUnreadable,
    NoKeysOnToken,
    ProfileError,
    WrongToken,
)
from keybound.identity.chain import VerifiedIdentity
from keybound.identity.document import (
    PQ_HYBRID_V1,
    DeviceCertificate,
    SignedDocument,
    TokenEntry,
    UnsignedDocument,
    attach_signature,
    build_genesis,
    build_next,
    certify_device,
    signing_bytes,
    token_id,
)
from keybound.protocol.dedup import KIND_PENDING, KIND_SEEN
from keybound.protocol.machine import Machine
from keybound.protocol.megolm import KIND_INBOUND, KIND_OUTBOUND
from keybound.protocol.olm import KIND_ACCOUNT, KIND_SESSION
from keybound.protocol.pq.layer import PQ_KINDS
from keybound.protocol.state import StateChange
from keybound.store import repair
from keybound.store.database import Database
from keybound.store.keys import KeyPurpose, MasterKey
from keybound.store.keyslots import RecoveryCost
from keybound.store.repository import Repository
from keybound.store.vault import create_vault, list_slots, unlock_with_token
from keybound.token.base import EnrollOptions, PublicKey, Token, TokenKind, TokenRef
from keybound.token.prompter import Prompter
from keybound.token.registry import CredentialRegistry

STATE_KINDS = (
    *(KIND_ACCOUNT, KIND_SESSION, KIND_OUTBOUND, KIND_INBOUND, KIND_SEEN, KIND_PENDING),
    *PQ_KINDS,
)
DEVICE_ID_SIZE = 16


def default_device_name() -> str:
    return (platform.node() or "computer")[:64]


# --- token worker thread -------------------------------------------------------------------


def adopt_token(token: Token, enroll: EnrollOptions | None, profile: Profile) -> PublicKey:
    """The token's signing key; create it on a blank token when ``enroll`` says how."""
    try:
        public = token.public_key()
    except NoKeysOnToken:
        if enroll is None:
            raise
        public = token.enroll(enroll)
    if public.scheme.value.startswith("fido2"):
        CredentialRegistry(profile.root).add(public)  # FIDO2 cannot tell us its key again
    return public


def new_vault(profile: Profile, token: Token, cost: RecoveryCost) -> tuple[MasterKey, str]:
    master_key, code = create_vault(profile.keyslots, token, cost=cost)
    return master_key, code.text()


def known_keys(profile: Profile) -> list[PublicKey]:
    """The signing keys of the tokens enrolled in this profile's vault."""
    keys = [s.public_key for s in list_slots(profile.keyslots) if s.public_key is not None]
    registered = CredentialRegistry(profile.root).credentials()
    return keys + [k for k in registered if k not in keys]


def unlock(profile: Profile, source: TokenSource, prompter: Prompter) -> tuple[MasterKey, TokenRef]:
    """Open the vault with whichever enrolled token is present (asks for its PIN)."""
    token = source.open(prompter, known_keys(profile))
    try:
        return unlock_with_token(profile.keyslots, token), token.ref
    finally:
        token.close()


def sign_document(token: Token, doc: UnsignedDocument) -> SignedDocument:
    public = token.public_key()
    return attach_signature(doc, public, token.sign(signing_bytes(doc)))


def sign_with_present_token(
    source: TokenSource, prompter: Prompter, tokens: Sequence[TokenEntry], doc: UnsignedDocument
) -> SignedDocument:
    """Sign ``doc`` with whichever token of the identity is plugged in."""
    token = source.open(prompter, [t.public_key for t in tokens])
    try:
        return sign_document(token, doc)
    finally:
        token.close()


def token_label(token: Token) -> str:
    """The label written into the public identity chain: the token's kind only.

    The chain is public (the relay stores it, contacts fetch it), so it carries
    no serial number and nothing a person typed.
    """
    return "OpenPGP card" if token.ref.kind == TokenKind.OPENPGP else "FIDO2 security key"


def check_token_in(verified: VerifiedIdentity, public: PublicKey) -> None:
    if token_id(public) not in verified.token_ids:
        raise WrongToken("This security key does not belong to that identity.")


def check_token_signed(documents: Sequence[SignedDocument], public: PublicKey) -> None:
    """Refuse an identity that merely lists our token without the token ever signing it.

    In an older chain (identity format 1) adding a token needed no signature
    from that token, so anyone could list someone else's key in their own
    identity; a relay answering ``find_identity`` could hand such a chain to a
    joining device, which would then sign itself into a stranger's identity.
    A chain our token has signed (or, format 2, co-signed when it was added)
    is ours.  A spare token listed by a format-1 document without ever signing
    needs the identity named explicitly (``--identity``, from one's own invite).
    """
    tid = token_id(public)
    if all(
        doc.signer != tid and all(c.signer != tid for c in doc.cosignatures) for doc in documents
    ):
        raise WrongToken(
            "This security key is listed in an identity it has never signed. If it is yours, "
            "join again with --identity ID (the identity ID `keybound init` printed)."
        )


# --- database thread ---------------------------------------------------------------------


@dataclass
class Draft:
    """A device being set up: database open, keys made, not yet in an identity chain."""

    db: Database
    machine: Machine
    changes: list[StateChange]
    device_id: bytes
    certificate: DeviceCertificate
    pickle_key: bytes


def open_database(
    profile: Profile, master_key: MasterKey, *, create: bool, secure: bool
) -> Database:
    """The history; if it does not open although a keyslot did (so the key is right),
    the pages are checked one by one to say which part is damaged."""
    key = master_key.derive(KeyPurpose.SQLCIPHER)
    try:
        return Database.open(profile.history, key, create=create, memory_security=secure)
    except HistoryUnreadable:
        if create or not profile.history.exists() or profile.history.stat().st_size == 0:
            raise
        damage = repair.scan(profile.history, key)
        if damage.damaged and not damage.wrong_key:
            raise HistoryDamaged(damage.describe()) from None
        raise


def draft_device(
    db: Database,
    master_key: MasterKey,
    env: Environment,
    identity_id: bytes,
    root_token: bytes,
    relay_url: str,
) -> Draft:
    """New Olm keys, and a certificate for them self-signed under ``root_token``."""
    device_id = env.random(DEVICE_ID_SIZE)
    pickle_key = master_key.derive(KeyPurpose.PICKLE)
    machine, changes = Machine.create(
        identity_id, device_id, lambda _: [], pickle_key, random=env.random
    )
    keys = machine.device_keys
    # The device's name (by default the host name, which often names its owner)
    # stays in the local settings; the certificate goes into the public chain.
    unsigned = DeviceCertificate(
        device_id, keys.curve25519, keys.ed25519, relay_url, env.now_s(), pq=PQ_HYBRID_V1
    )
    cert = certify_device(root_token, unsigned, machine.sign)
    return Draft(db, machine, changes, device_id, cert, pickle_key)


def genesis_for(public: PublicKey, label: str, draft: Draft, env: Environment) -> UnsignedDocument:
    return build_genesis([TokenEntry(public, label)], [draft.certificate], env.now_s())


def next_with_device(head: SignedDocument, draft: Draft, env: Environment) -> UnsignedDocument:
    return build_next(head, env.now_s(), devices=[*head.body.devices, draft.certificate])


def install(
    draft: Draft,
    chain: Sequence[SignedDocument],
    env: Environment,
    *,
    relay_url: str,
    display_name: str,
    device_name: str,
) -> Core:
    """Pin our own chain, store the device and its keys and the settings: one commit."""
    repo = Repository(draft.db)
    book = IdentityBook()
    now = env.now_ms()
    update = book.accept(repo, chain, env.now_s(), now, is_self=True, display_name=display_name)
    identity_id = update.identity_id
    with draft.db.transaction():
        device = next(d for d in repo.devices(identity_id) if d.device_id == draft.device_id)
        repo.upsert_device(replace(device, is_current=True))
        repo.apply_state_changes(draft.changes)
        cfg.put(repo, cfg.RELAY_URL, relay_url)
        cfg.put(repo, cfg.DISPLAY_NAME, display_name)
        cfg.put(repo, cfg.DEVICE_NAME, device_name)
    machine = Machine.load(
        identity_id,
        draft.device_id,
        draft.changes,
        book.lookup,
        draft.pickle_key,
        random=env.random,
        processed=repo.is_processed,
    )
    return Core(draft.db, machine, book, env, identity_id, draft.device_id)


def load_core(db: Database, master_key: MasterKey, env: Environment) -> Core:
    """Everything the engine keeps, from an open database."""
    repo = Repository(db)
    own = repo.own_identity()
    device = repo.current_device()
    if own is None or device is None:
        raise ProfileError("This profile's history has no account in it (setup did not finish).")
    with db.transaction():
        cfg.migrate(repo)  # older settings in today's form, before Core reads them
    book = IdentityBook()
    book.load(repo, env.now_s())
    records = [
        StateChange(kind, key, value)
        for kind in STATE_KINDS
        for key, value in repo.crypto_states(kind).items()
    ]
    machine = Machine.load(
        own.identity_id,
        device.device_id,
        records,
        book.lookup,
        master_key.derive(KeyPurpose.PICKLE),
        random=env.random,
        processed=repo.is_processed,
    )
    return Core(db, machine, book, env, own.identity_id, device.device_id)
