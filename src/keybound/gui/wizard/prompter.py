"""The prompter the wizard hands the engine during creation or joining.

The wizard asked every PIN on its own pages and passed them to the engine,
which remembers them for the flow (``client.pin_memory``), so this prompter
is asked for a PIN only if the token wants one the wizard does not know; it
then cancels, and the page says so.  The one exception is the join path's
restore step, after the engine's flow has ended: while it opens a backup
with the key just joined, :attr:`WizardPrompter.known_pin` holds that key's
PIN (and is cleared when the step ends), so the PIN is still typed once.

Touch requests come from the token worker thread and cross to the GUI
thread as queued Qt signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from keybound.token.base import PinKind, TokenRef
from keybound.token.prompter import PinRequest


class WizardPrompter(QObject):
    touch_requested = Signal(str)  # the token's label; show "touch your key"
    touch_finished = Signal()
    pin_refused = Signal(str)  # purpose of a PIN request the wizard had no answer for

    known_pin: str | None = None  # the user PIN, during the restore step only

    def ask_pin(self, request: PinRequest) -> str | None:
        known = self.known_pin
        if known is not None and request.kind is PinKind.USER:
            return known
        self.pin_refused.emit(request.purpose)
        return None

    def touch_needed(self, token: TokenRef) -> None:
        self.touch_requested.emit(token.label)

    def touch_done(self, token: TokenRef) -> None:
        self.touch_finished.emit()
