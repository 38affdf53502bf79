"""Images fetched from the service (input characters, video thumbnails), decoded once, off
the UI thread; `loaded` tells views to repaint the one item concerned."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from uuid import UUID

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from desktop.async_slot import spawn
from desktop.bridge import ServiceBridge
from shared.errors import ReelcraftError

if TYPE_CHECKING:
    from shared.client import ServiceClient

log = logging.getLogger(__name__)
MAX_IMAGES = 300
# Views show these at most ~320 px tall; keeping a bigger copy only makes every scaling slow.
MAX_SIDE = 640
Fetch = Callable[["ServiceClient"], Awaitable[bytes]]


def _decode(data: bytes) -> QImage:
    image = QImage.fromData(data)
    if not image.isNull() and max(image.width(), image.height()) > MAX_SIDE:
        image = image.scaled(
            MAX_SIDE,
            MAX_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


async def decode(data: bytes) -> QImage:
    """Decode (and shrink) off the UI thread: a character PNG takes ~15 ms to decode, and
    several arriving together would stall the window (QImage, unlike QPixmap, is safe to
    build in another thread)."""
    return await asyncio.get_running_loop().run_in_executor(None, _decode, data)


class ImageCache(QObject):
    loaded = Signal(str)  # key: "input:<sha256>" or "thumb:<generation id>:<size>"

    def __init__(self, bridge: ServiceBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._pending: set[str] = set()
        self._failed: set[str] = set()

    @staticmethod
    def input_key(sha256: str) -> str:
        return f"input:{sha256}"

    @staticmethod
    def thumb_key(generation_id: UUID, size: str = "large") -> str:
        return f"thumb:{generation_id}:{size}"

    def put(self, key: str, image: QImage) -> None:
        if max(image.width(), image.height()) > MAX_SIDE:
            image = image.scaled(
                MAX_SIDE,
                MAX_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self._images[key] = image
        self._images.move_to_end(key)
        while len(self._images) > MAX_IMAGES:
            self._images.popitem(last=False)
        self.loaded.emit(key)

    def input_image(self, sha256: str) -> QImage | None:
        key = self.input_key(sha256)
        return self._get(key, lambda c: c.input_image(sha256))

    def thumbnail(self, generation_id: UUID, size: str = "large") -> QImage | None:
        key = self.thumb_key(generation_id, size)
        return self._get(key, lambda c: c.thumbnail(generation_id, size))

    def _get(self, key: str, fetch: Fetch) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image
        client = self._bridge.client
        if client is None or key in self._pending or key in self._failed:
            return None
        self._pending.add(key)
        spawn(self._fetch(key, fetch))
        return None

    async def _fetch(self, key: str, fetch: Fetch) -> None:
        client = self._bridge.client
        try:
            if client is None:
                return
            image = await decode(await fetch(client))
            if image.isNull():
                self._failed.add(key)
            else:
                self.put(key, image)
        except ReelcraftError as exc:
            log.info("image %s not available: %s", key, exc)
            self._failed.add(key)
        finally:
            self._pending.discard(key)

    def forget_failures(self) -> None:
        """After a reconnect, or when a video becomes ready, try again."""
        self._failed.clear()
