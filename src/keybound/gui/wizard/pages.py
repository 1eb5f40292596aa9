"""The wizard's pages: each shows one state and collects what that state needs.

Pages hold no flow logic; they expose their fields and buttons and the
controller (``wizard.FirstRunWizard``) connects them.  Every visible string
goes through ``tr``, every focusable widget has an accessible name, and an
error is shown on the page where it happened, as one sentence.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client.token_watch import TokenChoice
from keybound.gui.wizard.rules import rules_text
from keybound.gui.wizard.tokens import TokenListModel
from keybound.token.base import TokenKind


class Page(QWidget):
    """Title, body, an error line, and a row of buttons."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        self.title = QLabel(title)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        self.body = QVBoxLayout()
        outer.addLayout(self.body)
        outer.addStretch(1)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setAccessibleName(self.tr("Error"))
        self.error.hide()
        outer.addWidget(self.error)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        outer.addLayout(self.buttons)

    def text(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.body.addWidget(label)
        return label

    def button(self, text: str, name: str, *, default: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.setAutoDefault(True)
        button.setDefault(default)
        self.buttons.addWidget(button)
        return button

    def field(self, name: str, *, secret: bool = False) -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(name)
        if secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()


def _monospace() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(font.pointSizeF() * 1.3)
    return font


class WelcomePage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Welcome to Keybound"), parent)
        self.text(
            self.tr(
                "Your Keybound account lives on a security key or smartcard that you hold. "
                "There is no password and no master key anywhere else."
            )
        )
        self.text(
            self.tr(
                "Next you choose the key, the relay that carries your messages, and a PIN. "
                "A blank key gets its keys and PINs now; a key that already has an account can "
                "add this computer to it. At the end you get a recovery code for this "
                "computer's history: keep it safe."
            )
        )
        self.cancel = self.button(self.tr("Cancel"), self.tr("Cancel setup"))
        self.next = self.button(self.tr("Start"), self.tr("Start setup"), default=True)


class TokenPage(Page):
    def __init__(self, model: TokenListModel, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Choose your security key"), parent)
        self.text(self.tr("Plug in your security key or smartcard; it appears here by itself."))
        self.list = QListView()
        self.list.setAccessibleName(self.tr("Security keys and smartcards"))
        self.list.setModel(model)
        self.list.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.body.addWidget(self.list)
        self.empty = self.text(self.tr("No security key or smartcard is plugged in yet."))
        self.back = self.button(self.tr("Back"), self.tr("Back"))
        self.next = self.button(self.tr("Next"), self.tr("Use this key"), default=True)
        self.next.setEnabled(False)


class RelayPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Choose your relay"), parent)
        self.text(
            self.tr(
                "The relay stores your encrypted messages until your contacts' devices fetch "
                "them. It sees no message text. Type the address your relay's operator gave you."
            )
        )
        form = QFormLayout()
        self.url = self.field(self.tr("Relay address"))
        self.url.setPlaceholderText("wss://relay.example:8443")
        form.addRow(self.tr("Relay address:"), self.url)
        self.body.addLayout(form)
        self.status = self.text("")
        self.back = self.button(self.tr("Back"), self.tr("Back"))
        self.next = self.button(self.tr("Check relay"), self.tr("Check the relay"), default=True)

    def busy(self, busy: bool) -> None:
        self.status.setText(self.tr("Checking the relay…") if busy else "")
        for widget in (self.url, self.back, self.next):
            widget.setEnabled(not busy)


class TrustPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Trust this relay?"), parent)
        self.text(
            self.tr(
                "This relay's certificate is not vouched for by this computer (a self-signed "
                "development relay, for example). Compare its fingerprint with the one the relay "
                "printed when it started. Trust it only if they are the same: Keybound then "
                "remembers this certificate and refuses any other."
            )
        )
        self.fingerprint = QLabel()
        self.fingerprint.setFont(_monospace())
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setAccessibleName(self.tr("Certificate fingerprint"))
        self.body.addWidget(self.fingerprint)
        self.back = self.button(self.tr("Don't trust"), self.tr("Do not trust this relay"))
        self.trust = self.button(self.tr("Trust"), self.tr("Trust this relay"), default=True)

    def show_fingerprint(self, fingerprint: str) -> None:
        pairs = fingerprint.split(":")
        lines = [" ".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8)]
        self.fingerprint.setText("SHA-256\n" + "\n".join(lines))


class JoinPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("This key already has an account"), parent)
        self.identity = self.text("")
        self.text(
            self.tr(
                "You can add this computer as a new device of that account. Your other devices "
                "and your contacts learn of it; this computer starts with an empty history, "
                "unless you restore it from a backup."
            )
        )
        self.back = self.button(self.tr("Back"), self.tr("Back"))
        self.join = self.button(
            self.tr("Add this computer"), self.tr("Add this computer as a new device"),
            default=True,
        )  # fmt: skip

    def show_identity(self, identity_id: bytes) -> None:
        short = identity_id.hex()[:16]
        self.identity.setText(self.tr("The key belongs to the identity {id}…").format(id=short))


class NamePage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Your name"), parent)
        self.text(
            self.tr(
                "Contacts see this name when you first write to them. It is not published on "
                "the relay; you can change it later."
            )
        )
        form = QFormLayout()
        self.name = self.field(self.tr("Your name"))
        form.addRow(self.tr("Name:"), self.name)
        self.body.addLayout(form)
        self.back = self.button(self.tr("Back"), self.tr("Back"))
        self.next = self.button(self.tr("Next"), self.tr("Next"), default=True)


class NewPinPage(Page):
    """A blank token: a new PIN twice, and for OpenPGP the admin PIN."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Choose a PIN"), parent)
        self.rules = self.text("")
        form = QFormLayout()
        self.pin = self.field(self.tr("New PIN"), secret=True)
        self.again = self.field(self.tr("New PIN again"), secret=True)
        form.addRow(self.tr("New PIN:"), self.pin)
        form.addRow(self.tr("Again:"), self.again)
        self.admin_box = QWidget()
        admin = QFormLayout(self.admin_box)
        admin.setContentsMargins(0, 0, 0, 0)
        self.current_admin = self.field(self.tr("Current admin PIN"), secret=True)
        self.current_admin.setPlaceholderText(self.tr("empty: the factory default"))
        self.admin = self.field(self.tr("New admin PIN"), secret=True)
        self.admin_again = self.field(self.tr("New admin PIN again"), secret=True)
        admin.addRow(self.tr("Current admin PIN:"), self.current_admin)
        admin.addRow(self.tr("New admin PIN:"), self.admin)
        admin.addRow(self.tr("Again:"), self.admin_again)
        self.body.addLayout(form)
        self.body.addWidget(self.admin_box)
        self.back = self.button(self.tr("Back"), self.tr("Back"))
        self.next = self.button(self.tr("Set up the key"), self.tr("Set up the key"), default=True)

    def prepare(self, choice: TokenChoice) -> None:
        self.rules.setText(rules_text(choice.kind))
        self.admin_box.setVisible(choice.kind is TokenKind.OPENPGP)
        for edit in (self.pin, self.again, self.current_admin, self.admin, self.admin_again):
            edit.clear()


class ExistingPinPage(Page):
    """A token with keys (adopted or joining): its PIN, asked once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Your key's PIN"), parent)
        self.explain = self.text("")
        form = QFormLayout()
        self.pin = self.field(self.tr("PIN"), secret=True)
        form.addRow(self.tr("PIN:"), self.pin)
        self.body.addLayout(form)
        self.retries = self.text("")
        self.back = self.button(self.tr("Back"), self.tr("Back"))
        self.next = self.button(self.tr("Continue"), self.tr("Continue"), default=True)

    def prepare(self, choice: TokenChoice, joining: bool) -> None:
        self.pin.clear()
        if joining:
            self.explain.setText(self.tr("Type the PIN of {key} to add this computer.").format(
                key=choice.label))  # fmt: skip
        else:
            self.explain.setText(
                self.tr("{key} already has keys. Type its PIN to create your account on it.")
                .format(key=choice.label)
            )  # fmt: skip
        left = choice.pin_retries
        self.retries.setText(
            self.tr("{n} tries left before the PIN is blocked.").format(n=left)
            if left is not None else ""
        )  # fmt: skip


class WorkingPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Setting up"), parent)
        self.status = self.text("")
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.setTextVisible(False)
        self.body.addWidget(self.progress)
        self.touch = self.text(self.tr("Touch your key now."))
        font = self.touch.font()
        font.setBold(True)
        self.touch.setFont(font)
        self.touch.hide()
        self.cancel = self.button(self.tr("Cancel"), self.tr("Cancel setup"))


class RecoveryPage(Page):
    """The recovery code, shown once, in groups."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Your recovery code"), parent)
        self.text(
            self.tr(
                "This code opens this computer's history if your key is lost. It is shown only "
                "now and stored nowhere. Write it down, print it or save it somewhere safe."
            )
        )
        self.grid = QGridLayout()
        self.body.addLayout(self.grid)
        self.labels: list[QLabel] = []
        self.saved = self.text("")
        self.save = self.button(self.tr("Save as file…"), self.tr("Save the code as a file"))
        self.print = self.button(self.tr("Print…"), self.tr("Print the code"))
        self.next = self.button(
            self.tr("I have written it down"), self.tr("I have written the code down"),
            default=True,
        )  # fmt: skip

    def show_groups(self, groups: list[str]) -> None:
        for label in self.labels:
            label.deleteLater()
        self.labels = []
        for i, group in enumerate(groups):
            label = QLabel(f"{i + 1}. {group}")
            label.setFont(_monospace())
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.grid.addWidget(label, i // 4, i % 4)
            self.labels.append(label)
        self.saved.clear()

    def clear_code(self) -> None:
        self.show_groups([])


class ConfirmPage(Page):
    """Retype two groups it names; only then does the wizard finish."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Check your recovery code"), parent)
        self.text(self.tr("Type two groups of the code from what you wrote down."))
        form = QFormLayout()
        self.first_label = QLabel()
        self.second_label = QLabel()
        self.first = self.field(self.tr("First group"))
        self.second = self.field(self.tr("Second group"))
        form.addRow(self.first_label, self.first)
        form.addRow(self.second_label, self.second)
        self.body.addLayout(form)
        self.back = self.button(self.tr("Show the code again"), self.tr("Show the code again"))
        self.finish = self.button(self.tr("Finish"), self.tr("Finish setup"), default=True)

    def ask(self, first: int, second: int) -> None:
        self.first_label.setText(self.tr("Group {n}:").format(n=first))
        self.second_label.setText(self.tr("Group {n}:").format(n=second))
        self.first.setAccessibleName(self.tr("Group {n}").format(n=first))
        self.second.setAccessibleName(self.tr("Group {n}").format(n=second))
        self.first.clear()
        self.second.clear()
