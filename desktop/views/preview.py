"""Preview & publish (SPEC section 2): a player that auto-plays with audio and loops, with
play/pause, an audio toggle and a seek bar; the character and prompt; Publish, Regenerate and
Discard (after a confirmation; credits are not refunded)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QElapsedTimer, Qt, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.icons import icon
from desktop.theme import Colors, set_state
from desktop.views.labels import POST_LABELS
from desktop.views.spinner import BusyButton
from desktop.views.video_surface import VideoSurface
from shared.schemas import Generation
from shared.states import PostState


class PreviewView(QWidget):
    back_requested = Signal()
    publish_requested = Signal(object)  # Generation
    regenerate_requested = Signal(object)
    discard_requested = Signal(object)
    played = Signal(object, float)  # Generation, seconds watched (tracking)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self.generation: Generation | None = None
        self.confirm_box: QMessageBox | None = None
        self._watch = QElapsedTimer()
        self._watched_ms = 0

        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.setLoops(QMediaPlayer.Loops.Infinite)
        self.surface = VideoSurface(self)
        self.player.setVideoSink(self.surface.sink)
        self.player.mediaStatusChanged.connect(self._status)
        self.player.playbackStateChanged.connect(self._playback)
        self.player.positionChanged.connect(self._position)
        self.player.durationChanged.connect(self._duration)
        self.player.errorOccurred.connect(self._error)

        page = QHBoxLayout(self)
        page.setContentsMargins(32, 22, 32, 24)
        page.setSpacing(28)

        left = QVBoxLayout()
        left.setSpacing(10)
        self.back_button = QPushButton("  Back", self)
        self.back_button.setObjectName("TextButton")
        self.back_button.setIcon(icon("chevron-left", Colors.MUTED, 14))
        self.back_button.clicked.connect(self.back_requested)
        left.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(self.surface, 1)
        left.addWidget(self._controls())
        page.addLayout(left, 3)
        page.addLayout(self._details(), 2)

    def _controls(self) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("PlayerControls")
        row = QHBoxLayout(bar)
        row.setContentsMargins(10, 6, 12, 6)
        row.setSpacing(10)
        self.play_button = QPushButton(bar)
        self.play_button.setObjectName("IconButton")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.play_button.clicked.connect(self.toggle_play)
        row.addWidget(self.play_button)
        self.seek = QSlider(Qt.Orientation.Horizontal, bar)
        self.seek.setRange(0, 0)
        self.seek.sliderMoved.connect(self.player.setPosition)
        self.seek.sliderReleased.connect(lambda: self.player.setPosition(self.seek.value()))
        row.addWidget(self.seek, 1)
        self.time_label = QLabel("0:00 / 0:00", bar)
        self.time_label.setObjectName("TimeLabel")
        row.addWidget(self.time_label)
        self.mute_button = QPushButton(bar)
        self.mute_button.setObjectName("IconButton")
        self.mute_button.setToolTip("Sound on / off")
        self.mute_button.clicked.connect(self.toggle_audio)
        row.addWidget(self.mute_button)
        self._sync_buttons()
        return bar

    def _details(self) -> QVBoxLayout:
        col = QVBoxLayout()
        col.setSpacing(10)
        col.addSpacing(36)
        head = QHBoxLayout()
        self.character = QLabel(self)
        self.character.setObjectName("CharacterName")
        head.addWidget(self.character)
        head.addStretch(1)
        self.post_state = QLabel(self)
        self.post_state.setObjectName("PostState")
        head.addWidget(self.post_state)
        col.addLayout(head)
        self.model_line = QLabel(self)
        self.model_line.setObjectName("Muted")
        col.addWidget(self.model_line)
        self.facts = QLabel(self)
        self.facts.setObjectName("Muted")
        col.addWidget(self.facts)
        caption = QLabel("PROMPT", self)
        caption.setObjectName("SectionLabel")
        col.addSpacing(6)
        col.addWidget(caption)
        self.prompt = QLabel(self)
        self.prompt.setObjectName("PromptText")
        self.prompt.setWordWrap(True)
        self.prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.prompt)
        col.addStretch(1)
        self.publish_button = BusyButton("Publish to Feed", self)
        self.publish_button.setObjectName("PrimaryButton")
        self.publish_button.setIcon(icon("send", "#ffffff", 16))
        self.publish_button.clicked.connect(self._publish)
        col.addWidget(self.publish_button)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.regenerate_button.setObjectName("SecondaryButton")
        self.regenerate_button.setIcon(icon("refresh", Colors.TEXT, 16))
        self.regenerate_button.clicked.connect(self._regenerate)
        col.addWidget(self.regenerate_button)
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setObjectName("TextButton")
        self.discard_button.setIcon(icon("trash", Colors.MUTED, 14))
        self.discard_button.clicked.connect(self.ask_discard)
        col.addWidget(self.discard_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.publish_note = QLabel("Published posts go to moderation, then to the feed.", self)
        self.publish_note.setObjectName("Muted")
        self.publish_note.setWordWrap(True)
        col.addWidget(self.publish_note)
        return col

    # -- content ----------------------------------------------------------------------------

    def show_generation(
        self, generation: Generation, label: str, regenerate_cost: int | None
    ) -> None:
        """Show a generation's details; the video follows with `play_file`."""
        if self.generation is None or self.generation.id != generation.id:
            self._finish_watch()
            self.surface.clear()
            self.player.stop()
            self.player.setSource(QUrl())
        self.generation = generation
        request = generation.request
        self.character.setText(request.character_name or "Your character")
        details = [label, f"{request.duration_s} s"]
        if request.resolution:
            details.append(request.resolution)
        details.append("with audio" if request.audio else "no audio")
        self.model_line.setText(" · ".join(details))
        facts = [generation.created_at.astimezone().strftime("%d %b %Y, %H:%M")]
        if generation.finished_at is not None:
            took = (generation.finished_at - generation.created_at).total_seconds()
            facts.append(f"rendered in {formatting.clock(took)}")
        if generation.credits_charged:
            facts.append(f"{formatting.credits(generation.credits_charged)} charged")
        self.facts.setText(" · ".join(facts))
        if request.prompt:
            self.prompt.setText(request.prompt)
        elif request.prompt_sent:
            self.prompt.setText(f"{request.prompt_sent}\n(written by Reelcraft from the character)")
        else:
            self.prompt.setText("No prompt: Reelcraft writes one from the character.")
        cost = f" ({formatting.credits(regenerate_cost)})" if regenerate_cost else ""
        self.regenerate_button.setText(f"Regenerate{cost}")
        self.update_post_state(generation)

    def update_post_state(self, generation: Generation) -> None:
        self.generation = generation
        state = generation.post_state
        self.post_state.setText(POST_LABELS[state])
        set_state(self.post_state, "state", state.value)
        self.publish_button.set_busy(False)
        can_publish = state in (PostState.DRAFT, PostState.REJECTED)
        self.publish_button.setEnabled(can_publish)
        self.publish_button.setText("Publish to Feed" if can_publish else POST_LABELS[state])
        self.discard_button.setEnabled(state in (PostState.DRAFT, PostState.REJECTED))

    def set_publishing(self) -> None:
        self.publish_button.setEnabled(False)
        self.publish_button.setText("Publishing…")
        self.publish_button.set_busy(True)

    def set_regenerate_enabled(self, enabled: bool, why: str = "") -> None:
        self.regenerate_button.setEnabled(enabled)
        self.regenerate_button.setToolTip(why)

    def play_file(self, path: Path) -> None:
        self.surface.clear()
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.player.play()  # auto-play with audio (seed 000)

    def show_error(self, message: str) -> None:
        self.surface.clear(message)

    def stop(self) -> None:
        self._finish_watch()
        self.player.stop()

    # -- player -----------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def toggle_audio(self) -> None:
        self.audio.setMuted(not self.audio.isMuted())
        self._sync_buttons()

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.InvalidMedia:
            self.surface.clear("This video can't be played.")

    def _error(self, _error: QMediaPlayer.Error, message: str) -> None:
        self.surface.clear(f"Playback failed: {message}")

    def _playback(self, state: QMediaPlayer.PlaybackState) -> None:
        if state == QMediaPlayer.PlaybackState.PlayingState:
            self._watch.start()
        elif self._watch.isValid():
            self._watched_ms += self._watch.elapsed()
            self._watch.invalidate()
        self._sync_buttons()

    def _position(self, position: int) -> None:
        if not self.seek.isSliderDown():
            self.seek.setValue(position)
        self._time(position, self.player.duration())

    def _duration(self, duration: int) -> None:
        self.seek.setRange(0, duration)
        self._time(self.player.position(), duration)

    def _time(self, position: int, duration: int) -> None:
        text = f"{formatting.clock(position / 1000)} / {formatting.clock(duration / 1000)}"
        if self.time_label.text() != text:
            self.time_label.setText(text)

    def _sync_buttons(self) -> None:
        playing = self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setIcon(icon("pause" if playing else "play", Colors.TEXT, 16))
        muted = self.audio.isMuted()
        self.mute_button.setIcon(icon("volume-off" if muted else "volume", Colors.TEXT, 16))

    def _finish_watch(self) -> None:
        """Report how long the user watched the previous video (tracking: playDurationSec)."""
        if self._watch.isValid():
            self._watched_ms += self._watch.elapsed()
            self._watch.invalidate()
        if self.generation is not None and self._watched_ms > 0:
            self.played.emit(self.generation, round(self._watched_ms / 1000, 1))
        self._watched_ms = 0

    # -- actions ----------------------------------------------------------------------------

    def _publish(self) -> None:
        if self.generation is not None:
            self.set_publishing()
            self.publish_requested.emit(self.generation)

    def _regenerate(self) -> None:
        if self.generation is not None:
            self.regenerate_requested.emit(self.generation)

    def ask_discard(self) -> None:
        if self.generation is None:
            return
        box = QMessageBox(self)
        box.setWindowTitle("Discard this video?")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText("Discard this video?")
        box.setInformativeText(
            "It will be removed from your library. Credits are not refunded for a finished video."
        )
        box.setStandardButtons(
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        generation = self.generation
        box.finished.connect(lambda result: self._discard_answer(box, generation, result))
        self.confirm_box = box
        box.open()

    def _discard_answer(self, box: QMessageBox, generation: Generation, result: int) -> None:
        self.confirm_box = None
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Discard:
            self.stop()
            self.discard_requested.emit(generation)
        box.deleteLater()
