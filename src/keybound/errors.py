"""One error hierarchy for Keybound.

Every failure a person can meet is a :class:`UserFacingError` whose ``str()``
is a sentence written for that person: the GUI and the CLI show it as it is.
Messages never contain a PIN, key, passphrase or message text.
Everything else (:class:`InternalError`) is a bug and is reported as one.
"""

from __future__ import annotations

from collections.abc import Sequence


class KeyboundError(Exception):
    """Root of every error Keybound raises on purpose."""


class InternalError(KeyboundError):
    """A bug or an impossible state; not something the person can fix."""


class UserFacingError(KeyboundError):
    """An error whose message is shown to the person as it is."""


# --- data formats (wire, identity, protocol) ---------------------------------


class MalformedData(UserFacingError):
    """Bytes from outside (a frame, a document, a file) are not what they claim.

    The message names the field, never its content.
    """

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Received data is malformed: {detail}.")


# --- profile -----------------------------------------------------------------


class ProfileError(UserFacingError):
    """The profile directory cannot be used."""


# --- tokens ------------------------------------------------------------------


class TokenError(UserFacingError):
    """Something went wrong with a security key or smartcard."""


class TokenNotFound(TokenError):
    """No matching token is present."""


class TokenRemoved(TokenError):
    """The token was pulled out (or the reader vanished) during an operation."""

    def __init__(
        self, message: str = "The security key was removed. Plug it back in and try again."
    ) -> None:
        super().__init__(message)


class WrongPin(TokenError):
    """The PIN was wrong; the token counted the attempt."""

    def __init__(self, retries_left: int | None, what: str = "PIN") -> None:
        self.retries_left = retries_left
        if retries_left is None:
            msg = f"Wrong {what}."
        elif retries_left == 1:
            msg = f"Wrong {what}. 1 attempt left before the {what} is blocked."
        else:
            msg = f"Wrong {what}. {retries_left} attempts left."
        super().__init__(msg)


class PinBlocked(TokenError):
    """Too many wrong PINs: the token refuses the PIN until it is unblocked or reset."""

    def __init__(self, what: str = "PIN") -> None:
        super().__init__(
            f"The {what} is blocked after too many wrong attempts. "
            "Unblock it with the admin PIN or reset code, or reset the token."
        )


class PinRequired(TokenError):
    """The operation needs a PIN and none was given."""


class PinPolicyError(TokenError):
    """The new PIN does not meet the token's rules (length, characters)."""


class SecurityStatusNotSatisfied(TokenError):
    """The token refused because the right PIN was not verified first."""

    def __init__(self) -> None:
        super().__init__("The token needs its PIN to be verified for this operation.")


class NoKeysOnToken(TokenError):
    """The token has no Keybound keys yet (run `keybound token init`)."""


class TokenNotBlank(TokenError):
    """Creating keys would overwrite keys already on the token."""


class WrongToken(TokenError):
    """A token is present, but it is not the one this operation needs."""


class UnsupportedToken(TokenError):
    """The token lacks a feature Keybound needs."""


class TouchTimeout(TokenError):
    """Nobody touched the token in time."""

    def __init__(self) -> None:
        super().__init__("The security key was not touched in time.")


class TouchDenied(TokenError):
    """The person declined the request on the token."""

    def __init__(self) -> None:
        super().__init__("The request was declined on the security key.")


class OperationCancelled(TokenError):
    """The operation was cancelled before it finished."""

    def __init__(self) -> None:
        super().__init__("Cancelled.")


class TokenCommunicationError(TokenError):
    """The token answered something we could not understand, or not at all."""


class PcscUnavailable(TokenError):
    """The smartcard service (pcscd) is not running."""

    def __init__(self) -> None:
        super().__init__(
            "The smartcard service (pcscd) is not running. "
            "Start it, e.g. `sudo systemctl start pcscd`."
        )


class BadSignature(UserFacingError):
    """A signature did not verify."""


# --- vault and history store (keybound.store) ----------------------------------


class HistoryError(UserFacingError):
    """The message history database cannot be used as asked."""


class HistoryUnreadable(HistoryError):
    """The key does not open the history file, or the file is damaged or not a database.

    SQLCipher cannot tell a wrong key from a damaged file (both fail the page
    check), so one sentence covers both; the file is left untouched.
    """

    def __init__(
        self,
        message: str = (
            "The message history cannot be opened: the key does not match it, or the file "
            "is damaged. Nothing was changed."
        ),
    ) -> None:
        super().__init__(message)


