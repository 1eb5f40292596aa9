"""QR codes of invites and safety numbers: drawn with segno, read back with zxing-cpp.

Both are pure functions over bytes (a PNG, or any image file Pillow reads), so
the GUI hands in a file's or the clipboard's image and gets back an invite
link or a safety code, and the CLI does the same with a file.  A scanned code
is only *read* here; whether it is genuine is for ``Messenger.preview_invite``
and ``Messenger.verify_by_code`` to decide.

Decoding runs in a thread (``asyncio.to_thread``) from the callers: a large
photo takes a moment, and the event loop must not wait on it.
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from keybound.errors import InvalidInvite, NoQrCode
from keybound.identity.fingerprint import decode_qr, invite_uri

MAX_PIXELS = 40_000_000  # a photo from a phone is ~12 MP; past this, refuse rather than stall
INVITE_PREFIX = "keybound://"


def render_png(payload: bytes, scale: int = 8, border: int = 4) -> bytes:
    """A PNG of ``payload`` as a QR code (binary mode, error correction M)."""
    qr = segno.make(payload, error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def decode_image(data: bytes, where: str = "image") -> list[bytes]:
    """The payloads of every QR code in an image (``NoQrCode`` when there is none)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise NoQrCode(where)
            gray = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise NoQrCode(where) from None
    found = zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    payloads = [bytes(r.bytes) for r in found if r.valid and r.bytes]
    if not payloads:
        raise NoQrCode(where)
    return payloads


def invite_link_from_image(data: bytes, where: str = "image") -> str:
    """The ``keybound://`` invite link in an image's QR code.

    Keybound's own codes hold the binary invite (``encode_qr``); a code made
    from the link text by any other QR tool is accepted too.  The first code
    that is an invite wins; ``InvalidInvite`` when none is.
    """
    problem: InvalidInvite | None = None
    for payload in decode_image(data, where):
        text = _text(payload)
        if text is not None and text.startswith(INVITE_PREFIX):
            return text
        try:
            return invite_uri(decode_qr(payload))
        except InvalidInvite as exc:
            problem = problem or exc
    raise problem or InvalidInvite("the QR code holds no invite")


def _text(payload: bytes) -> str | None:
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
