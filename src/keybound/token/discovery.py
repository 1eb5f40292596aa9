"""Find the tokens that are present and open one.

Every PC/SC reader with a card is asked for the OpenPGP and the FIDO2 applet
(one card may hold both); USB FIDO keys come from HID. Opening a FIDO2 token
also finds which remembered credential it holds (see ``registry``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..errors import KeyboundError, TokenNotFound
from . import fido2_token, pcsc
from .base import PublicKey, Token, TokenKind, TokenRef, Transport
from .openpgp.card import OpenPgpToken, probe
from .prompter import Prompter


def list_tokens(skip: Collection[str] = ()) -> list[TokenRef]:
    """All present tokens, OpenPGP cards first, in reader order.

    ``skip``: readers not to touch (a card in use there: a probe's disconnect
    would reset it under its open connection)."""
    found: list[TokenRef] = []
    for reader in pcsc.list_readers():
        if reader in skip:
            continue
        try:
            transport = pcsc.PcscTransport(reader)
        except KeyboundError:
            continue  # empty reader, or card pulled while we looked
        try:
            ref = probe(transport)
            if ref is not None:
                found.append(ref)
        except KeyboundError:
            pass
        finally:
            transport.close()
        try:
            fido = fido2_token.probe_pcsc(reader)
        except KeyboundError:
            fido = None
        if fido is not None:
            found.append(fido)
    found.extend(r for r in fido2_token.list_hid() if r.reader not in skip)
    return found


def select(
    refs: Sequence[TokenRef],
    kind: TokenKind | None = None,
    serial: str | None = None,
    reader: str | None = None,
) -> TokenRef:
    """The one token matching the filters; a clear error when none or several match."""
    matches = [
        r
        for r in refs
        if (kind is None or r.kind is kind)
        and (serial is None or r.serial == serial)
        and (reader is None or r.reader == reader)
    ]
    if not matches:
        raise TokenNotFound("No matching security key or smartcard is connected.")
    if len(matches) > 1:
        names = "; ".join(f"{r.label} in {r.reader}" for r in matches)
        raise TokenNotFound(
            f"Several tokens match ({names}). Choose one with --serial or --reader."
        )
    return matches[0]


def open_token(ref: TokenRef, prompter: Prompter, known: Sequence[PublicKey] = ()) -> Token:
    """Open ``ref``; for FIDO2, bind the remembered credential this key holds, if any."""
    if ref.kind is TokenKind.OPENPGP:
        return OpenPgpToken(pcsc.PcscTransport(ref.reader), prompter, ref.transport)
    if ref.transport is Transport.HID:
        token = fido2_token.open_hid(ref.reader, prompter)
    else:
        token = fido2_token.open_pcsc(ref.reader, prompter)
    if known:
        token.credential = token.find_credential(known)
    return token