class HistoryDamaged(HistoryUnreadable):
    """The key is right (a keyslot opened) but some pages of the file fail their check."""

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(
            f"The message history file is damaged ({where}). Run `keybound repair` to copy "
            "everything that can still be read into a new file; the damaged file is kept."
        )


class HistoryTooNew(HistoryError):
    """The history file was written by a newer Keybound than this one."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"The message history was written by a newer version of Keybound (format {found}, "
            f"this version reads up to {supported}). Update Keybound to open it."
        )


class HistoryDiskFull(HistoryError):
    """The disk is full: the last change was rolled back, everything before it is kept."""

    def __init__(self) -> None:
        super().__init__(
            "The disk is full, so the last change to the message history was not saved. "
            "Free some space and try again; everything saved before is safe."
        )


class HistoryStorageError(HistoryError):
    """The operating system refused to read or write the history file."""


class ProfileInUse(ProfileError):
    """Another Keybound process holds this profile's lock."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        running = f" (pid {pid})" if pid else ""
        super().__init__(
            f"Keybound is already running with this profile{running}. "
            "Close it first, or use another profile."
        )


class StoreFileError(UserFacingError):
    """A file of the profile could not be read or written (disk full, permissions)."""


class VaultError(UserFacingError):
    """The keyslot file (the master key, wrapped per token and recovery code) is unusable."""


class VaultNotFound(VaultError):
    """There is no keyslot file yet: the vault was never created."""


class VaultExists(VaultError):
    """Creating a vault would overwrite an existing one."""


class KeyslotFileTruncated(VaultError):
    """The keyslot file ends early (cut off by a crash or a copy)."""


class KeyslotFileDamaged(VaultError):
    """The keyslot file was changed or is damaged (checksum, structure or AEAD failure)."""


class KeyslotVersionUnsupported(VaultError):
    """The keyslot file was written by a newer Keybound."""


class TokenNotEnrolled(WrongToken):
    """The present token does not unlock this vault."""

    def __init__(self) -> None:
        super().__init__(
            "This security key or card is not enrolled in this vault. "
            "Use one of the enrolled keys, or the recovery code."
        )


class TokenAlreadyEnrolled(VaultError):
    """The token already has a keyslot in this vault."""


class SlotNotFound(VaultError):
    """No keyslot has the id given."""


class LastTokenSlot(VaultError):
    """Removing this token would leave no token that unlocks the vault."""


class RecoveryCodeMistyped(VaultError):
    """The recovery code as typed cannot be right; ``groups`` are the suspect groups (1-based)."""

    def __init__(self, message: str, groups: tuple[int, ...] = ()) -> None:
        self.groups = groups
        super().__init__(message)


class WrongRecoveryCode(VaultError):
    """A well-formed recovery code that does not open this vault."""

    def __init__(self) -> None:
        super().__init__("This recovery code does not open this vault.")


# --- identity (keybound.identity) ------------------------------------------------


class IdentityError(UserFacingError):
    """An identity history, device, invite or verification did not check out."""


class IdentitySignatureInvalid(IdentityError):
    """A document or device certificate carries a signature that does not verify."""


class CapabilityDowngrade(IdentityError):
    """A newer identity document lists a device with less post-quantum protection than
    before: a downgrade, refused so that no one can turn the hybrid layer off quietly."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"Version {version} of this identity takes post-quantum protection away from one "
            "of its devices. It was not accepted."
        )


class UnknownSigner(IdentityError):
    """A document is signed by a token the identity did not (or no longer) include."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"Version {version} of this identity is signed by a security key that does not "
            "belong to it (never added, or already removed). It was not accepted."
        )


class TokenNotCosigned(IdentityError):
    """A document adds a security key that did not co-sign it (identity format 2 on).

    Adding a key needs that key's own signature, so no one can list someone
    else's key in their identity; format 1 documents (older chains) could not.
    """

    def __init__(self, version: int, message: str | None = None) -> None:
        self.version = version
        super().__init__(
            message
            or f"Version {version} of this identity adds a security key that did not sign it. "
            "It was not accepted."
        )


