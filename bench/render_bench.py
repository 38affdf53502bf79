"""Emulator render speed: compute seconds per output second at 720p and 1080p.

Budget (issue 4): at most about 1 s of compute per output second at 1080p. The baseline,
measured in the same run, is the bare encoder: the same number of identical pre-built
frames through the same libx264 settings, no source scaling, no pan, no audio. The ratio
shows what the emulator adds on top of the encoder it cannot avoid.

    .venv/bin/python bench/render_bench.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

# Run as a script, bench/ comes first on sys.path; a script named like a package would shadow it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.providers.emulator.render import (
    FPS,
    RenderSpec,
    frame_size,
    render_video,
)


def _photo(width: int = 3000, height: int = 2000) -> bytes:
    """A large, photo-like JPEG: what a user drops in, and what makes naive renders slow."""
    rng = np.random.default_rng(7)
    small = Image.fromarray((rng.random((40, 60, 3)) * 255).astype(np.uint8))
    buf = io.BytesIO()
    small.resize((width, height), Image.Resampling.BICUBIC).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bare_encode(spec: RenderSpec, out: Path) -> None:
    frame_data = np.full((spec.height * 3 // 2, spec.width), 128, dtype=np.uint8)
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=FPS, options={"preset": "veryfast", "crf": "26"}
        )
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.thread_type = "AUTO"
        for i in range(spec.frame_count):
            frame = av.VideoFrame.from_ndarray(frame_data, format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _measure(fn: object, *args: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - wall, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    image = _photo()
    print(f"source: 3000x2000 JPEG ({len(image) // 1024} KiB), clip {args.seconds:g} s, 16:9")
    print(f"{'':8}{'render wall/s':>15}{'render cpu/s':>14}{'bare wall/s':>13}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for resolution in ("720p", "1080p"):
            width, height = frame_size(resolution, "16:9")
            spec = RenderSpec(duration_s=args.seconds, width=width, height=height)
            wall, cpu = _measure(render_video, image, spec, Path(tmp) / f"r{resolution}.mp4")
            bare, _ = _measure(_bare_encode, spec, Path(tmp) / f"b{resolution}.mp4")
            print(
                f"{resolution:8}{wall / args.seconds:>15.2f}{cpu / args.seconds:>14.2f}"
                f"{bare / args.seconds:>13.2f}{wall / bare:>7.2f}x"
            )


if __name__ == "__main__":
    main()
