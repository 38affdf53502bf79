"""The preview player on a real MP4 (H.264 + AAC made with PyAV): auto-play, loop, controls,
the character and prompt, and the Discard confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.views.preview import PreviewView
from shared.states import JobState, PostState
from tests.desktop.helpers import make_generation, make_mp4


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2.0)


@pytest.fixture
def preview(qtbot: QtBot) -> Iterator[PreviewView]:
    view = PreviewView()
    qtbot.addWidget(view)
    view.resize(1100, 720)
    view.show()
    yield view
    view.stop()


def test_preview_autoplays_with_sound_and_loops(
    qtbot: QtBot, preview: PreviewView, clip: Path
) -> None:
    generation = make_generation(state=JobState.READY, credits_charged=200)
    preview.show_generation(generation, "Kling 2.6", 200)
    assert preview.character.text() == "Mira"
    assert preview.prompt.text() == "Mira waves at the camera, golden hour"
    assert preview.model_line.text() == "Kling 2.6 · 5 s · 1080p · with audio"
    assert preview.regenerate_button.text() == "Regenerate (200 credits)"
    assert preview.post_state.text() == "Draft"
    preview.player.setPlaybackRate(4.0)
    preview.play_file(clip)
    qtbot.waitUntil(lambda: preview.surface.frames_shown > 0, timeout=10000)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    assert not preview.audio.isMuted()
    assert abs(preview.player.duration() - 2000) < 100
    assert preview.seek.maximum() == preview.player.duration()
    assert preview.time_label.text().endswith("/ 0:02")
    image = preview.surface.last_image
    assert image is not None and image.width() == 192 and image.height() == 336
    # Looping: after the end (0.5 s of wall time at 4x) it is still playing.
    qtbot.wait(900)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    assert preview.player.loops() == QMediaPlayer.Loops.Infinite
    assert preview.surface.frames_shown > 24


def test_play_pause_audio_toggle_and_seek(qtbot: QtBot, preview: PreviewView, clip: Path) -> None:
    played: list[float] = []
    preview.played.connect(lambda _g, seconds: played.append(seconds))
    preview.show_generation(make_generation(state=JobState.READY), "Kling 2.6", 200)
    preview.play_file(clip)
    qtbot.waitUntil(lambda: preview.surface.frames_shown > 0, timeout=10000)
    qtbot.mouseClick(preview.play_button, Qt.MouseButton.LeftButton)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PausedState
    qtbot.mouseClick(preview.mute_button, Qt.MouseButton.LeftButton)
    assert preview.audio.isMuted()
    qtbot.mouseClick(preview.mute_button, Qt.MouseButton.LeftButton)
    assert not preview.audio.isMuted()
    preview.seek.setSliderDown(True)
    preview.seek.setValue(1500)
    preview.seek.setSliderDown(False)  # releasing the handle seeks
    qtbot.waitUntil(lambda: abs(preview.player.position() - 1500) < 150, timeout=5000)
    qtbot.mouseClick(preview.play_button, Qt.MouseButton.LeftButton)
    assert preview.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    qtbot.wait(200)
    preview.stop()
    assert len(played) == 1 and played[0] > 0  # watch time is reported once, on leaving


def test_publish_and_discard_ask_first_and_follow_the_post_state(
    qtbot: QtBot, preview: PreviewView
) -> None:
    generation = make_generation(state=JobState.READY, prompt="")
    preview.show_generation(generation, "Veo 3.1", None)
    assert preview.prompt.text() == "No prompt: Reelcraft writes one from the character."
    assert preview.regenerate_button.text() == "Regenerate"
    published: list[object] = []
    preview.publish_requested.connect(published.append)
    qtbot.mouseClick(preview.publish_button, Qt.MouseButton.LeftButton)
    assert published == [generation]
    assert preview.publish_button.text() == "Publishing…"
    assert not preview.publish_button.isEnabled()
    preview.update_post_state(generation.model_copy(update={"post_state": PostState.IN_REVIEW}))
    assert preview.post_state.text() == "In review"
    assert preview.publish_button.text() == "In review"
    assert not preview.publish_button.isEnabled()

    draft = make_generation(state=JobState.READY)
    preview.show_generation(draft, "Kling 2.6", 200)
    discarded: list[object] = []
    preview.discard_requested.connect(discarded.append)
    qtbot.mouseClick(preview.discard_button, Qt.MouseButton.LeftButton)
    box = preview.confirm_box
    assert box is not None and box.isVisible()
    assert "Credits are not refunded" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert discarded == []
    qtbot.mouseClick(preview.discard_button, Qt.MouseButton.LeftButton)
    box = preview.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Discard).click()
    assert discarded == [draft]


def test_a_broken_file_says_it_cannot_play(
    qtbot: QtBot, preview: PreviewView, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    preview.show_generation(make_generation(state=JobState.READY), "Kling 2.6", 200)
    preview.play_file(broken)
    qtbot.waitUntil(lambda: preview.surface.message != "Loading video…", timeout=10000)
    assert preview.surface.frames_shown == 0
    assert "can't be played" in preview.surface.message or "failed" in preview.surface.message