class IdentityFork(IdentityError):
    """Two different documents claim the same place in one identity's history."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"This identity has two conflicting histories (at version {version}). Someone may "
            "be impersonating this person: verify them in person before trusting it again."
        )


class IdentityRollback(IdentityError):
    """The history offered ends before a version already seen and pinned."""

    def __init__(self, offered: int, pinned: int) -> None:
        self.offered, self.pinned = offered, pinned
        super().__init__(
            f"This identity was offered at version {offered}, older than version {pinned} "
            "seen before. The older version was not accepted."
        )


class BrokenChain(IdentityError):
    """Documents are missing or do not follow one another."""


class WrongIdentity(IdentityError):
    """The history belongs to another identity than the one expected."""

    def __init__(self) -> None:
        super().__init__("These identity documents belong to another person than expected.")


class NewerIdentityFormat(IdentityError):
    """The data uses a format version this Keybound does not understand yet."""

    def __init__(self, what: str, version: int) -> None:
        self.version = version
        super().__init__(f"This {what} uses format version {version}: update Keybound to read it.")


class DeviceNotCertified(IdentityError):
    """A device is not (or no longer) certified by its identity."""

    def __init__(self, status: str) -> None:
        self.status = status  # "removed", "expired" or "unknown" (a DeviceStatus value)
        reason = {
            "removed": "was removed from its owner's identity",
            "expired": "has a certificate that expired",
        }.get(status, "is not certified by its owner's identity")
        super().__init__(f"This device {reason}, so it is not trusted.")


class InvalidInvite(IdentityError):
    """An invite link or QR code cannot be read."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"This invite is not valid: {detail}.")


class TamperedInvite(IdentityError):
    """The identity the relay has under the invite's ID is not the one the invite names."""

    def __init__(self, unknown: bool = False) -> None:
        self.unknown = unknown  # the relay knows no identity under that ID at all
        what = (
            "names an identity the relay does not know"
            if unknown
            else "does not match the identity it names"
        )
        super().__init__(
            f"This invite {what}: it was changed or mistyped on the way. "
            "Ask for the link again; nothing was added."
        )


class InvalidSafetyCode(IdentityError):
    """A scanned image holds a QR code, but not a Keybound safety code."""

    def __init__(self) -> None:
        super().__init__("This QR code is not a Keybound safety number code.")


class SafetyCodeMismatch(IdentityError):
    """A scanned safety code does not match the keys this device holds for the pair."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"This safety number code does not match the one you have with {name}: they were "
            "not marked verified. Make sure it is their code for you; if it is, someone may "
            "sit between you, so do not trust this conversation until you have compared in "
            "person."
        )


class NoQrCode(UserFacingError):
    """An image (a file, the clipboard) in which no QR code could be read."""

    def __init__(self, where: str = "image") -> None:
        super().__init__(f"No QR code could be read in this {where}.")


class SasMismatch(IdentityError):
    """Interactive verification failed: the other side's keys are not the expected ones."""


# --- end-to-end encryption (keybound.protocol) -----------------------------------


class ProtocolError(UserFacingError):
    """A message or key from another device could not be accepted.

    The message was rejected without changing any session state, so the
    genuine message, if it arrives later, is still readable.
    """


class UnsupportedEnvelope(ProtocolError):
    """The message was made by a newer (or unknown) version of Keybound."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"A message uses envelope version {version}, which this version of Keybound "
            "cannot read. Update Keybound to read it."
        )


class SenderNotCertified(ProtocolError):
    """The claimed sender device is not a currently certified device of the claimed identity."""

    def __init__(self) -> None:
        super().__init__(
            "A message claims to come from a device that its sender's identity does not "
            "certify. It was rejected."
        )


class HeaderMismatch(ProtocolError):
    """The encrypted header disagrees with the envelope: someone changed the envelope."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(
            f"A message was changed on the way (its {field} does not match the encrypted "
            "copy). It was rejected."
        )


class DecryptionFailed(ProtocolError):
    """No session could decrypt the message (tampered, or meant for another session)."""

    def __init__(self, what: str = "message") -> None:
        super().__init__(f"A {what} could not be decrypted. It was rejected.")


class ReplayDetected(ProtocolError):
    """A group message reused a ratchet position that already carried another message."""

    def __init__(self) -> None:
        super().__init__("A message was a replay of an earlier one. It was rejected.")


class BadKeyBundle(ProtocolError):
    """A published one-time key is not signed by the device it claims to belong to."""

    def __init__(self) -> None:
        super().__init__(
            "A contact's published session key is not signed by their device. "
            "No session was started."
        )


class MissingSession(ProtocolError):
    """Encryption needs an Olm session with a device and has none (claim a key first)."""

    def __init__(self) -> None:
        super().__init__(
            "There is no secure session with one of the recipient's devices yet. "
            "Try again when the relay is reachable."
        )


