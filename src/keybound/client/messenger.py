"""The Messenger: the one object the GUI and the CLI drive.

One Messenger holds one profile (its lock) for its whole life.  While
unlocked it runs a :class:`~keybound.client.session.Session` (database thread,
engine core, relay link, background tasks); locking (on request, when idle,
when the token is pulled out) stops the session: the link closes, the
database closes, the keys are dropped, and the outbox waits on disk for the
next unlock.  Every coroutine here runs on the event loop and never blocks
it: database and protocol work runs on the database thread, token calls on
the token worker thread.

Methods that need the history raise :class:`~keybound.errors.EngineLocked`
while locked.  Events: ``stream = messenger.events()`` then ``async for``.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from keybound.backup.keys import BackupKey
from keybound.backup.values import BackupInfo, RestoreSummary
from keybound.client import (
    account,
    actions,
    chatview,
    contacts,
    device_seen,
    identity_alerts,
    onboarding,
    pq_upgrade,
    relay_change,
    requests,
    token_admin,
    verification,
)
from keybound.client import attachments as files
from keybound.client import backups as bk
from keybound.client import contact_details as details
from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.aio import sentence
from keybound.client.conversations import direct_id, ensure_direct
from keybound.client.identities import decode_documents
from keybound.client.link import LinkState, LinkStatus
from keybound.client.onboarding import Opened
from keybound.client.options import LinkFactory, LinkRequest, Options, websocket_link
from keybound.client.outbox import advance
from keybound.client.presence import PresenceWatch
from keybound.client.profile import Profile
from keybound.client.receiving import RUNNING, ReceivingState
from keybound.client.relay_probe import RelayProbe, probe_relay
from keybound.client.requests import RequestInfo
from keybound.client.session import Session
from keybound.client.stream import EventStream, broadcast
from keybound.client.thumbnails import make_thumbnail
from keybound.client.tokens import PresentTokens, TokenSource
from keybound.client.values import (
    ATTACHMENT,
    Attachment,
    AttachmentState,
    ContactInfo,
    ConversationSummary,
    DeviceInfo,
    IdentityAlert,
    LockReason,
    Message,
    MessageStatus,
    Reaction,
    Receipt,
    RelayInfo,
    Role,
    SearchHit,
)
from keybound.errors import (
    EmptyMessage,
    EngineLocked,
    IdentityError,
    KeyboundError,
    MessageTooLong,
    ProfileError,
    RelayRefused,
    RelayUnavailable,
    TamperedInvite,
    UnknownMessage,
    UserFacingError,
)
from keybound.identity.document import SignedDocument, build_next
from keybound.identity.fingerprint import Invite, encode_qr, parse_invite
from keybound.protocol import content as c
from keybound.store.lock import ProfileLock
from keybound.token.base import EnrollOptions, PinKind, TokenRef, Transport
from keybound.token.discovery import open_token
from keybound.token.pcsc import card_present
from keybound.token.prompter import Prompter
from keybound.token.worker import TokenWorker
from keybound.wire.frames import DeviceAddress, ErrorCode
from keybound.wire.frames import Outgoing as WireOutgoing

__all__ = [
    "EventStream",
    "LinkFactory",
    "LinkRequest",
    "Messenger",
    "Options",
    "websocket_link",
]


class Messenger:
    """One profile: create/open it, lock/unlock it, and everything a person does."""

    def __init__(
        self, profile: Profile, prompter: Prompter, options: Options, lock: ProfileLock,
        worker: TokenWorker,
    ) -> None:  # fmt: skip
        """Use :meth:`create_account`, :meth:`join_account` or :meth:`open`."""
        self.profile = profile
        self._prompter = prompter
        self._options = options
        self._env = options.env
        self._lock = lock
        self._worker = worker
        self._owns_worker = options.token_worker is None
        self._session: Session | None = None
        self._streams: list[EventStream] = []
        self._lifecycle = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._last_activity = self._env.now_ms()
        self._closed = False
        self._pulled: TokenRef | None = None  # the token whose removal locked us
        self.identity_id = b""  # ours, once unlocked the first time
        self.device_id = b""  # this installation's
        self._presence = PresenceWatch(profile, options.tokens, worker, self._presence_changed)
        self._backups = bk.Backups(profile, prompter, options, worker, self._emit)
        self._keys = token_admin.KeyAdmin(profile, prompter, options, worker)

    # === creating, opening, locking ====================================================

    @classmethod
    async def create_account(
        cls,
        profile: Path,
        relay_url: str,
        prompter: Prompter,
        *,
        display_name: str,
        device_name: str | None = None,
        enroll: EnrollOptions | None = None,
        tls_pin: str | bool = False,
        options: Options | None = None,
        pin: str | None = None,
        progress: onboarding.Progress | None = None,
    ) -> tuple[Messenger, str]:
        """A new identity on the present token; returns the Messenger and the recovery
        code (show it once; it is stored nowhere).

        The relay is checked first (``relay_probe``; a ``RelayCheckFailed`` names the
        cause) and the account is built aside and moved into place at the end, so a
        failed setup can simply be run again.  Each PIN is asked once: the PINs in
        ``enroll``, or ``pin`` (a token's PIN the app already asked for), are used for
        every later request of the flow.  ``progress`` hears each ``onboarding.SetupStep``.

        ``enroll``: how to set up a blank token (its PINs); without it a blank token
        is refused (``NoKeysOnToken``).  ``tls_pin``: True to pin a ``--dev-tls``
        relay's certificate on first use, or its fingerprint up front.  The identity
        is published to the relay in the background: see :meth:`wait_online`.
        """
        opts = options or Options()
        prof = Profile(profile)
        prof.ensure()
        name = device_name or account.default_device_name()
        return await cls._begin(
            prof, prompter, opts,
            lambda worker: onboarding.create(
                prof, worker, prompter, opts, relay_url=relay_url, display_name=display_name,
                device_name=name, enroll=enroll, tls_pin=tls_pin, pin=pin,
                progress=progress,
            ),
        )  # fmt: skip

    @classmethod
    async def join_account(
        cls,
        profile: Path,
        relay_url: str,
        prompter: Prompter,
        *,
        identity_id: bytes | None = None,
        device_name: str | None = None,
        tls_pin: str | bool = False,
        options: Options | None = None,
        pin: str | None = None,
        progress: onboarding.Progress | None = None,
    ) -> tuple[Messenger, str]:
        """Make this installation a new device of the identity whose token is plugged in
        (the same token as on the first device, or a spare one of the identity).

        The relay finds the identity by the token, or by ``identity_id`` if given.
        The token signs the new device into the identity chain; our other devices
        then send this one our contacts and tell every contact.  Returns the
        Messenger and this installation's own recovery code.
        """
        opts = options or Options()
        prof = Profile(profile)
        prof.ensure()
        name = device_name or account.default_device_name()
        return await cls._begin(
            prof, prompter, opts,
            lambda worker: onboarding.join(
                prof, worker, prompter, opts, relay_url=relay_url, device_name=name,
                identity_id=identity_id, tls_pin=tls_pin, pin=pin,
                progress=progress,
            ),
        )  # fmt: skip

    @classmethod
    async def open(
        cls, profile: Path, prompter: Prompter, *, options: Options | None = None
    ) -> Messenger:
        """Take the profile (``ProfileInUse`` if another process has it) and unlock it
        with whichever enrolled token is present (asking for its PIN)."""
        opts = options or Options()
        prof = Profile(profile)
        if not prof.exists():
            raise ProfileError(f"There is no Keybound account in {profile}.")
        messenger, _ = await cls._begin(
            prof, prompter, opts, lambda worker: onboarding.unlock(prof, worker, prompter, opts)
        )
        return messenger

    @classmethod
    async def hold(
        cls, profile: Path, prompter: Prompter, *, options: Options | None = None
    ) -> Messenger:
        """Take the profile (``ProfileInUse`` if another process has it) and stay locked.

        For the app: the window holds the profile from the start (so a second
        start finds it through the daemon socket), shows its lock screen, and
        calls :meth:`unlock` or :meth:`unlock_with_recovery` when the person is
        ready; :class:`~keybound.client.events.TokenPresenceChanged` says when
        an enrolled key comes and goes.
        """
        opts = options or Options()
        prof = Profile(profile)
        if not prof.exists():
            raise ProfileError(f"There is no Keybound account in {profile}.")
        lock = ProfileLock.acquire(prof.root)
        messenger = cls(prof, prompter, opts, lock, opts.token_worker or TokenWorker())
        messenger.watch_token_presence()
        return messenger

    @classmethod
    async def _begin(
        cls, prof: Profile, prompter: Prompter, opts: Options, flow: Any
    ) -> tuple[Messenger, str]:
        lock = ProfileLock.acquire(prof.root)
        worker = opts.token_worker or TokenWorker()
        try:
            opened: Opened = await flow(worker)
        except BaseException:
            lock.release()
            if opts.token_worker is None:
                worker.stop()
            raise
        messenger = cls(prof, prompter, opts, lock, worker)
        async with messenger._lifecycle:
            await messenger._start(opened)
        return messenger, opened.recovery_code

    @property
    def locked(self) -> bool:
        return self._session is None

    async def unlock(self) -> None:
        """Unlock with the present token (asks for its PIN through the prompter)."""
        async with self._lifecycle:
            if self._session is None and not self._closed:
                opened = await onboarding.unlock(
                    self.profile, self._worker, self._prompter, self._options
                )
                await self._start(opened)

    async def unlock_with_recovery(self, code: str) -> None:
        """Unlock with the recovery code instead of a token ("lost your key?").

        ``RecoveryCodeMistyped`` names the group with a typo, ``WrongRecoveryCode``
        says it is not this vault's; either way nothing is opened.  A session opened
        this way does not lock when a token is pulled out (none is in use).
        """
        async with self._lifecycle:
            if self._session is None and not self._closed:
                await self._start(
                    await onboarding.unlock_with_recovery(self.profile, code, self._options)
                )

    def watch_token_presence(self) -> None:
        """Report :class:`~keybound.client.events.TokenPresenceChanged` from now on.

        Only for a process that shows it (the app; :meth:`hold` starts it): it
        watches the readers and looks at a card when one arrives, which a
        one-shot command has no use for.  Calling it again does nothing.
        """
        self._presence.start()

    @property
    def token_present(self) -> bool | None:
        """Whether an enrolled token is plugged in (None: not looked yet)."""
        return self._presence.present

    def note_activity(self) -> None:
        """The person did something (typed, clicked): the idle lock starts counting anew."""
        self._last_activity = self._env.now_ms()

    async def probe_token(self) -> bool:
        """Look now whether an enrolled token is plugged in (asks for nothing).

        For a process that does not watch presence (``keybound listen``); the app
        reads :attr:`token_present` instead, which a monitor keeps current.

        After a card was pulled from a PC/SC reader only that reader is looked at,
        first without connecting: polling must not keep opening every card on the
        machine (someone else's, in another reader, may be in use)."""
        pulled, tokens = self._pulled, self._options.tokens

        def probe() -> bool:
            known = account.known_keys(self.profile)
            try:
                if (
                    isinstance(tokens, PresentTokens)
                    and pulled is not None
                    and (pulled.transport is Transport.PCSC)
                ):
                    if not card_present(pulled.reader):
                        return False
                    token = open_token(pulled, self._prompter, known)
                else:
                    token = tokens.open(self._prompter, known)
            except KeyboundError:
                return False
            try:
                return token.public_key() in known or not known
            except KeyboundError:
                return False
            finally:
                token.close()

        return await self._worker.run(probe)

    async def lock(self, reason: LockReason = LockReason.REQUESTED) -> None:
        """Close the history and drop the keys; the outbox waits on disk."""
        async with self._lifecycle:
            session, self._session = self._session, None
            self._keys.forget()
            if session is not None:
                self._backups.cancel_all()
                self._backups.stop_schedule()
                await session.stop()
                self._emit(ev.Locked(reason))

    async def close(self) -> None:
        """Lock, release the profile and end every event stream."""
        if self._closed:
            return
        await self.lock()
        self._closed = True
        await self._presence.stop()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._lock.release()
        if self._owns_worker:
            self._worker.stop()
        for stream in list(self._streams):
            stream.close()

    async def __aenter__(self) -> Messenger:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def events(self) -> EventStream:
        """Subscribe to the engine's events from now on (``async for e in stream``)."""
        return EventStream(self._streams)

    async def wait_online(self, timeout: float) -> None:
        """Until the relay link is authenticated (``RelayUnavailable`` after ``timeout``)."""
        await self._need().relay.wait_online(timeout)

    @property
    def connection(self) -> LinkStatus:
        session = self._session
        if session is None or session.link is None:
            return LinkStatus(LinkState.DISCONNECTED)
        return session.link.status

    @property
    def receiving(self) -> ReceivingState:
        """Whether receiving is paused because the history cannot be written (disk full)."""
        session = self._session
        return RUNNING if session is None else session.receiving.state

    # === contacts =====================================================================

    async def invite(self) -> str:
        """Our ``keybound://invite`` link (relay, identity ID, fingerprint)."""
        s = self._need()
        return await s.db.run(contacts.own_invite_uri, s.core)

    async def invite_qr_payload(self) -> bytes:
        """The invite as QR payload bytes (render them with any QR encoder)."""
        s = self._need()
        invite: Invite = await s.db.run(contacts.own_invite, s.core)
        return encode_qr(invite)

    async def preview_invite(self, invite_uri: str) -> details.InvitePreview:
        """Whose invite this is, checked against the chain the relay holds, before adding.

        ``InvalidInvite`` for a link that cannot be read, ``TamperedInvite`` for one
        whose fingerprint or ID was changed; nothing is stored either way."""
        s = self._need()
        invite = parse_invite(invite_uri)
        await s.db.run(details.check_relay, s.core, invite)
        docs = await self._fetch_invited(s, invite)
        return await s.db.run(details.preview, s.core, invite, docs)

    async def add_contact(self, invite_uri: str, name: str) -> ContactInfo:
        """Fetch the identity the invite names from the relay, verify and pin it."""
        s = self._need()
        invite = parse_invite(invite_uri)
        await s.db.run(contacts.check_new, s.core, invite, name)
        docs = await self._fetch_invited(s, invite)
        cid = direct_id(s.core.own_id, invite.identity_id)
        new = await s.db.run(s.core.repo.conversation, cid) is None
        info, _update = await s.db.run(contacts.add, s.core, invite, docs, name)
        self._emit(ev.ContactAdded(info))
        if new:  # a conversation we start takes the default timer
            await s.act(actions.default_timer, cid)
        s.wake.compose.set()
        return info

    async def _fetch_invited(self, s: Session, invite: Invite) -> list[SignedDocument]:
        try:
            raw = await s.relay.fetch_identity(invite.identity_id)
        except RelayRefused as exc:
            if exc.code == ErrorCode.NOT_FOUND:
                raise TamperedInvite(unknown=True) from None
            raise
        return decode_documents(raw)

    async def contact_tokens(self, identity_id: bytes) -> list[details.ContactToken]:
        """A contact's security keys (kind, when their chain first listed each)."""
        s = self._need()
        return await s.db.run(details.tokens, s.core, identity_id)

    async def safety_numbers(self, identity_id: bytes) -> details.SafetyNumbers:
        """The safety number with both halves and the QR code to show for it."""
        s = self._need()
        return await s.db.run(details.safety_numbers, s.core, identity_id)

    async def verify_by_code(self, identity_id: bytes, payload: bytes) -> ContactInfo:
        """Mark verified from their safety code, scanned (``SafetyCodeMismatch`` if it
        is not theirs for us: then nothing changes)."""
        s = self._need()
        await s.db.run(details.check_code, s.core, identity_id, payload)
        return await self.verify_contact(identity_id)

    # --- message requests (people who wrote without being contacts; client.requests) ---

    async def message_requests(self) -> list[RequestInfo]:
        s = self._need()
        return await s.db.run(requests.list_requests, s.core)

    async def accept_request(self, identity: bytes | str, name: str) -> ContactInfo:
        """The request's sender becomes a contact named ``name`` (ID or hex prefix)."""
        s = self._need()
        identity_id = await s.db.run(requests.find, s.core, identity)
        info = await s.db.run(requests.accept, s.core, identity_id, name)
        self._emit(ev.MessageRequestChanged(identity_id, "accepted"))
        self._emit(ev.ContactAdded(info))
        return info

    async def block_request(self, identity: bytes | str) -> bytes:
        """Delete the request's messages and drop what its sender sends from now on."""
        s = self._need()
        identity_id = await s.db.run(requests.find, s.core, identity)
        await s.db.run(requests.block, s.core, identity_id)
        self._emit(ev.MessageRequestChanged(identity_id, "blocked"))
        return identity_id

    async def delete_request(self, identity: bytes | str) -> bytes:
        """Delete the request's messages; a later message opens a new request."""
        s = self._need()
        identity_id = await s.db.run(requests.find, s.core, identity)
        await s.db.run(requests.delete, s.core, identity_id)
        self._emit(ev.MessageRequestChanged(identity_id, "deleted"))
        return identity_id

    async def junk_dropped(self) -> int:
        """How many unreadable envelopes from strangers were counted and dropped."""
        s = self._need()
        return await s.db.run(requests.junk_count, s.core)

    async def contacts(self) -> list[ContactInfo]:
        s = self._need()
        return await s.db.run(contacts.contacts, s.core)

    async def contact(self, name_or_id: str | bytes) -> ContactInfo:
        """A contact by identity ID, display name, or hex prefix of the ID."""
        s = self._need()
        identity_id = await s.db.run(contacts.find, s.core, name_or_id)
        return await s.db.run(contacts.contact_info, s.core, identity_id)

    async def safety_number(self, identity_id: bytes) -> str:
        return (await self.contact(identity_id)).safety_number

    async def verify_contact(self, identity_id: bytes, verified: bool = True) -> ContactInfo:
        """Mark verified after comparing safety numbers (or SAS emoji) in person."""
        s = self._need()
        info = await s.db.run(contacts.set_verified, s.core, identity_id, verified)
        self._emit(ev.ContactChanged(info, needs_reverification=False))
        if verified:
            self._emit(ev.IdentityAlertChanged(identity_id, None))
        return info

    # --- emoji verification and identity changes (client.verification, identity_alerts) ---

    async def start_verification(self, identity_id: bytes) -> bytes:
        """Ask the contact's devices for an emoji verification; its transaction ID.
        Events follow: ``VerificationCodes``, then ``VerificationDone``."""
        return await self._need().verification.start(identity_id)

    async def verification_requests(self) -> list[verification.PendingRequest]:
        """Contacts' requests waiting for :meth:`accept_verification` (this session's)."""
        return self._need().verification.pending()

    async def accept_verification(self, tx: bytes) -> None:
        await self._need().verification.accept(tx)

    async def confirm_verification(self, tx: bytes) -> None:
        """The emoji match: once both people confirmed, the contact is verified."""
        await self._need().verification.confirm(tx)

    async def mismatch_verification(self, tx: bytes) -> None:
        """The emoji differ: the contact is marked suspect on both sides."""
        await self._need().verification.mismatch(tx)

    async def cancel_verification(self, tx: bytes) -> None:
        await self._need().verification.cancel(tx)

    async def identity_alert(self, identity_id: bytes) -> IdentityAlert | None:
        """What the conversation's identity banner shows (None: nothing to show)."""
        s = self._need()
        return await s.db.run(identity_alerts.get, s.core, identity_id)

    async def accept_identity_change(self, identity_id: bytes) -> ContactInfo:
        """The person looked at a contact's changed keys and accepts them without
        verifying: the banner goes and held sending is released (no longer verified)."""
        s = self._need()
        await s.db.run(identity_alerts.accept_change, s.core, identity_id)
        info = await s.db.run(contacts.contact_info, s.core, identity_id)
        self._emit(ev.IdentityAlertChanged(identity_id, None))
        self._emit(ev.ContactChanged(info, needs_reverification=False))
        return info

    async def block(self, identity_id: bytes, blocked: bool = True) -> ContactInfo:
        """A blocked person's messages are dropped unread."""
        s = self._need()
        return await s.db.run(contacts.set_blocked, s.core, identity_id, blocked)

    async def rename_contact(self, identity_id: bytes, name: str) -> ContactInfo:
        s = self._need()
        return await s.db.run(contacts.rename, s.core, identity_id, name)

    # === conversations ================================================================

    async def conversations(self, *, archived: bool = False) -> list[ConversationSummary]:
        s = self._need()
        return await s.db.run(s.core.repo.conversations, archived=archived)

    async def direct_conversation(self, identity_id: bytes) -> bytes:
        """The direct conversation with a contact (created if needed)."""
        s = self._need()

        def job() -> bytes:
            contacts.contact_info(s.core, identity_id)  # must be someone we know
            with s.core.db.transaction():
                return ensure_direct(
                    s.core.repo, s.core.own_id, identity_id, s.core.now()
                ).conversation_id

        return await s.db.run(job)

    async def members(self, conversation_id: bytes) -> list[tuple[bytes, Role]]:
        s = self._need()
        return await s.db.run(actions.members, s.core, conversation_id)

    async def member_rows(self, conversation_id: bytes) -> list[chatview.MemberRow]:
        """A group's members with their names, roles and verification (its page's list)."""
        s = self._need()
        return await s.db.run(chatview.member_rows, s.core, conversation_id)

    async def create_group(self, name: str, members: Sequence[bytes]) -> bytes:
        """A new group with us as admin; returns its conversation ID."""
        s = self._need()
        group_id, effects = await s.db.run(actions.create_group, s.core, name, members)
        await s.after(effects)
        return group_id

    async def add_members(self, group_id: bytes, members: Sequence[bytes]) -> None:
        await self._need().act(actions.add_members, group_id, members)

    async def remove_members(self, group_id: bytes, members: Sequence[bytes]) -> None:
        """Removed members get no key to anything sent after this."""
        await self._need().act(actions.remove_members, group_id, members)

    async def rename_group(self, group_id: bytes, name: str) -> None:
        await self._need().act(actions.rename_group, group_id, name)

    async def leave_group(self, group_id: bytes) -> None:
        await self._need().act(actions.leave_group, group_id)

    async def set_disappearing(self, conversation_id: bytes, seconds: int | None) -> None:
        """Messages from now on disappear ``seconds`` after they arrive (None: never)."""
        await self._need().act(actions.set_timer, conversation_id, seconds)

    # === messages =====================================================================

    async def send_text(
        self, conversation_id: bytes, text: str, *, reply_to: bytes | None = None
    ) -> bytes:
        """Queue a text (or a reply); returns its message ID once it is durably queued.

        ``EmptyMessage`` for nothing but blanks, ``MessageTooLong`` past the limit."""
        if not text.strip():
            raise EmptyMessage()
        if len(text) > c.MAX_TEXT:
            raise MessageTooLong(len(text), c.MAX_TEXT)
        content: c.Text | c.Reply = c.Reply(text, reply_to) if reply_to else c.Text(text)
        s = self._need()
        msg, effects = await s.batched(lambda: actions.send(s.core, conversation_id, content))
        await s.after(effects)
        return msg.message_id

    async def send_file(
        self,
        conversation_id: bytes,
        path: Path,
        *,
        media_type: str | None = None,
        file_name: str | None = None,
    ) -> bytes:
        """Encrypt ``path`` with a fresh key, upload it, then send the attachment message.

        The upload needs the relay (``RelayUnavailable`` otherwise; nothing is sent
        then); the message itself then goes through the outbox like a text.
        Progress: :class:`events.AttachmentProgress` (``upload=True``).
        """
        s = self._need()
        await s.db.run(identity_alerts.check_send, s.core, conversation_id)  # before uploading
        mid = await s.db.run(s.core.new_id)
        staging = self.profile.root / "outgoing"
        staging.mkdir(mode=0o700, exist_ok=True)
        sealed = await files.encrypt_file(path, staging / f"{mid.hex()}.kba")
        total = sealed.ciphertext_size

        def progress(done: int) -> None:
            self._emit(ev.AttachmentProgress(mid, 0, done, total, upload=True))

        try:
            blob_id = await s.relay.upload_blob(
                files.file_chunks(sealed.path), total, sealed.digest, progress
            )
        finally:
            sealed.path.unlink(missing_ok=True)
        name = (file_name or path.name)[:256]
        kind = media_type or guess_media_type(path)
        thumbnail = await asyncio.to_thread(make_thumbnail, path, kind)
        content = c.Attachment(
            blob_id, sealed.key, sealed.digest, sealed.size, kind, name, thumbnail=thumbnail
        )
        row = Attachment(
            mid, 0, blob_id, sealed.key, sealed.digest, sealed.size, kind, name, thumbnail,
            local_state=AttachmentState.LOCAL, local_path=str(path),
        )  # fmt: skip
        msg, effects = await s.batched(
            lambda: actions.send(
                s.core, conversation_id, content, [row], content_kind=ATTACHMENT, message_id=mid
            ),
        )
        await s.after(effects)
        return msg.message_id

    async def attachments(self, message_id: bytes) -> list[Attachment]:
        s = self._need()
        return await s.db.run(s.core.repo.attachments, message_id)

    async def download(self, message_id: bytes, dest: Path, position: int = 0) -> Path:
        """Fetch, check (SHA-256 of the ciphertext) and decrypt an attachment into ``dest``.

        ``dest`` appears only once complete and genuine; on any failure nothing is left.
        """
        s = self._need()
        found = [a for a in await self.attachments(message_id) if a.position == position]
        if not found:
            raise UnknownMessage()
        att = found[0]
        repo = s.core.repo
        await s.db.run(
            repo.set_attachment_state, message_id, position, AttachmentState.DOWNLOADING, None
        )

        def progress(done: int) -> None:
            self._emit(ev.AttachmentProgress(message_id, position, done, att.size, upload=False))

        try:
            async with files.AttachmentWriter(dest, att.key, att.digest, att.size) as writer:
                await s.relay.download_blob(att.blob_id, writer.write, progress)
                path = await writer.finish()
        except BaseException:
            with contextlib.suppress(Exception):
                await s.db.run(
                    repo.set_attachment_state, message_id, position, AttachmentState.FAILED, None
                )
            raise
        await s.db.run(
            repo.set_attachment_state, message_id, position, AttachmentState.LOCAL, str(path)
        )
        return path

    async def edit(self, message_id: bytes, text: str) -> None:
        await self._need().act(actions.edit, message_id, text)

    async def delete_for_everyone(self, message_id: bytes) -> None:
        await self._need().act(actions.delete_for_everyone, message_id)

    async def react(self, message_id: bytes, emoji: str, *, remove: bool = False) -> None:
        await self._need().act(actions.react, message_id, emoji, remove)

    async def mark_read(self, conversation_id: bytes, up_to: bytes | None = None) -> None:
        """Everything up to ``up_to`` (default: the latest message) is read; senders get
        read receipts (if the setting is on), our other devices learn it either way."""
        await self._need().act(actions.mark_read, conversation_id, up_to)

    async def typing(self, conversation_id: bytes, started: bool = True) -> None:
        """Best effort: sent now if the relay is reachable, never queued."""
        s = self._need()

        def job() -> list[tuple[DeviceAddress, bytes]]:
            item = actions.typing_item(s.core, conversation_id, started)
            return [] if item is None else s.core.ephemeral(item)

        envelopes = await s.db.run(job)
        if envelopes:
            with contextlib.suppress(RelayUnavailable, RelayRefused):
                await s.relay.send([WireOutgoing(a, p) for a, p in envelopes])

    async def retry(self, message_id: bytes) -> None:
        """Send a failed message again."""
        await self._need().act(actions.retry, message_id)

    async def history(
        self,
        conversation_id: bytes,
        limit: int = 50,
        *,
        before: bytes | None = None,
        after: bytes | None = None,
    ) -> list[Message]:
        """Messages oldest first: the latest ``limit``, or the ``limit`` just before
        ``before`` (or just after ``after``).  An anchor no longer in the conversation
        raises ``UnknownMessage`` (reload the latest page)."""
        s = self._need()
        repo = s.core.repo
        try:
            if before is not None:
                return await s.db.run(repo.before, conversation_id, before, limit)
            if after is not None:
                return await s.db.run(repo.after, conversation_id, after, limit)
        except LookupError:
            raise UnknownMessage() from None
        return await s.db.run(repo.latest, conversation_id, limit)

    async def history_around(
        self, conversation_id: bytes, message_id: bytes, limit: int = 50
    ) -> list[Message]:
        """About ``limit`` messages centred on ``message_id``, oldest first (for jumping
        to a search hit or a quoted reply without reading the whole conversation)."""
        s = self._need()
        repo = s.core.repo
        half = max(1, limit // 2)

        def job() -> list[Message]:
            found = repo.message(message_id)
            if found is None or found.conversation_id != conversation_id:
                raise UnknownMessage()
            older = repo.before(conversation_id, message_id, half)
            newer = repo.after(conversation_id, message_id, half)
            return [*older, found, *newer]

        return await s.db.run(job)

    async def timeline(
        self,
        conversation_id: bytes,
        limit: int = 50,
        *,
        before: bytes | None = None,
        after: bytes | None = None,
        around: bytes | None = None,
    ) -> list[chatview.TimelineEntry]:
        """A page of :meth:`history` with what each row draws (reactions, attachments,
        quoted message, sender name), in one database job; ``around``: centred there."""
        s = self._need()
        return await s.db.run(
            lambda: chatview.page(
                s.core, conversation_id, limit, before=before, after=after, around=around
            )
        )

    async def timeline_entry(self, message_id: bytes) -> chatview.TimelineEntry | None:
        """One message as :meth:`timeline` returns it (after an edit, reaction, receipt)."""
        s = self._need()

        def job() -> chatview.TimelineEntry | None:
            found = s.core.repo.message(message_id)
            return None if found is None else chatview.entries(s.core, [found])[0]

        return await s.db.run(job)

    async def conversation_rows(self, limit: int | None = None) -> list[chatview.ConversationRow]:
        """The conversation list as the GUI shows it, most recent first (``limit``: only
        its first rows, what the app paints first)."""
        s = self._need()
        return await s.db.run(chatview.conversation_rows, s.core, limit)

    async def unread_total(self) -> int:
        """The unread count over the whole conversation list (the tray, the title)."""
        s = self._need()
        return await s.db.run(s.core.repo.unread_total)

    async def conversation_row(self, conversation_id: bytes) -> chatview.ConversationRow | None:
        """One row of :meth:`conversation_rows` (None: gone or archived)."""
        s = self._need()
        return await s.db.run(chatview.conversation_row, s.core, conversation_id)

    async def read_position(self, conversation_id: bytes) -> bytes | None:
        """The last message marked read here (where a "new messages" marker goes)."""
        s = self._need()
        return await s.db.run(s.core.repo.read_position, conversation_id)

    async def message(self, message_id: bytes) -> Message | None:
        s = self._need()
        return await s.db.run(s.core.repo.message, message_id)

    async def receipts(self, message_id: bytes) -> list[Receipt]:
        s = self._need()
        return await s.db.run(s.core.repo.receipts, message_id)

    async def reactions(self, message_id: bytes) -> list[Reaction]:
        s = self._need()
        return await s.db.run(s.core.repo.reactions, message_id)

    async def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        s = self._need()
        return await s.db.run(s.core.repo.search, text, limit)

    async def wait_status(
        self, message_id: bytes, wanted: MessageStatus, timeout: float
    ) -> MessageStatus:
        """Wait until the message reached ``wanted`` (or a later status, or failed);
        returns the status it has when the wait ends (also on timeout)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            msg = await self.message(message_id)
            if msg is None:
                raise UnknownMessage()
            if msg.status is MessageStatus.FAILED or (
                msg.status is wanted or not advance(msg.status, wanted)
            ):
                return msg.status
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return msg.status
            await asyncio.sleep(min(0.05, left))

    async def full_inboxes(self, message_id: bytes) -> list[bytes]:
        """Identities whose inbox on the relay was full when this message was
        last offered to them; it stays queued and is retried (see ``send_wait``)."""
        s = self._need()
        return await s.db.run(lambda: s.core.queues.full_inboxes(message_id))

    async def pending_count(self) -> int:
        """Envelopes and messages still waiting to reach the relay."""
        s = self._need()
        return await s.db.run(lambda: s.core.queues.count() + s.core.queues.compose_count())

    # === devices =====================================================================

    async def devices(self) -> list[DeviceInfo]:
        """Our identity's devices (this one has ``is_current``), removed ones included."""
        s = self._need()

        def job() -> list[DeviceInfo]:
            rows = s.core.repo.devices(s.core.own_id, include_removed=True)
            here = cfg.get(s.core.repo, cfg.DEVICE_NAME, "")  # names stay out of the chain
            pq = {d.device_id for d in s.core.book.lookup(s.core.own_id) if d.pq}
            return [
                replace(
                    contacts.device_info(replace(d, name=d.name or here) if d.is_current else d),
                    post_quantum=d.device_id in pq,
                )
                for d in rows
            ]

        return await s.db.run(job)

    async def devices_last_seen(self) -> dict[bytes, int]:
        """Device ID -> ms of its newest message in this history (``client.device_seen``)."""
        s = self._need()
        return await s.db.run(device_seen.last_seen, s.core)

    async def remove_device(self, device_id: bytes) -> None:
        """Revoke a device (a lost laptop) in our chain: signed by the token, published,
        announced.  It can no longer log in to the relay nor receive anything new."""
        s = self._need()
        if device_id == s.core.device_id:
            raise IdentityError("This is the device in use; remove it from another device.")
        docs = await s.db.run(s.core.book.documents, s.core.own_id)
        head = docs[-1]
        if all(d.device_id != device_id for d in head.body.devices):
            raise IdentityError("This identity has no such device.")
        unsigned = build_next(
            head,
            self._env.now_s(),
            devices=[d for d in head.body.devices if d.device_id != device_id],
        )
        signed = await self._worker.run(
            account.sign_with_present_token,
            self._options.tokens,
            self._prompter,
            head.body.tokens,
            unsigned,
        )
        update = await s.db.run(s.accept_own, [*docs, signed])
        await s.chain_events(update)
        s.wake.publish.set()
        effects = await s.db.run(actions.announce_devices, s.core, False)
        await s.after(effects)

    async def upgrade_post_quantum(self) -> bool:
        """State the post-quantum layer in this device's certificate if it does not yet (a
        device made before the layer): re-certified, signed by the token, published.
        False when there was nothing to do.  Runs by itself after the first PQ prekeys
        are published; a failure there is an ``EngineError`` event and is tried again."""
        return await self._upgrade_post_quantum(self._need())

    async def _upgrade_post_quantum(self, s: Session) -> bool:
        upgrade = await s.db.run(pq_upgrade.plan, s.core, self._env.now_s())
        if upgrade is None:
            return False
        signed = await self._worker.run(
            account.sign_with_present_token,
            self._options.tokens,
            self._prompter,
            upgrade.signers,
            upgrade.unsigned,
        )
        update = await s.db.run(s.accept_own, [*upgrade.documents, signed])
        await s.chain_events(update)
        s.wake.publish.set()
        return True

    async def _upgrade_post_quantum_quietly(self) -> None:
        """The session's own call: not the person's activity (the idle lock keeps counting)."""
        session = self._session
        if session is None:
            return
        try:
            await self._upgrade_post_quantum(session)
        except KeyboundError as exc:
            self._emit(ev.EngineError(sentence(exc), "post_quantum"))

    # === security keys and the recovery code (client/token_admin.py) =====================

    async def tokens(self) -> list[token_admin.IdentityToken]:
        """Our identity's security keys: kind, when added, plugged in now, unlocking here."""
        return await self._keys.tokens(self._need())

    async def add_token(self, spare: TokenSource | None = None) -> bytes:
        """Add the new key plugged in beside a current one as a spare (both PINs asked):
        a keyslot here, and a chain document the current key signs and the spare
        co-signs, published.  Returns its token ID.  ``spare``: where to find it."""
        return await self._keys.add(self._need(), spare)

    async def remove_token(self, token_id: bytes) -> None:
        """Remove a key from the identity chain and this vault; never the last one."""
        await self._keys.remove(self._need(), token_id)

    async def change_token_pin(
        self, old: str, new: str, *, token_id: bytes | None = None, admin: bool = False
    ) -> None:
        """Change the PIN of a plugged-in key of ours (``WrongPin`` says the tries left)."""
        kind = PinKind.ADMIN if admin else PinKind.USER
        await self._keys.change_pin(self._need(), old, new, token_id, kind)

    async def new_recovery_code(self) -> str:
        """A new recovery code to show once; it replaces the old one only when
        :meth:`confirm_recovery_code` gets it back as typed."""
        return await self._keys.new_recovery_code(self._need())

    async def confirm_recovery_code(self, typed: str) -> None:
        """Take the new code as retyped and swap the recovery keyslot (asks a key's PIN);
        from now on only the new code opens the vault."""
        await self._keys.confirm_recovery_code(self._need(), typed)

    # === settings =========================================================================

    async def setting(self, key: str) -> bool | int | str:
        """A setting's value (``settings.DEFAULTS`` for one never set, else "")."""
        s = self._need()
        return await s.db.run(s.core.get_setting, key, cfg.DEFAULTS.get(key, ""))

    async def set_setting(self, key: str, value: bool | int | str) -> None:
        """Change one of ``settings.EDITABLE``; it applies to the running session at once
        (``InvalidSetting`` for a value out of range; nothing is changed then)."""
        kind = cfg.EDITABLE.get(key)
        if kind is None or type(value) is not kind:
            raise UserFacingError(f"There is no setting {key!r} of that type.")
        cfg.check(key, value)
        s = self._need()
        await s.db.run(s.core.set_setting, key, value)
        s.settings_changed()
        self._backups.settings_changed()

    async def notification_mode(self) -> cfg.NotifyMode:
        """What a desktop notification may show (``settings.NOTIFICATIONS``)."""
        return self._need().core.settings.notifications

    async def relay_info(self) -> RelayInfo:
        """The relay in use, its certificate's SHA-256 fingerprint and the connection state.

        The fingerprint is the pinned one for a ``--dev-tls`` relay, else the one
        the relay showed on the last connection ("" for ``ws://``, or not connected yet).
        """
        s = self._need()
        pinned = await s.db.run(s.core.get_setting, cfg.TLS_PINNED, False)
        pin = await s.db.run(s.core.get_setting, cfg.TLS_PIN, "")
        seen = s.link.certificate_fingerprint if s.link is not None else ""
        return RelayInfo(
            s.core.settings.relay_url, (pin if pinned else "") or seen, pinned, self.connection
        )

    # === backups (see client/backups.py; progress callbacks run on the event loop) ==========

    async def create_backup(
        self, dest: Path, *, passphrase: str | None = None, to_keys: bool = False,
        attachments: bool = True, progress: bk.ProgressCallback | None = None,
    ) -> BackupInfo:  # fmt: skip
        """Write an age backup of the history to ``dest`` (via ``dest.part``; cancel: no file).

        ``passphrase`` (checked by ``keybound.backup.passphrase.check`` first) or
        ``to_keys`` (the enrolled backup keys; the present token is enrolled if none is).
        """
        return await self._backups.create(
            self._need(), dest, passphrase=passphrase, to_keys=to_keys,
            attachments=attachments, progress=progress,
        )  # fmt: skip

    async def verify_backup(
        self, path: Path, *, passphrase: str | None = None,
        progress: bk.ProgressCallback | None = None,
    ) -> BackupInfo:  # fmt: skip
        """Decrypt the whole backup and check every hash of its manifest; writes nothing."""
        return await self._backups.verify(path, passphrase=passphrase, progress=progress)

    async def restore_backup(
        self, path: Path, *, passphrase: str | None = None,
        progress: bk.ProgressCallback | None = None,
    ) -> RestoreSummary:  # fmt: skip
        """Merge a backup into the history (dedup by message ID); all of it or nothing.
        The settings it carries apply to the running session at once."""
        session = self._need()
        summary = await self._backups.restore(
            session, path, passphrase=passphrase, progress=progress
        )
        session.settings_changed()
        return summary

    async def backup_keys(self) -> list[BackupKey]:
        """The hardware keys backups are encrypted to (no token needed to encrypt)."""
        return await self._backups.keys(self._need())

    async def add_backup_key(self) -> BackupKey:
        """Enroll the present token as a backup key (FIDO2: asks the PIN and two touches)."""
        return await self._backups.add_key(self._need())

    async def remove_backup_key(self, public: bytes) -> None:
        await self._backups.remove_key(self._need(), public)

    async def backup_schedule(self) -> bk.Schedule:
        """The automatic backups' settings and when the last one ran."""
        return await self._backups.schedule(self._need())

    async def set_backup_schedule(self, every_days: int, folder: str, keep: int) -> None:
        """Automatic backups (to the backup keys) every ``every_days`` days (0: off) into
        ``folder``, keeping the newest ``keep``; a bad combination is a UserFacingError."""
        await self._backups.set_schedule(self._need(), every_days, folder, keep)

    async def export_history(
        self, dest: Path, *, fmt: str = "html", conversation_id: bytes | None = None,
        progress: bk.ProgressCallback | None = None,
    ) -> Path:  # fmt: skip
        """An UNENCRYPTED readable copy (``html`` or ``json``) in the new folder ``dest`` (0700)."""
        return await self._backups.export(
            self._need(), dest, fmt=fmt, conversation_id=conversation_id, progress=progress
        )

    async def change_relay(self, url: str, tls_pin: str | bool = False) -> RelayProbe:
        """Check ``url`` (``relay_probe``) and make it this profile's relay.

        ``tls_pin`` as for :meth:`create_account`.  Takes effect at the next unlock
        (``keybound relay set`` opens the profile for just this change).
        """
        probe = await probe_relay(url, tls_pin)
        s = self._need()
        await s.db.run(relay_change.apply, s.core, probe)
        return probe

    # === internals ==========================================================================

    def _need(self) -> Session:
        session = self._session
        if session is None:
            raise EngineLocked()
        self._last_activity = self._env.now_ms()
        return session

    def _emit(self, event: ev.Event) -> None:
        broadcast(self._streams, event)

    async def _start(self, opened: Opened) -> None:
        """Begin a session (the caller holds the lifecycle lock)."""
        self.identity_id, self.device_id = opened.core.own_id, opened.core.device_id
        session = Session(
            opened.db, opened.core, opened.token, self._options, self._emit,
            self._request_lock, lambda: self._last_activity,
        )  # fmt: skip
        self._session = session
        session.upgrade_post_quantum = self._upgrade_post_quantum_quietly
        self._last_activity = self._env.now_ms()
        await session.start()
        if self._options.automatic_backups:
            self._backups.start_schedule(session)
        self._emit(ev.Unlocked())
        await session.after(opened.effects)

    def _presence_changed(self, present: bool) -> None:
        self._emit(ev.TokenPresenceChanged(present))

    def _request_lock(self, reason: LockReason) -> None:
        """Lock soon (from a task of the session, which the lock will cancel)."""
        task = asyncio.get_running_loop().create_task(self.lock(reason))
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def guess_media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
