"""Small JPEG previews of images, sent inline with the attachment message.

Made from the pixels only (EXIF, GPS and other metadata never leave), turned
upright first, and kept under the protocol's inline limit.  Anything Pillow
cannot read, or refuses as a decompression bomb, simply gets no thumbnail.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from keybound.protocol.content import MAX_THUMBNAIL

EDGE = 320  # longest side in pixels


def make_thumbnail(path: Path, media_type: str) -> bytes | None:
    """A JPEG preview of the image at ``path``, or None when it is not a readable image."""
    if not media_type.startswith("image/"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((EDGE, EDGE))
                pixels = upright.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    for quality in (75, 60, 45, 30):
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_THUMBNAIL:
            return out.getvalue()
    return None
