"""Character images: checked by content, bounded, and normalised before any provider sees them.

The type comes from the bytes, never from the file name. Limits are checked on the header,
before a pixel is decoded, so a 30000 x 30000 image costs microseconds to refuse; Pillow's
decompression-bomb guard stays on as a second line. A full decode then proves the file is
whole (a truncated PNG opens, and only fails on load).

Normalisation makes one upload give one canonical file, so an identical upload hashes to
the same sha256 and is reused: EXIF orientation applied (then all metadata dropped, which
also drops GPS tags), longest side at most 2048 px, PNG when the image has real
transparency, otherwise a 4:4:4 JPEG at quality 95. The ICC profile is kept so colours
survive.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.errors import ErrorCode, ReelcraftError

# Magic numbers of the formats accepted: (Pillow format, mime).
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG", "image/png"),
    (b"\xff\xd8\xff", 0, "JPEG", "image/jpeg"),
    (b"WEBP", 8, "WEBP", "image/webp"),
)


_MB = 1024 * 1024


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_side: int = 8000
    max_pixels: int = 40_000_000
    min_side: int = 64  # providers refuse tiny images (fal: image_too_small)
    longest_side: int = 2048  # after normalisation
    jpeg_quality: int = 95


@dataclass(frozen=True)
class NormalisedImage:
    data: bytes
    mime: str
    width: int
    height: int


def _invalid(message: str, **detail: object) -> ReelcraftError:
    return ReelcraftError(ErrorCode.INVALID_INPUT, message, detail=detail)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(Pillow format, mime) of a PNG, JPEG or WebP by its first bytes, else None."""
    for magic, offset, fmt, mime in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (fmt != "WEBP" or data[:4] == b"RIFF"):
            return fmt, mime
    return None


def normalise_image(
    data: bytes, filename: str | None = None, limits: ImageLimits = ImageLimits()
) -> NormalisedImage:
    """Validate an uploaded image and return its canonical form; ReelcraftError(invalid_input)."""
    name = filename or "the image"
    if not data:
        raise _invalid(f"{name} is empty")
    if len(data) > limits.max_bytes:
        raise _invalid(
            f"{name} is {len(data) / _MB:.1f} MB; the limit is {limits.max_bytes / _MB:.0f} MB",
            size_bytes=len(data),
        )
    kind = sniff(data)
    if kind is None:
        raise _invalid(f"{name} is not a PNG, JPEG or WebP image")
    fmt, _ = kind
    with warnings.catch_warnings():
        # Pillow warns (rather than raises) between 1x and 2x its pixel limit; refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                _check_header(im, name, limits)
                return _normalise(im, limits)
        except ReelcraftError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Raised by Image.open itself, before our own check could read the size.
            m = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = f"{int(m.group(1)) / 1e6:.0f} megapixels" if m else "too many pixels"
            raise _invalid(f"{name} has {pixels}; {_limit_text(limits)}") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _invalid(f"{name} is damaged or incomplete: {exc}") from exc


def _limit_text(limits: ImageLimits) -> str:
    return (
        f"the limit is {limits.max_side} px per side and {limits.max_pixels / 1e6:.0f} megapixels"
    )


def _check_header(im: Image.Image, name: str, limits: ImageLimits) -> None:
    w, h = im.size
    if w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
        raise _invalid(
            f"{name} is {w} x {h} px; {_limit_text(limits)}",
            width=w,
            height=h,
        )
    if min(w, h) < limits.min_side:
        raise _invalid(
            f"{name} is {w} x {h} px; at least {limits.min_side} px per side are needed",
            width=w,
            height=h,
        )


def _normalise(im: Image.Image, limits: ImageLimits) -> NormalisedImage:
    icc = im.info.get("icc_profile")
    if im.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still exceeds the target.
        scale = limits.longest_side / max(im.size)
        if scale < 1:
            im.draft("RGB", (max(1, round(im.width * scale)), max(1, round(im.height * scale))))
    im.load()  # the full decode: a truncated or corrupt file fails here
    img = ImageOps.exif_transpose(im) or im
    img = _to_rgb_or_rgba(img)
    if max(img.size) > limits.longest_side:
        img = img.copy()
        img.thumbnail((limits.longest_side, limits.longest_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    save_args: dict[str, object] = {"icc_profile": icc} if isinstance(icc, bytes) else {}
    if img.mode == "RGBA":
        img.save(out, format="PNG", **save_args)
        mime = "image/png"
    else:
        img.save(
            out,
            format="JPEG",
            quality=limits.jpeg_quality,
            subsampling=0,
            optimize=True,
            **save_args,
        )
        mime = "image/jpeg"
    return NormalisedImage(out.getvalue(), mime, img.width, img.height)


def _to_rgb_or_rgba(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: a plain convert would clip everything above 255 to white.
        img = img.point(lambda v: v / 256).convert("L")
    elif img.mode == "F":
        img = img.convert("L")
    has_alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        img.mode == "P" and "transparency" in img.info
    )
    if not has_alpha:
        return img if img.mode == "RGB" else img.convert("RGB")
    rgba = img.convert("RGBA")
    alpha_min, _ = rgba.getchannel("A").getextrema()  # type: ignore[misc]
    # An alpha channel that is opaque everywhere is not transparency: keep the JPEG path.
    return rgba.convert("RGB") if alpha_min == 255 else rgba