class ProtocolStateError(ProtocolError):
    """Stored encryption state could not be opened (wrong key or damaged records)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(
            f"Stored encryption state ({kind}) could not be opened: it is damaged or was "
            "written with another key."
        )


class PostQuantumUnavailable(UserFacingError):
    """The cryptography library here cannot do ML-KEM-768 (too old, or its OpenSSL lacks it)."""

    def __init__(self) -> None:
        super().__init__(
            "This computer's cryptography library has no ML-KEM-768 (post-quantum) support, "
            "which Keybound needs for every conversation. Install cryptography 47 or newer "
            "built with OpenSSL 3.5, AWS-LC or BoringSSL."
        )


class DowngradeRefused(ProtocolError):
    """A device whose certificate states the post-quantum layer sent (or would get) a message
    without it: someone stripped the layer, so the message or session is refused."""

    def __init__(self, what: str = "A message") -> None:
        super().__init__(
            f"{what} without post-quantum protection came from or was meant for a device "
            "that requires it. It was refused."
        )


class MissingPqPrekey(ProtocolError):
    """A device that requires the post-quantum layer has no PQ prekey on the relay."""

    def __init__(self) -> None:
        super().__init__(
            "A contact's device has published no post-quantum prekey, so no session "
            "could be started with it. Try again when that device has been online."
        )


# --- the messenger engine (keybound.client: messenger, contacts, conversations) --------


class EngineError(UserFacingError):
    """Something the person asked of the messenger cannot be done as asked."""


class EngineLocked(EngineError):
    """The profile is locked: the history is closed until a token unlocks it."""

    def __init__(self) -> None:
        super().__init__("Keybound is locked. Plug in your security key and unlock it.")


class MessageTooLong(EngineError):
    """A text over the protocol's limit (characters), said with the limit."""

    def __init__(self, length: int, limit: int) -> None:
        self.length, self.limit = length, limit
        super().__init__(
            f"The message is too long: {length:,} characters, and the limit is {limit:,}. "
            "Shorten it or send it as a file."
        )


class EmptyMessage(EngineError):
    def __init__(self) -> None:
        super().__init__("The message is empty; there is nothing to send.")


class ContactAlreadyAdded(EngineError):
    """The invite is of someone who is a contact already, under another name."""

    def __init__(self, current: str, asked: str) -> None:
        self.current, self.asked = current, asked
        super().__init__(
            f"This invite is of {current!r}, who is already your contact; they were not "
            f"renamed to {asked!r}. Nothing was changed."
        )


class InviteForAnotherRelay(EngineError):
    """The invite names another relay than this profile's: the two could not reach each other."""

    def __init__(self, theirs: str, ours: str) -> None:
        self.theirs, self.ours = theirs, ours
        super().__init__(
            f"This invite is of someone on another relay ({theirs}); yours is {ours}. "
            "Keybound relays do not pass messages to each other, so you could not write to "
            "each other: ask them to use your relay (or use theirs). Nothing was added."
        )


class UnknownContact(EngineError):
    """No contact matches the name or ID given."""


class UnknownConversation(EngineError):
    def __init__(self) -> None:
        super().__init__("There is no such conversation.")


class UnknownMessage(EngineError):
    def __init__(self) -> None:
        super().__init__("There is no such message.")


class NotAllowed(EngineError):
    """Not allowed in this conversation (not a member, not an admin, not your message)."""


class SendingHeld(EngineError):
    """A verified contact's security keys changed: nothing goes to them until the person
    has looked (verified again, or accepted the change)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"Sending to {name} is held: their security keys changed since you verified them. "
            "Verify them again, or accept the change, to send."
        )


class UnknownVerification(EngineError):
    """The verification named is not (or no longer) going on."""

    def __init__(self) -> None:
        super().__init__("This verification is over (finished, cancelled or timed out).")


# --- relay connection and engine (keybound.client) -------------------------------


class RelayUnavailable(UserFacingError):
    """The relay cannot be reached right now; queued messages go out later."""

    def __init__(self, detail: str = "") -> None:
        message = "The relay cannot be reached right now. Messages are kept and sent later."
        super().__init__(f"{message} ({detail})" if detail else message)


class RelayRefused(UserFacingError):
    """The relay answered a request with an error code."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        retry_after_ms: int | None = None,
        device: tuple[bytes, bytes] | None = None,
    ) -> None:
        self.code = code
        self.retry_after_ms = retry_after_ms  # with rate_limited: when to try again
        self.device = device  # (identity id, device id) a queue_full / not_found is about
        super().__init__(
            f"The relay refused the request ({code}){': ' + message if message else ''}."
        )


