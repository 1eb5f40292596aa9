"""QR codes on screen and from images: segno's PNG as a QImage, a QImage or file read back.

The drawing and reading themselves are the engine's (``keybound.client.qr_codes``);
this module only moves pixels between Qt and bytes, and runs the reading in a
thread so a large photo never freezes the window.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from keybound.client.qr_codes import decode_image, invite_link_from_image, render_png
from keybound.errors import NoQrCode, UserFacingError

SCREEN_SCALE = 6  # pixels per module on screen (a 57-module invite: about 390 px)
FILE_SCALE = 8  # and in a saved PNG, for printing and phone cameras


def qr_image(payload: bytes, scale: int = SCREEN_SCALE) -> QImage:
    image = QImage.fromData(render_png(payload, scale))
    assert not image.isNull()
    return image


def png_bytes(image: QImage) -> bytes:
    """``image`` encoded as PNG (what the clipboard's picture is handed on as)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; runtime wants str
    return bytes(buffer.data().data())


async def save_png(payload: bytes, path: Path) -> None:
    """Write ``payload``'s QR code to ``path`` atomically (a reader never sees half)."""
    data = render_png(payload, FILE_SCALE)
    await asyncio.to_thread(_write_atomically, path, data)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise UserFacingError(f"Cannot write {path}: {exc.strerror}.") from None


async def read_file(path: Path) -> bytes:
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise UserFacingError(f"Cannot read {path}: {exc.strerror}.") from None


async def invite_from_file(path: Path) -> str:
    """The invite link in an image file's QR code."""
    return await asyncio.to_thread(invite_link_from_image, await read_file(path))


async def invite_from_image(image: QImage) -> str:
    """The invite link in a picture (the clipboard's)."""
    if image.isNull():
        raise NoQrCode("clipboard")
    return await asyncio.to_thread(invite_link_from_image, png_bytes(image), "clipboard")


async def codes_in_file(path: Path) -> list[bytes]:
    """Every QR payload in an image file (a safety code is checked by the engine)."""
    return await asyncio.to_thread(decode_image, await read_file(path))


class QrView(QLabel):
    """A QR code drawn pixel-exact (no smoothing: cameras need sharp modules)."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccessibleName(accessible_name)
        self.payload = b""

    def show_payload(self, payload: bytes, scale: int = SCREEN_SCALE) -> None:
        self.payload = payload
        self.setPixmap(QPixmap.fromImage(qr_image(payload, scale)))
