"""Checksums a server publishes for a file, and checking a download against them.

Bit flips inside the picture data of an H.264 stream still decode (FFmpeg conceals the
damage), so only a checksum proves the bytes are the ones the provider rendered. Servers
announce one in several dialects; each is a digest of the whole file (the representation),
except ``Content-Digest`` and ``Content-MD5``, which describe one message body and therefore
count only on a complete ``200`` response:

- ``Repr-Digest`` / ``Content-Digest`` (RFC 9530): ``sha-256=:<base64>:``
- ``Digest`` (RFC 3230): ``SHA-256=<base64>``, ``MD5=<base64>``
- ``x-goog-hash`` (Google Cloud Storage, where Veo downloads redirect): ``md5=<base64>``
- ``Content-MD5`` (RFC 1864): ``<base64>``
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

_ALGORITHMS = {"sha-256": "sha256", "sha-512": "sha512", "md5": "md5"}


@dataclass(frozen=True)
class Digest:
    algorithm: str  # hashlib name
    hex: str
    source: str  # the header (or "caller") it came from, for error messages


def _from_b64(algorithm: str, value: str, source: str) -> Digest | None:
    name = _ALGORITHMS.get(algorithm.strip().lower())
    if name is None:
        return None
    try:
        raw = base64.b64decode(value.strip().strip(":"), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != hashlib.new(name).digest_size:
        return None
    return Digest(name, raw.hex(), source)


def _pairs(values: Iterable[str]) -> Iterable[tuple[str, str]]:
    for value in values:
        for item in value.split(","):
            key, sep, val = item.partition("=")
            if sep:
                yield key, val


def digests_from_headers(headers: httpx.Headers, *, full_body: bool) -> list[Digest]:
    """Every usable digest a response announces for the whole file."""
    found: list[Digest] = []
    sources = ["repr-digest", "digest", "x-goog-hash"]
    if full_body:
        sources.append("content-digest")
    for header in sources:
        for key, val in _pairs(headers.get_list(header)):
            d = _from_b64(key, val, header)
            if d is not None:
                found.append(d)
    if full_body:
        for val in headers.get_list("content-md5"):
            d = _from_b64("md5", val, "content-md5")
            if d is not None:
                found.append(d)
    return found


def caller_sha256(hex_digest: str) -> Digest:
    return Digest("sha256", hex_digest.lower(), "caller")


def mismatches(path: Path, expected: Iterable[Digest], sha256_hex: str) -> list[str]:
    """The checks that fail, as readable strings; sha-256 reuses the hash taken in flight."""
    wanted = {(d.algorithm, d.hex): d for d in expected}
    if not wanted:
        return []
    actual: dict[str, str] = {"sha256": sha256_hex}
    others = {alg for alg, _ in wanted if alg not in actual}
    if others:
        hashers = {alg: hashlib.new(alg) for alg in others}
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                for h in hashers.values():
                    h.update(block)
        actual.update({alg: h.hexdigest() for alg, h in hashers.items()})
    return [
        f"{d.source} {d.algorithm} {d.hex[:12]}... != {actual[d.algorithm][:12]}..."
        for (alg, hex_), d in wanted.items()
        if actual[alg] != hex_
    ]
