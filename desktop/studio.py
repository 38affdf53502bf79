"""The studio, assembled: the service side attached to the first screen. The bridge, the
other pages and the controllers, wired.

This is the composition root of the desktop; nothing else knows how the pieces connect. It is
built after the first paint (see app.py): the window and its Create screen already exist
(first_screen.py) and this adds everything that needs the service's contract.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage

from desktop import formatting
from desktop.async_slot import cancel_pending, spawn
from desktop.bridge import Balance, ConnectionState, Connector, ServiceBridge
from desktop.controllers.create_controller import CreateController
from desktop.controllers.credits_controller import CreditsController
from desktop.controllers.generation_controller import GenerationController
from desktop.controllers.library_controller import LibraryController
from desktop.first_screen import FirstScreen
from desktop.image_cache import ImageCache, decode
from desktop.keychain import TEAM_TOKEN, KeyStore
from desktop.notifications import Notifier
from desktop.settings_store import DesktopSettings, SettingsStore
from desktop.viewmodels.jobs import JobsStore
from desktop.views.character_picker import CharacterChoice
from desktop.views.library import LibraryView
from desktop.views.main_window import Page
from desktop.views.progress import ProgressList
from desktop.views.queue_view import QueueView
from desktop.views.toast import Toast, ToastKind
from shared.api_schemas import Health, ModelsResponse
from shared.errors import ReelcraftError
from shared.price_list import PriceList
from shared.schemas import Generation
from shared.states import JobState

if TYPE_CHECKING:
    from desktop.views.preview import PreviewView
    from desktop.views.settings_view import SettingsView
    from shared.client import ServiceClient

EARLIER_INPUTS = 8


@dataclass(frozen=True)
class StudioConfig:
    data_dir: Path
    config_dir: Path
    connector: Connector | None = None  # default: from Settings (local service or team server)


def local_connector(data_dir: Path) -> Connector:
    async def connect() -> ServiceClient:
        from shared.client import connect_or_start

        return await connect_or_start(data_dir)

    return connect


def team_connector(url: str, keys: KeyStore) -> Connector:
    async def connect() -> ServiceClient:
        from shared.client import ServiceClient

        token = await asyncio.get_running_loop().run_in_executor(None, keys.get, TEAM_TOKEN)
        client = ServiceClient(url, token or "")
        try:
            await client.health()
        except ReelcraftError:
            await client.aclose()
            raise
        return client

    return connect


class Studio(QObject):
    def __init__(self, config: StudioConfig, first: FirstScreen) -> None:
        super().__init__()
        self.config = config
        self.store = SettingsStore(config.config_dir)
        settings = self.store.load()
        self.keys = KeyStore(config.data_dir, allow_plaintext=settings.allow_plaintext_keys)
        self.window = first.window
        self.vm = first.vm
        self.create_view = first.create_view
        self.choices = first.choices
        self.tracker = first.tracker
        self.bridge = ServiceBridge(config.connector or self._connector(settings), parent=self)
        self.tracker.attach(self.bridge)
        self.jobs = JobsStore(self)
        self.images = ImageCache(self.bridge, self)
        self.notifier = Notifier(self.window, self)
        self.create_progress = ProgressList(self.describe, self._job_image, self.create_view)
        self.create_view.jobs_area.addWidget(self.create_progress)
        self.queue_view = QueueView(ProgressList(self.describe, self._job_image), self.describe)
        self.library_view = LibraryView(self.describe)
        self._preview: PreviewView | None = None
        self._previous_page = Page.CREATE

        self.credits = CreditsController(self.bridge, self.vm, self.window, self)
        self.create = CreateController(
            self.create_view,
            self.vm,
            self.bridge,
            self.tracker,
            self.jobs,
            self.images,
            self.window.toasts,
            self.credits.open,
            self,
        )
        self.generations = GenerationController(
            self.bridge,
            self.jobs,
            self.vm,
            self.tracker,
            self.window.toasts,
            self.notifier,
            self.preview,
            config.data_dir / "studio-cache" / "videos",
            self,
        )
        self.library = LibraryController(
            self.library_view, self.bridge, self.images, self.window.toasts, self
        )
        self._keys_configured: bool | None = None
        self._ready_toast: Toast | None = None
        self._ready_count = 0  # unknown until checked off the UI thread
        self._wire()
        # Last: a page the user clicked while this code loaded opens now, fully wired.
        self.window.add_page(Page.QUEUE, self.queue_view)
        self.window.add_page(Page.LIBRARY, self.library_view)
        self.window.add_lazy_page(Page.SETTINGS, self._settings_page)

    # -- wiring -----------------------------------------------------------------------------

    def _wire(self) -> None:
        bridge, window = self.bridge, self.window
        bridge.connection_changed.connect(self._connection_changed)
        bridge.health_changed.connect(lambda _h: self._update_demo_banner())
        bridge.models_changed.connect(self._models_changed)
        bridge.balance_changed.connect(self._balance_changed)
        bridge.generation_changed.connect(self.jobs.apply)
        bridge.resynced.connect(self._resynced)
        self.jobs.changed.connect(self._job_changed)
        self.jobs.finished.connect(self._job_finished)
        self.images.loaded.connect(self._image_loaded)
        window.page_changed.connect(self._page_changed)
        window.get_credits_requested.connect(lambda: self.credits.open())
        window.open_settings_requested.connect(lambda: window.show_page(Page.SETTINGS))
        window.closing.connect(self._closing)
        self.create.submitted.connect(self._submitted)
        for progress in (self.create_progress, self.queue_view.progress):
            progress.cancel_requested.connect(self.generations.cancel)
            progress.preview_requested.connect(self.generations.open_preview)
            progress.retry_requested.connect(self.generations.retry)
        self.queue_view.preview_requested.connect(self.generations.open_preview)
        self.library_view.preview_requested.connect(self.generations.open_preview)
        self.generations.preview_opened.connect(lambda _g: self._show_preview_page())
        self.create_view.picker.error.connect(
            lambda message: self.window.toasts.show(ToastKind.ERROR, message)
        )

    def _connector(self, settings: DesktopSettings) -> Connector:
        if settings.service == "team" and settings.team_url:
            return team_connector(settings.team_url, self.keys)
        return local_connector(self.config.data_dir)

    def start(self) -> None:
        """Connect in the background; call once the window is on screen."""
        self.bridge.start()
        spawn(self._check_keys())
        self.choices.screen_shown()

    async def close(self) -> None:
        if self._preview is not None:
            self._preview.stop()
        await cancel_pending()  # nothing may use the client after the bridge closes it
        await self.bridge.stop()

    # -- lookups ----------------------------------------------------------------------------

    def describe(self, model: str) -> tuple[str, int]:
        listing = self.vm.listing(model)
        return (listing.label, listing.estimated_render_s) if listing else (model, 180)

    def _job_image(self, generation: Generation) -> QImage | None:
        return self.images.input_image(generation.request.input_image_sha256)

    def preview(self) -> PreviewView:
        """The preview page, built on first use so start-up does not load QtMultimedia."""
        if self._preview is None:
            from desktop.views.preview import PreviewView

            view = PreviewView()
            view.back_requested.connect(lambda: self.window.show_page(self._previous_page))
            view.publish_requested.connect(self.generations.publish)
            view.regenerate_requested.connect(self.generations.regenerate)
            view.discard_requested.connect(self.generations.discard)
            view.played.connect(self.generations.played)
            self.window.add_page(Page.PREVIEW, view)
            self._preview = view
        return self._preview

    # -- reactions --------------------------------------------------------------------------

    def _connection_changed(self, state: str) -> None:
        self.window.connection.set_state(state, self.bridge.last_error)
        self.vm.set_connected(state == ConnectionState.CONNECTED)
        if state == ConnectionState.CONNECTED:
            self.images.forget_failures()

    def _resynced(self) -> None:
        self._load_earlier_inputs()
        if self.window.current_page is Page.LIBRARY:
            self.library_view.reload()

    def _models_changed(self, models: ModelsResponse) -> None:
        self.create.price_book = models.price_book
        self.vm.set_price_list(PriceList.from_json(models.model_dump(mode="json")))

    def _balance_changed(self, balance: Balance) -> None:
        self.vm.set_balance(balance.available)
        self.window.set_balance_text(formatting.credits(balance.available))

    def _settings_page(self) -> SettingsView:
        from desktop.views.settings_view import SettingsView  # keyring: on first visit only

        view = SettingsView(self.keys, self.store)
        view.keys_changed.connect(self._keys_changed)
        view.service_changed.connect(lambda s: self.bridge.set_connector(self._connector(s)))
        view.error.connect(lambda message: self.window.toasts.show(ToastKind.ERROR, message))
        view.saved.connect(lambda settings: spawn(self._apply_cache_budget(settings)))
        return view

    async def _apply_cache_budget(self, settings: DesktopSettings) -> None:
        """The cache lives in the service: tell it the new budget (evicts at once if over)."""
        try:
            await self.bridge.require_client().patch_json(
                "/admin/config", {"cache_budget_mb": settings.cache_budget_mb}
            )
        except (ReelcraftError, RuntimeError) as exc:
            self.window.toasts.show(ToastKind.ERROR, f"The cache budget was not applied: {exc}")

    async def _check_keys(self) -> None:
        loop = asyncio.get_running_loop()
        self._keys_configured = bool(await loop.run_in_executor(None, self.keys.configured))
        self._update_demo_banner()

    def _update_demo_banner(self) -> None:
        """The service knows (it reads the keys); until it answers, the keychain does."""
        health: Health | None = self.bridge.health
        if health is not None:
            self.window.set_demo_mode(health.demo_mode)
        elif self._keys_configured is not None:
            self.window.set_demo_mode(not self._keys_configured)

    def _keys_changed(self) -> None:
        spawn(self._check_keys())
        self.window.toasts.show(
            ToastKind.SUCCESS,
            "Provider keys updated.",
            "The service uses them for new generations.",
        )

    def _job_changed(self, generation: Generation) -> None:
        if not generation.state.is_terminal:
            self.create_progress.show_job(generation)
        else:
            self.create_progress.update_job(generation)
        self.queue_view.apply(generation)
        self.library.apply(generation)
        if self._preview is not None:
            self.generations.preview_changed(generation)
        self.window.set_active_jobs(len(self.jobs.active()))

    def _job_finished(self, generation: Generation) -> None:
        self.images.forget_failures()
        if generation.state is not JobState.READY:
            return
        label, _ = self.describe(generation.request.model)
        toast = self._ready_toast
        if toast is not None and toast.isVisible():
            # Several jobs finishing together make one toast, not a wall of them.
            self._ready_count += 1
            toast.title.setText(f"{self._ready_count} videos are ready.")
            toast.body.setText("Open them from the Queue or the Library.")
            return
        self._ready_count = 1
        self._ready_toast = self.window.toasts.show(
            ToastKind.SUCCESS,
            "Your video is ready.",
            f"{generation.request.character_name or 'Your character'} · {label}",
            action="Preview",
            on_action=lambda: self.generations.open_preview(generation.id),
        )

    def _submitted(self, generation: Generation) -> None:
        self.create_progress.show_job(generation)

    def _image_loaded(self, key: str) -> None:
        if key.startswith("input:"):
            sha = key.split(":", 1)[1]
            for progress in (self.create_progress, self.queue_view.progress):
                for panel in progress.panels.values():
                    if panel.generation.request.input_image_sha256 == sha:
                        progress.refresh_thumbnail(panel.generation.id)

    def _page_changed(self, page: str) -> None:
        if page != Page.PREVIEW:
            self._previous_page = Page(page)
            if self._preview is not None:
                self._preview.stop()
        if page == Page.CREATE:
            self.choices.screen_shown()
        elif page == Page.LIBRARY:
            self.library_view.reload()

    def _show_preview_page(self) -> None:
        self.window.show_page(Page.PREVIEW)

    def _closing(self) -> None:
        if self._preview is not None:
            self._preview.stop()

    def _load_earlier_inputs(self) -> None:
        spawn(self._earlier_inputs())

    async def _earlier_inputs(self) -> None:
        client = self.bridge.client
        if client is None:
            return
        try:
            inputs = await client.inputs(limit=EARLIER_INPUTS)
            choices = []
            for item in inputs:
                image = await decode(await client.input_image(item.sha256))
                if not image.isNull():
                    self.images.put(ImageCache.input_key(item.sha256), image)
                    choices.append(CharacterChoice("", image, sha256=item.sha256))
        except ReelcraftError:
            return
        self.create_view.picker.set_earlier_inputs(choices)
