"""The window with its Create screen: everything the user sees and touches in the first second.

Built from the shipped price list with Qt, plain data and the view-model only: no pydantic, no
HTTP client, no keychain, no asyncio (a test holds it to that). Prices, card states, the
duration and resolution toggles and the prompt work from here on; the service side (Studio)
attaches to these same objects once its code has loaded, after the first paint.
"""

from __future__ import annotations

from typing import NamedTuple

from desktop.controllers.choices_controller import ChoicesController
from desktop.tracking import Tracker
from desktop.viewmodels.create_vm import CreateViewModel
from desktop.views.create_view import CreateView
from desktop.views.main_window import MainWindow, Page
from shared.price_list import PriceList


class FirstScreen(NamedTuple):
    window: MainWindow
    vm: CreateViewModel
    create_view: CreateView
    tracker: Tracker
    choices: ChoicesController


def build_first_screen(price_list: PriceList) -> FirstScreen:
    window = MainWindow()
    vm = CreateViewModel(window)
    vm.set_price_list(price_list)
    view = CreateView(vm)
    window.add_page(Page.CREATE, view)
    window.show_page(Page.CREATE)
    window.set_demo_mode(False)  # the keychain or the service says otherwise, later
    tracker = Tracker()
    return FirstScreen(window, vm, view, tracker, ChoicesController(view, vm, tracker, window))
