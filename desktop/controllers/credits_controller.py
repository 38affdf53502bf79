"""Get Credits: load the packages, start a checkout, open it in the browser and wait for the
purchase to be credited (balance events, with a slow poll in case an event is missed)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from desktop.async_slot import async_slot, spawn
from desktop.bridge import Balance, ServiceBridge
from desktop.errors import explain
from desktop.viewmodels.create_vm import CreateViewModel
from shared.errors import ReelcraftError

if TYPE_CHECKING:
    from desktop.views.credits_dialog import CreditsDialog
    from shared.ledger_schemas import CreditPackage

POLL_MS = 3000


def parse_packages(body: Any) -> list[CreditPackage]:
    from pydantic import TypeAdapter

    from shared.ledger_schemas import CreditPackage

    if isinstance(body, dict):
        body = body.get("packages", [])
    return TypeAdapter(list[CreditPackage]).validate_python(body)


def checkout_url(body: Any) -> str:
    url = body.get("checkout_url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError("the service did not return a checkout address")
    return url


class CreditsController(QObject):
    def __init__(
        self,
        bridge: ServiceBridge,
        vm: CreateViewModel,
        window: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.vm = vm
        self.window = window
        self.dialog: CreditsDialog | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._refresh)
        bridge.balance_changed.connect(self._balance)

    def open(self, model: str = "") -> CreditsDialog:
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        from desktop.views.credits_dialog import CreditsDialog  # on first use: not at start-up

        dialog = CreditsDialog(self.window)
        card = self.vm.card(model) if model else self.vm.selected_card
        dialog.set_context(
            self.vm.balance.available,
            card.credits if card is not None else None,
            card.label if card is not None else None,
        )
        dialog.buy_requested.connect(self.buy)
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()
        self._load_packages()
        return dialog

    @async_slot
    async def _load_packages(self) -> None:
        dialog = self.dialog
        try:
            body = await self.bridge.require_client().get_json("/credits/packages")
            packages = parse_packages(body)
        except ReelcraftError as exc:
            if dialog is not None:
                dialog.set_error(f"Credit packages are not available right now. {explain(exc)}")
            return
        except ValidationError:
            if dialog is not None:
                dialog.set_error("The service sent credit packages this studio can't read.")
            return
        if dialog is not None and dialog is self.dialog:
            dialog.set_packages(packages)

    @async_slot
    async def buy(self, package_id: str) -> None:
        dialog = self.dialog
        try:
            client = self.bridge.require_client()
            body = await client.post_json("/credits/checkout", {"package": package_id})
            url = checkout_url(body)
        except ReelcraftError as exc:
            if dialog is not None:
                dialog.set_error(f"The checkout could not start. {explain(exc)}")
            return
        except ValueError as exc:
            if dialog is not None:
                dialog.set_error(f"The checkout could not start: {exc}.")
            return
        if dialog is not None:
            dialog.set_waiting(package_id)
        QDesktopServices.openUrl(QUrl(url))
        self._poll.start()

    def _balance(self, balance: Balance) -> None:
        if self.dialog is not None:
            self.dialog.balance_changed(balance.available)
            if not self.dialog.waiting:
                self._poll.stop()

    def _refresh(self) -> None:
        with contextlib.suppress(RuntimeError):
            spawn(self.bridge.refresh_balance())

    def _closed(self, _result: int) -> None:
        self._poll.stop()
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
