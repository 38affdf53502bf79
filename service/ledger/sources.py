"""What a reservation pays for: its source (`video_post_<family>` of a catalogue model) and
its extra data (model, resolution, duration, credits; seed 000's extraData)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from service.ledger.errors import InvalidTransfer
from service.ledger.ids import normalize_extra
from shared.catalogue import Catalogue
from shared.ledger_schemas import VideoPostExtra, video_post_source


class VideoPostSources:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self.known = frozenset(video_post_source(m.family) for m in catalogue.models.values())

    def check(self, source: str, extra: Mapping[str, Any] | None, amount: int) -> dict[str, Any]:
        """The reservation's extra data as stored, or InvalidTransfer saying what is wrong."""
        if source not in self.known:
            known = ", ".join(sorted(self.known))
            raise InvalidTransfer(f"a reservation's source is one of {known} (got {source!r})")
        try:
            parsed = VideoPostExtra.model_validate(dict(extra or {}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise InvalidTransfer(f"reservation extra data: {first['msg']} ({where})") from None
        if parsed.credits != amount:
            raise InvalidTransfer(f"extra credits {parsed.credits} != amount {amount}")
        model = self._catalogue.models.get(parsed.model)
        if model is not None and video_post_source(model.family) != source:
            charged_as = video_post_source(model.family)
            raise InvalidTransfer(f"model {parsed.model} is charged as {charged_as}, not {source}")
        return normalize_extra(parsed.model_dump(mode="json", exclude_none=True))
