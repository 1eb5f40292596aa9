"""The CTAP 2.1 authenticator core of the virtual FIDO2 card (transport-free).

``Authenticator.handle`` takes one CTAP request (command byte + CBOR) and
returns either the response (status byte + canonical CBOR) or a
:class:`NeedsPresence` whose ``finish`` produces the response once the person
has touched the key. The NFC layer (``fido2_applet``) decides how to wait for
that touch (keepalive polling or blocking), so this module never blocks and
never looks at APDUs.

Simplifications, all permitted by the spec for an authenticator without
built-in UV: no enterprise attestation, no credential management, no large
blobs, self attestation only, one global signature counter, and
authenticatorReset is accepted at any time (a real key allows it only in the
first 10 s after power-up).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fido2 import cbor

from .fido2_creds import SUPPORTED_ALGORITHMS, Credential, new_credential, open_credential
from .fido2_pin import PERM_GA, PERM_MC, ClientPin, PinProtocol, protocol_for
from .fido2_status import ERR, CtapFailure

AAGUID = b"KeyboundSimFIDO2"  # fixed 16 bytes: this simulator's model
FIRMWARE_VERSION = 0x00010000
MAX_MSG_SIZE = 2048

CMD_MAKE_CREDENTIAL = 0x01
CMD_GET_ASSERTION = 0x02
CMD_GET_INFO = 0x04
CMD_CLIENT_PIN = 0x06
CMD_RESET = 0x07
CMD_GET_NEXT_ASSERTION = 0x08
CMD_SELECTION = 0x0B

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40
FLAG_ED = 0x80


@dataclass(frozen=True)
class NeedsPresence:
    """The command is valid and waits for a touch; ``finish`` completes it."""

    finish: Callable[[], bytes]


Reply = bytes | NeedsPresence


def ok(payload: Mapping[Any, Any] | None = None) -> bytes:
    """Status 0x00 and the canonical CBOR map (nothing for an empty result)."""
    return b"\x00" + (cbor.encode(payload) if payload else b"")


def _auth_data(
    rp_id_hash: bytes,
    flags: int,
    counter: int,
    attested: bytes = b"",
    extensions: dict[str, Any] | None = None,
) -> bytes:
    data = rp_id_hash + bytes((flags,)) + counter.to_bytes(4, "big") + attested
    if extensions:
        data += cbor.encode(extensions)
    return data


class Authenticator:
    """Credentials, PIN and counters of one virtual FIDO2 authenticator."""

    def __init__(self, state: Mapping[str, Any] | None) -> None:
        state = state or {}
        self._dirty = "master" not in state
        self.master = bytes.fromhex(state["master"]) if "master" in state else os.urandom(32)
        self.sign_count: int = int(state.get("sign_count", 0))
        self.resident: list[dict[str, Any]] = [dict(r) for r in state.get("resident", [])]
        self.pin = ClientPin(state.get("pin"))
        self._next: _NextAssertions | None = None

    # --- state -----------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._dirty or self.pin.dirty

    def mark_saved(self) -> None:
        self._dirty = False
        self.pin.dirty = False

    def to_state(self) -> dict[str, Any]:
        return {
            "master": self.master.hex(),
            "sign_count": self.sign_count,
            "resident": [dict(r) for r in self.resident],
            "pin": self.pin.to_state(),
        }

    def power_cycle(self) -> None:
        self.pin.power_cycle()
        self._next = None

    # --- dispatch ----------------------------------------------------------------------

    def handle(self, request: bytes) -> Reply:
        """One CTAP request in, a response (or a wait for presence) out."""
        if not request:
            return bytes((ERR.INVALID_LENGTH,))
        command, body = request[0], request[1:]
        try:
            params = self._decode(body)
            if command != CMD_GET_NEXT_ASSERTION:
                self._next = None
            if command == CMD_GET_INFO:
                return ok(self.info())
            if command == CMD_MAKE_CREDENTIAL:
                return self.make_credential(params)
            if command == CMD_GET_ASSERTION:
                return self.get_assertion(params)
            if command == CMD_GET_NEXT_ASSERTION:
                return self.get_next_assertion()
            if command == CMD_CLIENT_PIN:
                return ok(self.pin.handle(params))
            if command == CMD_RESET:
                return NeedsPresence(guarded(self.factory_reset))
            if command == CMD_SELECTION:
                return NeedsPresence(lambda: ok())
            return bytes((ERR.INVALID_COMMAND,))
        except CtapFailure as failure:
            return bytes((failure.code,))

    @staticmethod
    def _decode(body: bytes) -> dict[Any, Any]:
        if not body:
            return {}
        try:
            value = cbor.decode(body)
        except Exception:  # any malformed input is the platform's fault, never ours
            raise CtapFailure(ERR.INVALID_CBOR) from None
        if not isinstance(value, dict):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        return value

    # --- authenticatorGetInfo ------------------------------------------------------------

    def info(self) -> dict[int, Any]:
        return {
            1: ["FIDO_2_0", "FIDO_2_1"],
            2: ["credProtect", "hmac-secret"],
            3: AAGUID,
            4: {
                "rk": True,
                "up": True,
                "plat": False,
                "clientPin": self.pin.is_set,
                "pinUvAuthToken": True,
            },
            5: MAX_MSG_SIZE,
            6: [2, 1],
            9: ["nfc"],
            10: [{"alg": alg, "type": "public-key"} for alg in SUPPORTED_ALGORITHMS],
            13: 4,
            14: FIRMWARE_VERSION,
        }

    # --- authenticatorReset -----------------------------------------------------------

    def factory_reset(self) -> bytes:
        self.master = os.urandom(32)
        self.sign_count = 0
        self.resident = []
        self.pin.factory_reset()
        self._dirty = True
        return ok()

    # --- shared checks -------------------------------------------------------------

    def _pin_uv(
        self,
        param: Any,
        protocol_version: Any,
        client_data_hash: bytes,
        permission: int,
        rp_id: str,
    ) -> Reply | bool:
        """pinUvAuthParam handling common to MC and GA; True when the request is UV'd.

        A zero-length pinUvAuthParam is the platform asking "touch to pick this
        key": collect presence, then say whether a PIN is set (§6.1.2 step 1).
        """
        if param is None:
            return False
        if not isinstance(param, bytes):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        if len(param) == 0:
            code = ERR.PIN_INVALID if self.pin.is_set else ERR.PIN_NOT_SET
            return NeedsPresence(lambda: bytes((code,)))
        if protocol_version is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        protocol = protocol_for(protocol_version)
        self.pin.check_param(protocol, client_data_hash, param, permission, rp_id)
        return True

    def _next_counter(self) -> int:
        self.sign_count += 1
        self._dirty = True
        return self.sign_count

    # --- authenticatorMakeCredential --------------------------------------------------

    def make_credential(self, params: Mapping[int, Any]) -> Reply:
        client_data_hash, rp, user, cred_params = (params.get(k) for k in (1, 2, 3, 4))
        if client_data_hash is None or rp is None or user is None or cred_params is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        if not (
            isinstance(client_data_hash, bytes)
            and isinstance(rp, Mapping)
            and isinstance(user, Mapping)
        ):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        rp_id, user_id = rp.get("id"), user.get("id")
        if not isinstance(rp_id, str) or not isinstance(user_id, bytes):
            raise CtapFailure(
                ERR.MISSING_PARAMETER
                if rp_id is None or user_id is None
                else ERR.CBOR_UNEXPECTED_TYPE
            )
        uv = self._pin_uv(params.get(8), params.get(9), client_data_hash, PERM_MC, rp_id)
        if isinstance(uv, NeedsPresence):
            return uv
        alg = _choose_algorithm(cred_params)
        options = _options(params.get(7))
        rk = bool(options.get("rk", False))
        if options.get("up") is False:
            raise CtapFailure(ERR.INVALID_OPTION)
        if options.get("uv") is True and not uv:
            raise CtapFailure(ERR.INVALID_OPTION)  # no built-in user verification
        if self.pin.is_set and not uv:
            raise CtapFailure(ERR.PUAT_REQUIRED)
        hmac_secret, cred_protect = _mc_extensions(params.get(6))
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()

        for descriptor in _descriptors(params.get(5)):
            excluded = open_credential(self.master, rp_id_hash, descriptor)
            if excluded is not None and (excluded.cred_protect < 3 or uv):
                return NeedsPresence(lambda: bytes((ERR.CREDENTIAL_EXCLUDED,)))

        def finish() -> bytes:
            credential = new_credential(self.master, rp_id_hash, alg, cred_protect, hmac_secret)
            if rk:
                self._store_resident(credential, rp_id, dict(user))
            flags = FLAG_UP | FLAG_AT | (FLAG_UV if uv else 0)
            extensions: dict[str, Any] = {}
            if hmac_secret:
                extensions["hmac-secret"] = True
            if cred_protect > 1:
                extensions["credProtect"] = cred_protect
            if extensions:
                flags |= FLAG_ED
            attested = (
                AAGUID
                + len(credential.credential_id).to_bytes(2, "big")
                + credential.credential_id
                + cbor.encode(credential.cose_public_key())
            )
            auth_data = _auth_data(rp_id_hash, flags, self._next_counter(), attested, extensions)
            signature = credential.sign(auth_data + client_data_hash)
            self.pin.clear_permissions()
            return ok({1: "packed", 2: auth_data, 3: {"alg": alg, "sig": signature}})

        return NeedsPresence(guarded(finish))

    def _store_resident(self, credential: Credential, rp_id: str, user: dict[str, Any]) -> None:
        """Keep one resident credential per (RP, user id), newest last."""
        self.resident = [
            r for r in self.resident if not (r["rp_id"] == rp_id and _user(r)["id"] == user["id"])
        ]
        self.resident.append(
            {"id": credential.credential_id.hex(), "rp_id": rp_id, "user": cbor.encode(user).hex()}
        )
        self._dirty = True

    # --- authenticatorGetAssertion -------------------------------------------------

    def get_assertion(self, params: Mapping[int, Any]) -> Reply:
        rp_id, client_data_hash = params.get(1), params.get(2)
        if rp_id is None or client_data_hash is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        if not isinstance(rp_id, str) or not isinstance(client_data_hash, bytes):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        uv = self._pin_uv(params.get(6), params.get(7), client_data_hash, PERM_GA, rp_id)
        if isinstance(uv, NeedsPresence):
            return uv
        options = _options(params.get(5))
        if "rk" in options:
            raise CtapFailure(ERR.UNSUPPORTED_OPTION)
        if options.get("uv") is True and not uv:
            raise CtapFailure(ERR.INVALID_OPTION)
        up = options.get("up", True) is not False
        extensions = params.get(4) or {}
        if not isinstance(extensions, Mapping):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)

        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        allow_list = params.get(3)
        found: list[tuple[Credential, dict[str, Any] | None]] = []
        if allow_list:
            for descriptor in _descriptors(allow_list):
                credential = open_credential(self.master, rp_id_hash, descriptor)
                # credProtect 3 (userVerificationRequired) hides the credential without UV.
                if credential is not None and (credential.cred_protect < 3 or uv):
                    found.append((credential, self._resident_user(descriptor)))
                    break
        else:
            for entry in reversed(self.resident):
                if entry["rp_id"] != rp_id:
                    continue
                credential = open_credential(self.master, rp_id_hash, bytes.fromhex(entry["id"]))
                # credProtect 2 and 3 hide discoverable credentials without UV.
                if credential is not None and (credential.cred_protect < 2 or uv):
                    found.append((credential, _user(entry)))
        if not found:
            raise CtapFailure(ERR.NO_CREDENTIALS)

        hmac_input = extensions.get("hmac-secret")

        def assertion(
            credential: Credential, user: dict[str, Any] | None, count: int | None
        ) -> bytes:
            flags = (FLAG_UP if up else 0) | (FLAG_UV if uv else 0)
            ext_out: dict[str, Any] = {}
            if hmac_input is not None:
                output = self._hmac_secret(hmac_input, credential, bool(uv))
                if output is not None:
                    ext_out["hmac-secret"] = output
            if ext_out:
                flags |= FLAG_ED
            auth_data = _auth_data(rp_id_hash, flags, self._next_counter(), extensions=ext_out)
            response: dict[int, Any] = {
                1: {"id": credential.credential_id, "type": "public-key"},
                2: auth_data,
                3: credential.sign(auth_data + client_data_hash),
            }
            if user is not None:
                response[4] = user if uv else {"id": user["id"]}
            if count is not None:
                response[5] = count
            return ok(response)

        def finish() -> bytes:
            first, user = found[0]
            count = len(found) if not allow_list and len(found) > 1 else None
            if count is not None:
                self._next = _NextAssertions(found[1:], assertion)
            if up:
                self.pin.clear_permissions()
            return assertion(first, user, count)

        if up:
            return NeedsPresence(guarded(finish))
        return guarded(finish)()

    def get_next_assertion(self) -> bytes:
        pending = self._next
        if pending is None or not pending.remaining:
            self._next = None
            raise CtapFailure(ERR.NOT_ALLOWED)
        credential, user = pending.remaining.pop(0)
        return pending.build(credential, user, None)

    def _resident_user(self, credential_id: bytes) -> dict[str, Any] | None:
        for entry in self.resident:
            if entry["id"] == credential_id.hex():
                return _user(entry)
        return None

    def _hmac_secret(self, ext_input: Any, credential: Credential, uv: bool) -> bytes | None:
        """hmac-secret (CTAP 2.1 §12.5): HMAC-SHA-256(CredRandom, salt), one per UV state."""
        if not isinstance(ext_input, Mapping):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        key_agreement, salt_enc, salt_auth = ext_input.get(1), ext_input.get(2), ext_input.get(3)
        if key_agreement is None or salt_enc is None or salt_auth is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        if not isinstance(salt_enc, bytes) or not isinstance(salt_auth, bytes):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        protocol: PinProtocol = protocol_for(ext_input.get(4, 1))
        shared = self.pin.key_agreements[protocol.version].shared_secret(key_agreement)
        if not protocol.verify(shared, salt_enc, salt_auth):
            raise CtapFailure(ERR.PIN_AUTH_INVALID)
        salts = protocol.decrypt(shared, salt_enc)
        if len(salts) not in (32, 64):
            raise CtapFailure(ERR.INVALID_LENGTH)
        cred_random = credential.cred_random_uv if uv else credential.cred_random_no_uv
        if cred_random is None:
            return None  # made without hmac-secret: no output, as the spec says
        output = b"".join(
            hmac.new(cred_random, salts[i : i + 32], hashlib.sha256).digest()
            for i in range(0, len(salts), 32)
        )
        return protocol.encrypt(shared, output)


@dataclass
class _NextAssertions:
    remaining: list[tuple[Credential, dict[str, Any] | None]]
    build: Callable[[Credential, dict[str, Any] | None, int | None], bytes]


def guarded(finish: Callable[[], bytes]) -> Callable[[], bytes]:
    """Run a finish step, turning a CTAP failure into its status byte."""

    def run() -> bytes:
        try:
            return finish()
        except CtapFailure as failure:
            return bytes((failure.code,))

    return run


def _user(entry: Mapping[str, Any]) -> dict[str, Any]:
    user = cbor.decode(bytes.fromhex(entry["user"]))
    assert isinstance(user, dict)
    return user


def _options(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
    return value


def _descriptors(value: Any) -> list[bytes]:
    """Credential IDs of a PublicKeyCredentialDescriptor list (other types skipped)."""
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, (bytes, str)):
        raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
    ids = []
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), bytes):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        if item.get("type") == "public-key":
            ids.append(item["id"])
    return ids


def _choose_algorithm(cred_params: Any) -> int:
    """The first public-key algorithm we support, in the platform's order of preference."""
    if not isinstance(cred_params, Sequence) or isinstance(cred_params, (bytes, str)):
        raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
    for item in cred_params:
        if not isinstance(item, Mapping):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        if item.get("type") == "public-key" and item.get("alg") in SUPPORTED_ALGORITHMS:
            return int(item["alg"])
    raise CtapFailure(ERR.UNSUPPORTED_ALGORITHM)


def _mc_extensions(value: Any) -> tuple[bool, int]:
    """(hmac-secret requested, credProtect level) from makeCredential extensions."""
    extensions = _options(value)
    hmac_secret = extensions.get("hmac-secret") is True
    cred_protect = extensions.get("credProtect", 1)
    if isinstance(cred_protect, bool) or cred_protect not in (1, 2, 3):
        raise CtapFailure(ERR.INVALID_OPTION)
    return hmac_secret, int(cred_protect)