class RelayCertificateChanged(RelayUnavailable):
    """A pinned (``--dev-tls``) relay shows another certificate than the one first trusted.

    A subclass of :class:`RelayUnavailable` so that queued messages simply
    wait, while the person is told why: nothing is sent until the pin is
    reset on purpose.
    """

    def __init__(self, pinned: str, offered: str) -> None:
        self.pinned, self.offered = pinned, offered
        UserFacingError.__init__(
            self,
            "The relay's certificate changed since this device first trusted it "
            f"(pinned SHA-256 {pinned[:11]}..., now {offered[:11]}...). If the relay's operator "
            "replaced it, reset the relay's pin; otherwise someone may be intercepting the "
            "connection. Nothing was sent.",
        )


class InvalidRelayAddress(UserFacingError):
    """The relay URL is not a usable ``wss://`` (or loopback ``ws://``) address."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"The relay address is not usable: {detail}.")


# --- checking a relay before an account is made on it (client.relay_probe) ---------------


class RelayCheckFailed(UserFacingError):
    """The relay failed the check made before anything is created; nothing was made."""


class RelayHostUnknown(RelayCheckFailed):
    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(f"The relay's host name {host} is not known. Check the address.")


class RelayPortClosed(RelayCheckFailed):
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        super().__init__(
            f"Nothing accepts connections on port {port} of {host}. Check the port, "
            "or whether the relay is running."
        )


class RelayNotAnswering(RelayCheckFailed):
    def __init__(self, host: str, detail: str) -> None:
        self.host, self.detail = host, detail
        super().__init__(f"The relay at {host} cannot be reached: {detail}.")


class RelayCertificateUntrusted(RelayCheckFailed):
    """A self-signed (``--dev-tls``) or otherwise unverifiable relay certificate.

    Carries the certificate's SHA-256 fingerprint so the person can compare it
    with the one the relay printed and pin it.
    """

    def __init__(self, fingerprint: str, expected: str | None = None) -> None:
        self.fingerprint, self.expected = fingerprint, expected
        if expected is not None:
            text = (
                f"The relay's certificate (SHA-256 {fingerprint}) is not the one you named "
                f"({expected}). Someone may be intercepting the connection; nothing was created."
            )
        else:
            text = (
                "The relay's certificate is not trusted by this computer (self-signed?). "
                f"Its SHA-256 fingerprint is {fingerprint}. If the relay's operator shows the "
                f"same one, pin it with --tls-fingerprint {fingerprint.replace(':', '')}."
            )
        super().__init__(text)


class RelayWrongHost(RelayCheckFailed):
    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(
            f"The relay's certificate is not made out for {host}. Check the host name."
        )


class NotAKeyboundRelay(RelayCheckFailed):
    def __init__(self, host: str, port: int, detail: str) -> None:
        self.host, self.port, self.detail = host, port, detail
        super().__init__(f"{host}:{port} answers, but it is not a Keybound relay: {detail}.")


class NoIdentityForToken(UserFacingError):
    """``init --join`` with a token the relay knows no identity of."""

    def __init__(self) -> None:
        super().__init__(
            "The relay knows no Keybound account of this security key. Create one with init "
            "(without --join), or name the account with --identity ID."
        )


class TokenHasIdentity(UserFacingError):
    """``init`` on a token that already belongs to an identity on the relay."""

    def __init__(self, identity_id: bytes) -> None:
        self.identity_id = identity_id
        super().__init__(
            f"This security key already holds the Keybound identity {identity_id.hex()}. "
            "To use it on this computer, add this computer to that account: run init again "
            "with --join."
        )


class AttachmentError(UserFacingError):
    """An attachment could not be opened; no partial file was left behind."""


class AttachmentDigestMismatch(AttachmentError):
    """The downloaded data is not what the sender uploaded (checked before it is kept)."""

    def __init__(self) -> None:
        super().__init__(
            "The attachment was changed or damaged on the way (its checksum does not match). "
            "It was not saved."
        )


class AttachmentTruncated(AttachmentError):
    """The attachment ends early: part of it is missing."""

    def __init__(self) -> None:
        super().__init__("The attachment is incomplete (it ends early). It was not saved.")


class AttachmentTampered(AttachmentError):
    """A part of the attachment fails authentication: altered, reordered or wrong key."""

    def __init__(self) -> None:
        super().__init__(
            "The attachment could not be decrypted: it was altered, or the key does not "
            "match. It was not saved."
        )


# --- command line and local daemon (keybound.commands, keybound.client.daemon) --------


class DaemonRequestFailed(UserFacingError):
    """The Keybound process that holds the profile answered a request with an error.

    ``kind`` says what a script can rely on: ``locked``, ``relay``, ``user`` or
    ``internal`` (see ``keybound.client.daemon``).
    """

    def __init__(self, kind: str, type_name: str, message: str) -> None:
        self.kind, self.type_name = kind, type_name
        super().__init__(message)


class RecipientInboxFull(UserFacingError):
    """The relay refused a message because the recipient's queue there is full
    (or this device's share of it).  Not :class:`RelayUnavailable`: the relay
    answered.  The message stays queued here and is retried with backoff."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        if len(self.names) == 1:
            inboxes = f"{self.names[0]}'s inbox on the relay is full"
        elif self.names:
            inboxes = f"The inboxes of {', '.join(self.names)} on the relay are full"
        else:
            inboxes = "The recipient's inbox on the relay is full"
        super().__init__(
            f"{inboxes}. The message is kept on this device and sent when there is room "
            "again (when the waiting messages are collected)."
        )


class MessageQueued(RelayUnavailable):
    """The relay did not acknowledge in time: the message is stored and goes out later."""

    def __init__(self) -> None:
        UserFacingError.__init__(
            self,
            "The relay cannot be reached right now. The message is kept and will be sent "
            "when Keybound next connects (for example with `keybound listen`).",
        )


class NoWindow(UserFacingError):
    """The process holding the profile has no window to raise (it is ``keybound listen``)."""

    def __init__(self) -> None:
        super().__init__(
            "This profile is in use by a Keybound without a window (keybound listen). "
            "Stop it first, or use another profile."
        )


class InvalidSetting(UserFacingError):
    """A setting's value is out of its range (``Messenger.set_setting``); nothing changed."""


# --- encrypted backups (keybound.backup) ------------------------------------------------


class BackupError(UserFacingError):
    """A backup could not be written, read or restored; the vault was not changed."""


class BackupDamaged(BackupError):
    """The backup file is not a well-formed age file, or part of it fails authentication."""

    def __init__(self, detail: str = "it is damaged or not a Keybound backup") -> None:
        self.detail = detail
        super().__init__(f"The backup cannot be read: {detail}. Nothing was restored.")


class BackupHeaderInvalid(BackupDamaged):
    """The age header does not follow the format (a parser failure, before any key is tried)."""


class BackupTampered(BackupDamaged):
    """The header's MAC does not match: the file was changed after it was written."""

    def __init__(self) -> None:
        super().__init__("its header was changed after it was written")


class BackupTruncated(BackupDamaged):
    """The payload ends before its final chunk: the file was cut short."""

    def __init__(self) -> None:
        super().__init__("the file is incomplete (it ends early)")


class BackupNoMatchingKey(BackupError):
    """None of the backup's recipients can be opened with what was offered."""

    def __init__(
        self,
        message: str = (
            "None of the keys offered opens this backup: it was made for another passphrase "
            "or other security keys."
        ),
    ) -> None:
        super().__init__(message)


class WrongBackupPassphrase(BackupNoMatchingKey):
    """The passphrase does not open the backup's scrypt stanza."""

    def __init__(self) -> None:
        super().__init__("Wrong backup passphrase. Nothing was restored.")


class BackupOfOtherIdentity(BackupError):
    """The backup belongs to another Keybound identity than this profile's."""

    def __init__(self) -> None:
        super().__init__(
            "This backup belongs to another Keybound identity, not to this profile. "
            "Nothing was restored."
        )


class BackupTooNew(BackupError):
    """The backup was written in a newer backup format than this Keybound reads."""

    def __init__(self, found: int, supported: int) -> None:
        self.found, self.supported = found, supported
        super().__init__(
            f"The backup was made by a newer version of Keybound (backup format {found}, "
            f"this version reads up to {supported}). Update Keybound to restore it."
        )


class WeakPassphrase(BackupError):
    """The chosen backup passphrase is too easy to guess."""


class BackupWriteFailed(BackupError):
    """The backup file could not be written (disk full, permissions); no partial file is left."""
