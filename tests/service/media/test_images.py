"""Character images: accepted by content, refused with invalid_input, normalised, deduplicated."""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path

import pytest
from PIL import Image

from service.media import MediaStore
from shared.errors import ErrorCode, ReelcraftError
from shared.media_schemas import MediaKind, MediaStatus, ThumbnailSize
from tests.service.media.clips import huge_png, image_bytes
from tests.service.media.conftest import files_under


def _open(path: Path) -> Image.Image:
    im = Image.open(path)
    im.load()
    return im


@pytest.mark.parametrize(
    ("fmt", "save"),
    [("PNG", {}), ("JPEG", {"quality": 90}), ("WEBP", {"quality": 90})],
)
async def test_png_jpeg_and_webp_are_accepted_and_stored_by_hash(
    store: MediaStore, fmt: str, save: dict[str, object]
) -> None:
    data = image_bytes(fmt, (640, 480), **save)
    image = await store.ingest_input_image(data, f"character.{fmt.lower()}")

    assert (image.width, image.height) == (640, 480)
    assert image.mime == "image/jpeg" and not image.reused  # opaque: high-quality JPEG
    path = await store.path_for(image.sha256)
    assert path is not None
    stored = path.read_bytes()
    assert hashlib.sha256(stored).hexdigest() == image.sha256 and len(stored) == image.size_bytes
    with _open(path) as im:
        assert im.format == "JPEG" and im.size == (640, 480)
    info = await store.info(image.sha256)
    assert info is not None and info.kind is MediaKind.IMAGE and info.status is MediaStatus.CACHED


async def test_transparency_is_kept_as_png(store: MediaStore) -> None:
    rgba = Image.new("RGBA", (300, 200), (255, 0, 0, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 100, 100))
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    image = await store.ingest_input_image(buf.getvalue(), "cut-out.png")
    assert image.mime == "image/png"
    path = await store.path_for(image.sha256)
    assert path is not None
    with _open(path) as im:
        assert im.mode == "RGBA" and im.getpixel((10, 10))[3] == 0


async def test_orientation_is_applied_metadata_dropped_and_size_capped(
    store: MediaStore,
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": phones write this instead of rotating
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude: must not leave the machine
    data = image_bytes("JPEG", (3000, 1500), exif=exif.tobytes())
    image = await store.ingest_input_image(data, "IMG_0001.JPG")

    assert (image.width, image.height) == (1024, 2048)  # upright, longest side 2048
    path = await store.path_for(image.sha256)
    assert path is not None
    with _open(path) as im:
        assert im.size == (1024, 2048)
        assert not im.getexif()  # no orientation left to apply twice, no GPS


async def test_identical_upload_is_reused(store: MediaStore, media_dir: Path) -> None:
    data = image_bytes("PNG", (512, 512))
    first = await store.ingest_input_image(data, "a.png")
    second = await store.ingest_input_image(data, "renamed.png")
    assert second.sha256 == first.sha256
    assert (first.reused, second.reused) == (False, True)
    assert len(files_under(media_dir, f"{first.sha256}.*")) == 1
    assert await store.cached_bytes() == first.size_bytes


async def test_library_thumbnail_of_an_input_image(store: MediaStore) -> None:
    image = await store.ingest_input_image(image_bytes("PNG", (800, 400)), "wide.png")
    thumb = await store.thumbnail(image.sha256, ThumbnailSize.SMALL)
    assert thumb is not None
    with _open(thumb) as im:
        assert im.format == "JPEG" and im.size == (96, 48)


def _truncated_png() -> bytes:
    data = image_bytes("PNG", (640, 480))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"just some notes, not a picture\n" * 20, "notes.png", "not a PNG, JPEG or WebP"),
        (_truncated_png(), "character.png", "damaged or incomplete"),
        (huge_png(30000), "huge.png", "900 megapixels; the limit is 8000 px per side"),
        (huge_png(9000), "wide.png", "9000 x 9000 px; the limit is 8000 px per side"),
        (image_bytes("PNG", (40, 40)), "icon.png", "at least 64 px"),
        (b"\x89PNG\r\n\x1a\n" + bytes(21 * 1024 * 1024), "big.png", "the limit is 20 MB"),
        (b"", "empty.png", "is empty"),
    ],
    ids=[
        "text-named-png",
        "truncated-png",
        "30000x30000",
        "9000x9000",
        "too-small",
        "over-20MB",
        "empty",
    ],
)
async def test_bad_images_are_refused_with_invalid_input(
    store: MediaStore, media_dir: Path, data: bytes, name: str, says: str
) -> None:
    started = time.monotonic()
    with pytest.raises(ReelcraftError) as err:
        await store.ingest_input_image(data, name)
    assert err.value.code is ErrorCode.INVALID_INPUT
    assert says in err.value.message and name in err.value.message
    # Refused from the header alone: no decode of 900 megapixels.
    assert time.monotonic() - started < 1.0
    assert files_under(media_dir, "*.jpg") + files_under(media_dir, "*.png") == []
    assert await store.cached_bytes() == 0
