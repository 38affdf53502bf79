"""The window shell: sidebar navigation, the demo-mode banner, the connection state, the
balance, a stack of pages and the toast layer. It knows nothing about the service."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.icons import icon, pixmap
from desktop.theme import Colors
from desktop.views.toast import ToastHost


class Page(StrEnum):
    CREATE = "create"
    QUEUE = "queue"
    LIBRARY = "library"
    SETTINGS = "settings"
    PREVIEW = "preview"


NAV = [
    (Page.CREATE, "Create", "sparkles"),
    (Page.QUEUE, "Queue", "list"),
    (Page.LIBRARY, "Library", "grid"),
    (Page.SETTINGS, "Settings", "sliders"),
]
_CONNECTION = {
    "connecting": ("Connecting…", Colors.WARNING),
    "connected": ("Service connected", Colors.SUCCESS),
    "reconnecting": ("Reconnecting…", Colors.WARNING),
    "stopped": ("Offline", Colors.DANGER),
}


class ConnectionPill(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ConnectionPill")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 7, 10, 7)
        row.setSpacing(8)
        self.dot = QLabel(self)
        self.dot.setFixedSize(10, 10)
        row.addWidget(self.dot)
        self.text = QLabel(self)
        self.text.setObjectName("ConnectionText")
        row.addWidget(self.text, 1)
        self.set_state("connecting")

    def set_state(self, state: str, detail: str = "") -> None:
        text, color = _CONNECTION.get(state, (state, Colors.MUTED))
        self.state = state
        self.text.setText(text)
        self.dot.setStyleSheet(f"background: {color}; border-radius: 5px;")
        self.setToolTip(detail)


class MainWindow(QMainWindow):
    page_changed = Signal(str)
    get_credits_requested = Signal()
    open_settings_requested = Signal()
    closing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reelcraft Studio")
        self.resize(1360, 860)
        self.setMinimumSize(1040, 700)
        central = QWidget(self)
        self.setCentralWidget(central)
        root = QHBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._sidebar())

        main = QVBoxLayout()
        main.setContentsMargins(0, 0, 0, 0)
        main.setSpacing(0)
        main.addWidget(self._demo_banner())
        self.pages = QStackedWidget(central)
        self.pages.setObjectName("Pages")
        main.addWidget(self.pages, 1)
        root.addLayout(main, 1)
        self._page_widgets: dict[Page, QWidget] = {}
        self._factories: dict[Page, Callable[[], QWidget]] = {}
        self._waiting_for: Page | None = None
        self.toasts = ToastHost(central)

    # -- construction ---------------------------------------------------------------------

    def _sidebar(self) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("Sidebar")
        bar.setFixedWidth(224)
        col = QVBoxLayout(bar)
        col.setContentsMargins(16, 20, 16, 16)
        col.setSpacing(4)
        brand = QHBoxLayout()
        logo = QLabel(bar)
        logo.setPixmap(pixmap("film", Colors.ACCENT, 24))
        brand.addWidget(logo)
        title = QLabel("Reelcraft", bar)
        title.setObjectName("AppTitle")
        brand.addWidget(title)
        brand.addStretch(1)
        col.addLayout(brand)
        subtitle = QLabel("AI video studio", bar)
        subtitle.setObjectName("AppSubtitle")
        col.addWidget(subtitle)
        col.addSpacing(22)
        self.nav: dict[Page, QPushButton] = {}
        self._nav_group = QButtonGroup(self)
        self._nav_group.setExclusive(True)
        for page, label, glyph in NAV:
            button = QPushButton(f"  {label}", bar)
            button.setObjectName("NavButton")
            button.setCheckable(True)
            button.setIcon(icon(glyph, Colors.MUTED, 18))
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, p=page: self.show_page(p))
            self._nav_group.addButton(button)
            col.addWidget(button)
            self.nav[page] = button
        self.queue_badge = QLabel(bar)
        self.queue_badge.setObjectName("NavBadge")
        self.queue_badge.setFixedHeight(18)
        self.queue_badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.queue_badge.hide()
        badge_row = QHBoxLayout(self.nav[Page.QUEUE])
        badge_row.setContentsMargins(0, 0, 10, 0)
        badge_row.addStretch(1)
        badge_row.addWidget(self.queue_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        col.addStretch(1)

        balance_caption = QLabel("CREDITS", bar)
        balance_caption.setObjectName("SectionLabel")
        col.addWidget(balance_caption)
        balance_row = QHBoxLayout()
        self.sidebar_balance = QLabel("Connecting…", bar)
        self.sidebar_balance.setObjectName("SidebarBalance")
        balance_row.addWidget(self.sidebar_balance)
        balance_row.addStretch(1)
        col.addLayout(balance_row)
        self.buy_button = QPushButton("Get Credits", bar)
        self.buy_button.setObjectName("SecondaryButton")
        self.buy_button.setIcon(icon("zap", "#fbbf24", 16))
        self.buy_button.clicked.connect(self.get_credits_requested)
        col.addWidget(self.buy_button)
        col.addSpacing(12)
        self.connection = ConnectionPill(bar)
        col.addWidget(self.connection)
        return bar

    def _demo_banner(self) -> QFrame:
        banner = QFrame(self)
        banner.setObjectName("DemoBanner")
        row = QHBoxLayout(banner)
        row.setContentsMargins(24, 9, 16, 9)
        row.setSpacing(10)
        glyph = QLabel(banner)
        glyph.setPixmap(pixmap("info", "#c4b5fd", 18))
        row.addWidget(glyph)
        title = QLabel("Demo mode", banner)
        title.setObjectName("DemoBannerTitle")
        row.addWidget(title)
        text = QLabel(
            "No provider keys are set: videos are rendered by the built-in provider emulator.",
            banner,
        )
        text.setObjectName("DemoBannerText")
        row.addWidget(text, 1)
        add_keys = QPushButton("Add provider keys", banner)
        add_keys.setObjectName("SecondaryButton")
        add_keys.setIcon(icon("key", Colors.TEXT, 14))
        add_keys.clicked.connect(self.open_settings_requested)
        row.addWidget(add_keys)
        self.demo_banner = banner
        return banner

    # -- pages ------------------------------------------------------------------------------

    def add_page(self, page: Page, widget: QWidget) -> None:
        self._page_widgets[page] = widget
        self.pages.addWidget(widget)
        self._show_waiting(page)

    def add_lazy_page(self, page: Page, factory: Callable[[], QWidget]) -> None:
        """A page built the first time it is shown (keeps start-up to the Create screen)."""
        self._factories[page] = factory
        self._show_waiting(page)

    def page(self, page: Page) -> QWidget:
        if page not in self._page_widgets:
            self.add_page(page, self._factories.pop(page)())
        return self._page_widgets[page]

    def has_page(self, page: Page) -> bool:
        return page in self._page_widgets or page in self._factories

    def _show_waiting(self, page: Page) -> None:
        if self._waiting_for is page:
            self._waiting_for = None
            self.show_page(page)

    @property
    def current_page(self) -> Page:
        current = self.pages.currentWidget()
        return next(p for p, w in self._page_widgets.items() if w is current)

    def show_page(self, page: Page) -> None:
        if not self.has_page(page):
            # Clicked in the first moments, before the page's code has loaded: it opens as
            # soon as it is added (never a dead click, never an error).
            self._waiting_for = page
            return
        self._waiting_for = None
        widget = self.page(page)
        if page in self.nav:
            self.nav[page].setChecked(True)
        else:
            checked = self._nav_group.checkedButton()
            if checked is not None:
                self._nav_group.setExclusive(False)
                checked.setChecked(False)
                self._nav_group.setExclusive(True)
        for p, button in self.nav.items():
            button.setIcon(
                icon(
                    dict((n, g) for n, _, g in NAV)[p], "#ffffff" if p == page else Colors.MUTED, 18
                )
            )
        if self.pages.currentWidget() is not widget:
            self.pages.setCurrentWidget(widget)
            self.page_changed.emit(page.value)

    # -- status -----------------------------------------------------------------------------

    def set_demo_mode(self, demo: bool) -> None:
        self.demo_banner.setVisible(demo)

    def set_balance_text(self, text: str) -> None:
        self.sidebar_balance.setText(text)

    def set_active_jobs(self, count: int) -> None:
        self.queue_badge.setText(str(count))
        self.queue_badge.setVisible(count > 0)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)
