"""Proof that a downloaded file is a playable video, and what is in it (PyAV, in-process).

The probe is the last gate before a job may become ``ready``, so it checks what a viewer
would notice rather than what the container claims:

- the container opens and is one we serve (MP4/MOV or WebM) with a video stream;
- every packet the index promises can be read (a cut-off file with its index in front
  still opens, and only this count reveals it);
- the first video frame decodes (it becomes the poster frame, so it is returned);
- the duration is positive.

``decode_all`` additionally decodes every video frame. That is the only check that catches
bytes flipped inside the picture data when no digest is known; it costs a few hundred
milliseconds on a 1080p clip, so the store uses it only when nothing else vouches for the
bytes (see ``store.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image


class ProbeError(Exception):
    """The file is not a playable video; the message says what a person would see."""


@dataclass(frozen=True)
class ProbeResult:
    mime: str
    duration_s: float
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    has_audio: bool
    first_frame: Image.Image  # the poster source, at most POSTER_SOURCE_WIDTH wide


def _mime_of(format_name: str) -> str:
    names = set(format_name.split(","))
    if "mp4" in names or "mov" in names:
        return "video/mp4"
    if "webm" in names or "matroska" in names:
        return "video/webm"
    raise ProbeError(f"unsupported container {format_name!r}")


def probe_video(path: Path, *, decode_all: bool = False) -> ProbeResult:
    """Open, demux and decode enough of ``path`` to know it plays; raise ProbeError if not."""
    try:
        return _probe(path, decode_all)
    except ProbeError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as exc:
        # FFmpeg reports damage in many shapes (InvalidDataError, EOF, EINVAL ...).
        raise ProbeError(f"the file does not decode: {exc}") from exc


def _probe(path: Path, decode_all: bool) -> ProbeResult:
    with av.open(str(path), mode="r") as container:
        mime = _mime_of(container.format.name)
        if not container.streams.video:
            raise ProbeError("the file has no video stream")
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        width, height = video.codec_context.width, video.codec_context.height
        if width <= 0 or height <= 0:
            raise ProbeError("the video has no picture size")

        duration_s = _duration(container, video)
        if duration_s <= 0:
            raise ProbeError("the video has no duration")

        first = next(container.decode(video), None)
        if first is None:
            raise ProbeError("no video frame decodes")
        first_frame = _poster_source(first, width, height)

        container.seek(0)
        _check_packets(container, video, decode_all)

        return ProbeResult(
            mime=mime,
            duration_s=duration_s,
            width=width,
            height=height,
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio is not None else None,
            has_audio=audio is not None,
            first_frame=first_frame,
        )


# Posters are at most 320 px wide; converting the frame at twice that is plenty for a sharp
# downscale and much cheaper than converting a 1080p frame to RGB at full size.
POSTER_SOURCE_WIDTH = 640


def _poster_source(frame: av.VideoFrame, width: int, height: int) -> Image.Image:
    if width > POSTER_SOURCE_WIDTH:
        height = max(2, round(height * POSTER_SOURCE_WIDTH / width / 2) * 2)
        width = POSTER_SOURCE_WIDTH
    image: Image.Image = frame.to_image(width=width, height=height)  # type: ignore[no-untyped-call]
    return image


def _duration(container: av.container.InputContainer, video: av.VideoStream) -> float:
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / av.time_base
    if video.duration is not None and video.time_base is not None:
        return float(video.duration * video.time_base)
    return 0.0


def _check_packets(
    container: av.container.InputContainer, video: av.VideoStream, decode_all: bool
) -> None:
    """Read every packet of the video stream; a short count means the file was cut off."""
    packets = 0
    frames = 0
    for packet in container.demux(video):
        if packet.size == 0:  # the flush packet PyAV yields at the end
            continue
        packets += 1
        if decode_all:
            frames += len(packet.decode())
    if decode_all:
        # Frames still buffered in the decoder (B-frames) come out on the final flush.
        frames += len(video.codec_context.decode(None))
        if frames < packets:
            raise ProbeError(f"only {frames} of {packets} video frames decode")
    promised = video.frames
    if promised and packets < promised:
        raise ProbeError(f"the file is cut off: {packets} of {promised} video frames present")
    if packets == 0:
        raise ProbeError("the video stream is empty")
