"""Get Credits: the credit packages, a checkout that opens in the browser, and the wait for the
purchase to be credited (the balance updates live through the bridge)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting
from desktop.icons import pixmap
from desktop.theme import Colors, set_state
from desktop.views.spinner import BusyButton, Spinner
from shared.ledger_schemas import CreditPackage


def price(package: CreditPackage) -> str:
    symbol = "$" if package.currency == "usd" else f"{package.currency.upper()} "
    return f"{symbol}{package.price_cents / 100:,.2f}"


class PackageCard(QFrame):
    buy = Signal(str)

    def __init__(self, package: CreditPackage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PackageCard")
        self.package = package
        set_state(self, "popular", package.popular)
        self.setMinimumWidth(170)
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 14, 16, 16)
        col.setSpacing(6)
        head = QHBoxLayout()
        name = QLabel(package.label, self)
        name.setObjectName("PackageName")
        head.addWidget(name)
        head.addStretch(1)
        if package.popular:
            badge = QLabel("Popular", self)
            badge.setObjectName("SelectedMark")
            head.addWidget(badge)
        col.addLayout(head)
        credits = QLabel(f"{package.total_credits:,}", self)
        credits.setObjectName("PackageCredits")
        col.addWidget(credits)
        unit = QLabel("credits", self)
        unit.setObjectName("Muted")
        col.addWidget(unit)
        bonus = QLabel(
            f"includes {package.bonus_credits:,} bonus" if package.bonus_credits else " ", self
        )
        bonus.setObjectName("CardMeta")
        col.addWidget(bonus)
        col.addStretch(1)
        self.button = BusyButton(f"Buy for {price(package)}", self)
        self.button.setObjectName("PrimaryButton" if package.popular else "SecondaryButton")
        self.button.clicked.connect(lambda: self.buy.emit(package.id))
        col.addWidget(self.button)


class CreditsDialog(QDialog):
    buy_requested = Signal(str)  # package id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Get Credits")
        self.setModal(True)
        self.setMinimumWidth(820)
        self.cards: dict[str, PackageCard] = {}
        self._start_balance: int | None = None
        self.waiting = False
        col = QVBoxLayout(self)
        col.setContentsMargins(26, 22, 26, 22)
        col.setSpacing(12)
        title = QLabel("Get Credits", self)
        title.setObjectName("PageTitle")
        col.addWidget(title)
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("PageSubtitle")
        self.subtitle.setWordWrap(True)
        col.addWidget(self.subtitle)
        self.row = QHBoxLayout()
        self.row.setSpacing(12)
        col.addLayout(self.row)
        self.loading = QLabel("Loading packages…", self)
        self.loading.setObjectName("Muted")
        col.addWidget(self.loading)

        status = QHBoxLayout()
        self.spinner = Spinner(18, Colors.ACCENT, self)
        self.spinner.hide()
        status.addWidget(self.spinner)
        self.status_icon = QLabel(self)
        self.status_icon.hide()
        status.addWidget(self.status_icon)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        status.addWidget(self.status, 1)
        col.addLayout(status)
        footer = QHBoxLayout()
        note = QLabel("Payments are handled by Stripe in your browser.", self)
        note.setObjectName("Muted")
        footer.addWidget(note)
        footer.addStretch(1)
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.accept)
        footer.addWidget(self.close_button)
        col.addLayout(footer)

    def set_context(self, balance: int | None, needed: int | None, label: str | None) -> None:
        self._start_balance = balance
        parts = []
        if balance is not None:
            parts.append(f"Your balance is {formatting.credits(balance)}.")
        if needed is not None and label:
            parts.append(f"{label} needs {formatting.credits(needed)} at this length.")
        parts.append("Credits never expire.")
        self.subtitle.setText(" ".join(parts))

    def set_packages(self, packages: list[CreditPackage]) -> None:
        self.loading.setVisible(not packages)
        for package in packages:
            card = PackageCard(package, self)
            card.buy.connect(self._buy)
            self.row.addWidget(card)
            self.cards[package.id] = card

    def set_error(self, message: str) -> None:
        self.waiting = False
        self.loading.hide()
        self._status("alert", Colors.DANGER, message, busy=False)
        for card in self.cards.values():
            card.button.set_busy(False)
            card.button.setEnabled(True)

    def set_waiting(self, package_id: str) -> None:
        self.waiting = True
        self._status(
            None,
            None,
            "Complete the payment in your browser. Your balance updates here as soon as the "
            "purchase is credited.",
            busy=True,
        )
        for pid, card in self.cards.items():
            card.button.setEnabled(False)
            card.button.set_busy(pid == package_id)

    def balance_changed(self, available: int) -> None:
        """Called with every live balance; a rise while waiting means the purchase landed."""
        if self.waiting and self._start_balance is not None and available > self._start_balance:
            self.waiting = False
            added = available - self._start_balance
            self._status(
                "circle-check",
                Colors.SUCCESS,
                f"{formatting.credits(added)} added. Your balance is now "
                f"{formatting.credits(available)}.",
                busy=False,
            )
            for card in self.cards.values():
                card.button.set_busy(False)
                card.button.setEnabled(True)
            self.close_button.setText("Done")
            self.close_button.setObjectName("PrimaryButton")
            self.close_button.style().polish(self.close_button)
        self._start_balance = available

    @property
    def status_text(self) -> str:
        return self.status.text()

    def _buy(self, package_id: str) -> None:
        self._status(None, None, "Opening a secure checkout…", busy=True)
        for pid, card in self.cards.items():
            card.button.setEnabled(False)
            card.button.set_busy(pid == package_id)
        self.buy_requested.emit(package_id)

    def _status(self, glyph: str | None, color: str | None, text: str, *, busy: bool) -> None:
        self.spinner.setVisible(busy)
        self.status_icon.setVisible(glyph is not None)
        if glyph is not None and color is not None:
            self.status_icon.setPixmap(pixmap(glyph, color, 18))
        self.status.setText(text)
        self.status.setAlignment(Qt.AlignmentFlag.AlignVCenter)
