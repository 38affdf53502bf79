"""What states are called on screen (kept apart from the widgets that show them, so the
Library does not load QtMultimedia just to name a post state)."""

from __future__ import annotations

from shared.states import PostState

POST_LABELS = {
    PostState.DRAFT: "Draft",
    PostState.IN_REVIEW: "In review",
    PostState.APPROVED: "Published",
    PostState.REJECTED: "Rejected",
    PostState.DISCARDED: "Discarded",
}
