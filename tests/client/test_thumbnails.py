"""Thumbnails: small, upright, without metadata; non-images and bombs get none."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from keybound.client.thumbnails import EDGE, make_thumbnail
from keybound.protocol.content import MAX_THUMBNAIL


def test_a_large_photo_becomes_a_small_jpeg_without_its_metadata(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
    Image.new("RGB", (4000, 2000), (200, 40, 40)).save(photo, "JPEG", exif=exif)
    thumb = make_thumbnail(photo, "image/jpeg")
    assert thumb is not None and len(thumb) <= MAX_THUMBNAIL
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "JPEG"
        assert image.size[1] == EDGE and image.size[0] < EDGE  # turned upright
        assert not image.getexif()
    assert b"SecretCam" not in thumb


def test_noise_still_fits_the_inline_limit(tmp_path: Path) -> None:
    noise = tmp_path / "noise.png"
    Image.frombytes("RGB", (1024, 1024), bytes(range(256)) * 12 * 1024).save(noise)
    thumb = make_thumbnail(noise, "image/png")
    assert thumb is not None and len(thumb) <= MAX_THUMBNAIL


def test_not_an_image_gets_no_thumbnail(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not a picture at all")
    assert make_thumbnail(fake, "image/png") is None
    assert make_thumbnail(fake, "application/pdf") is None


def test_a_decompression_bomb_gets_no_thumbnail(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "big.png"
    Image.new("L", (3000, 3000)).save(big)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    assert make_thumbnail(big, "image/png") is None
