"""The media cache (SPEC section 7): downloads, the content-addressed store, probing,
poster frames, input images, the size budget and Range serving.

The job engine and the HTTP API use ``MediaStore`` and ``serve_file``; the other modules
are its parts, one concept each:

- ``download``: resumable HTTP download with retries, size and digest checks
- ``digests``: checksums servers announce (Repr-Digest, Digest, x-goog-hash, Content-MD5)
- ``probe``: PyAV proof that a video plays, and its metadata
- ``thumbnails``: poster frames (first keyframe) as JPEGs at two widths
- ``images``: validation and normalisation of uploaded character images
- ``layout``: where files live, atomic publishing
- ``rows``: the ``media`` table
- ``eviction``: the size budget, LRU order and the pin rule
- ``ranges`` / ``responses``: HTTP Range parsing and Starlette responses
"""

from service.media.download import DownloadPolicy
from service.media.eviction import PinnedQuery, generations_pins
from service.media.images import ImageLimits
from service.media.ranges import ByteRange, RangeNotSatisfiable, file_chunks, parse_range
from service.media.responses import range_response, serve_file
from service.media.store import HeadersLookup, MediaStore

__all__ = [
    "ByteRange",
    "DownloadPolicy",
    "HeadersLookup",
    "ImageLimits",
    "MediaStore",
    "PinnedQuery",
    "RangeNotSatisfiable",
    "file_chunks",
    "generations_pins",
    "parse_range",
    "range_response",
    "serve_file",
]
