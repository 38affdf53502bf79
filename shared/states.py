"""Job and post states (SPEC section 5): small enums plus the allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    SUBMITTING = "submitting"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_JOB_STATES


TERMINAL_JOB_STATES = frozenset({JobState.READY, JobState.FAILED, JobState.CANCELLED})
# In a fixed order, so SQL built from it is the same statement every time.
LIVE_JOB_STATES = tuple(s for s in JobState if s not in TERMINAL_JOB_STATES)

JOB_TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    # QUEUED -> QUEUED lets a failed render be retried on the same or another route.
    JobState.QUEUED: frozenset({JobState.SUBMITTING, JobState.FAILED, JobState.CANCELLED}),
    JobState.SUBMITTING: frozenset(
        {JobState.RUNNING, JobState.QUEUED, JobState.FAILED, JobState.CANCELLED}
    ),
    JobState.RUNNING: frozenset(
        {JobState.DOWNLOADING, JobState.QUEUED, JobState.FAILED, JobState.CANCELLED}
    ),
    JobState.DOWNLOADING: frozenset({JobState.READY, JobState.FAILED, JobState.CANCELLED}),
    JobState.READY: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


def can_transition(current: JobState, target: JobState) -> bool:
    return target in JOB_TRANSITIONS[current]


class PostState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISCARDED = "discarded"


POST_TRANSITIONS: dict[PostState, frozenset[PostState]] = {
    PostState.DRAFT: frozenset({PostState.IN_REVIEW, PostState.DISCARDED}),
    PostState.IN_REVIEW: frozenset({PostState.APPROVED, PostState.REJECTED}),
    PostState.REJECTED: frozenset({PostState.IN_REVIEW, PostState.DISCARDED}),
    PostState.APPROVED: frozenset(),
    PostState.DISCARDED: frozenset(),
}


def can_transition_post(current: PostState, target: PostState) -> bool:
    return target in POST_TRANSITIONS[current]


class ProviderStatus(StrEnum):
    """The normalised status every provider adapter reports."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Role(StrEnum):
    CREATOR = "creator"
    MODERATOR = "moderator"
    SUPPORT = "support"
    ADMIN = "admin"
