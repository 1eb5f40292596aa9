"""The first-run wizard: from a plugged-in key to an unlocked account, one page per state.

The controller owns the flow (Nheko's ``DeviceVerificationFlow``): the state
enum in ``state``, one page per state in ``pages``, and every transition
here.  Engine work runs through ``Bridge.run`` (never on the GUI thread); the
token list is kept live by ``client.token_watch``.  The wizard asks each PIN
on its own page and hands it to the engine, which uses it for the whole flow
(``client.pin_memory``), so the person types each PIN once.

The wizard's token worker (``options.token_worker``, or one it makes) is the
one the Messenger it hands over keeps using: the shell that receives
``account_ready`` owns both from then on.
"""

from __future__ import annotations

import asyncio
import getpass
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QStackedWidget, QVBoxLayout, QWidget

from keybound.backup.values import RestoreSummary
from keybound.client import onboarding
from keybound.client.backups import needs_passphrase
from keybound.client.messenger import Messenger, Options
from keybound.client.onboarding import SetupStep
from keybound.client.recovery_file import save_recovery_code
from keybound.client.relay_probe import RelayProbe, probe_relay
from keybound.client.token_watch import OPENPGP_FACTORY_ADMIN_PIN, TokenChoice, TokenWatch
from keybound.errors import (
    InvalidRelayAddress,
    OperationCancelled,
    PinBlocked,
    PinPolicyError,
    RelayCertificateUntrusted,
    RelayCheckFailed,
    RelayUnavailable,
    TokenError,
    TokenHasIdentity,
    UserFacingError,
    WrongPin,
)
from keybound.gui.bridge import Bridge, describe
from keybound.gui.settings.backups import restore_summary_text
from keybound.gui.wizard import pages as p
from keybound.gui.wizard.prompter import WizardPrompter
from keybound.gui.wizard.recovery import code_groups, groups_to_retype, wrong_groups
from keybound.gui.wizard.restore import RestoreChoice, RestorePage
from keybound.gui.wizard.rules import MIN_ADMIN_PIN, MIN_PIN, pin_problem
from keybound.gui.wizard.state import Purpose, WizardState
from keybound.gui.wizard.tokens import ChoiceRole, TokenListModel
from keybound.token.base import EnrollOptions, TokenKind
from keybound.token.worker import TokenWorker

MAX_NAME = 64


class FirstRunWizard(QWidget):
    """Shown by the shell when the profile has no account (see gui-common interfaces)."""

    account_ready = Signal(object)  # the unlocked Messenger, recovery code confirmed
    cancelled = Signal()

    def __init__(
        self,
        bridge: Bridge,
        profile: Path,
        options: Options | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("First-run setup"))
        self._bridge = bridge
        self._profile = profile
        opts = options or Options()
        self._worker = opts.token_worker or TokenWorker()
        self._owns_worker = opts.token_worker is None
        self._options = replace(opts, token_worker=self._worker)
        self.prompter = WizardPrompter(self)
        self.model = TokenListModel(self)
        self._watch: TokenWatch | None = None
        self._work: asyncio.Task[Any] | None = None
        self.state = WizardState.WELCOME
        self.purpose = Purpose.CREATE
        self.choice: TokenChoice | None = None
        self._relay_url = ""
        self._tls_pin: str | bool = False
        self._fingerprint = ""
        self._pin_state = WizardState.NEW_PIN
        self._messenger: Messenger | None = None
        self._code = ""
        self._asked = (1, 2)
        self._handed_over = False
        self._restore_path: Path | None = None  # join: a backup to restore after joining
        self._restore_needs_passphrase = False
        self._join_pin: str | None = None  # kept only until the restore step is over

        self.welcome = p.WelcomePage()
        self.tokens = p.TokenPage(self.model)
        self.relay = p.RelayPage()
        self.trust = p.TrustPage()
        self.join = p.JoinPage()
        self.restore_choice = RestoreChoice()
        self.join.body.addWidget(self.restore_choice)
        self.name = p.NamePage()
        self.new_pin = p.NewPinPage()
        self.existing_pin = p.ExistingPinPage()
        self.working = p.WorkingPage()
        self.restore = RestorePage()
        self.recovery = p.RecoveryPage()
        self.confirm = p.ConfirmPage()
        self.pages: dict[WizardState, p.Page] = {
            WizardState.WELCOME: self.welcome,
            WizardState.CHOOSE_TOKEN: self.tokens,
            WizardState.RELAY: self.relay,
            WizardState.TRUST_RELAY: self.trust,
            WizardState.JOIN_OFFER: self.join,
            WizardState.NAME: self.name,
            WizardState.NEW_PIN: self.new_pin,
            WizardState.EXISTING_PIN: self.existing_pin,
            WizardState.WORKING: self.working,
            WizardState.RESTORE: self.restore,
            WizardState.RECOVERY_CODE: self.recovery,
            WizardState.CONFIRM_CODE: self.confirm,
        }
        self._stack = QStackedWidget()
        for page in self.pages.values():
            self._stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self._stack)
        self.name.name.setText(_login_name())
        self._connect()

    # --- wiring -----------------------------------------------------------------------

    def _connect(self) -> None:
        self.welcome.cancel.clicked.connect(self._cancel)
        self.welcome.next.clicked.connect(lambda: self.go(WizardState.CHOOSE_TOKEN))
        self.tokens.back.clicked.connect(lambda: self.go(WizardState.WELCOME))
        self.tokens.next.clicked.connect(self._token_chosen)
        self.tokens.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.tokens.list.doubleClicked.connect(lambda _i: self._token_chosen())
        self.model.rowsInserted.connect(self._rows_changed)
        self.model.rowsRemoved.connect(self._rows_changed)
        self.relay.back.clicked.connect(lambda: self.go(WizardState.CHOOSE_TOKEN))
        self.relay.next.clicked.connect(self._check_relay)
        self.relay.url.returnPressed.connect(self._check_relay)
        self.trust.back.clicked.connect(lambda: self.go(WizardState.RELAY))
        self.trust.trust.clicked.connect(self._trust_relay)
        self.join.back.clicked.connect(lambda: self.go(WizardState.RELAY))
        self.join.join.clicked.connect(self._join_chosen)
        self.name.back.clicked.connect(lambda: self.go(WizardState.RELAY))
        self.name.next.clicked.connect(self._name_given)
        self.name.name.returnPressed.connect(self._name_given)
        self.new_pin.back.clicked.connect(lambda: self.go(WizardState.NAME))
        self.new_pin.next.clicked.connect(self._new_pin_given)
        self.existing_pin.back.clicked.connect(self._existing_pin_back)
        self.existing_pin.next.clicked.connect(self._existing_pin_given)
        self.existing_pin.pin.returnPressed.connect(self._existing_pin_given)
        self.working.cancel.clicked.connect(self._cancel_work)
        self.prompter.touch_requested.connect(lambda _label: self.working.touch.show())
        self.prompter.touch_finished.connect(self.working.touch.hide)
        self.prompter.touch_requested.connect(lambda _label: self.restore.touch.show())
        self.prompter.touch_finished.connect(self.restore.touch.hide)
        self.restore.restore.clicked.connect(self._start_restore)
        self.restore.passphrase.returnPressed.connect(self._start_restore)
        self.restore.cancel.clicked.connect(self._cancel_work)
        self.restore.skip.clicked.connect(self._show_code)
        self.restore.next.clicked.connect(self._show_code)
        self.recovery.save.clicked.connect(self._save_dialog)
        self.recovery.print.clicked.connect(self._print_dialog)
        self.recovery.next.clicked.connect(self._code_written)
        self.confirm.back.clicked.connect(lambda: self.go(WizardState.RECOVERY_CODE))
        self.confirm.finish.clicked.connect(self._finish)
        self.confirm.second.returnPressed.connect(self._finish)

    def page(self, state: WizardState) -> p.Page:
        return self.pages[state]

    def go(self, state: WizardState) -> None:
        """Show ``state``'s page (the one transition every step goes through)."""
        self.state = state
        page = self.pages[state]
        page.clear_error()
        self._stack.setCurrentWidget(page)
        if state is WizardState.CHOOSE_TOKEN:
            self._start_watch()
            self._rows_changed()
        focus = {
            WizardState.RELAY: self.relay.url,
            WizardState.NAME: self.name.name,
            WizardState.NEW_PIN: self.new_pin.pin,
            WizardState.EXISTING_PIN: self.existing_pin.pin,
            WizardState.CONFIRM_CODE: self.confirm.first,
            WizardState.RESTORE: self.restore.passphrase,
        }.get(state)
        if focus is not None:
            focus.setFocus()

    # --- tokens -----------------------------------------------------------------------

    def _start_watch(self) -> None:
        if self._watch is None:
            self._watch = TokenWatch(self._worker, self.model.set_tokens, self._profile)
            self._watch.start()

    def _stop_watch(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            self._bridge.run(watch.stop())

    def _rows_changed(self, *_: object) -> None:
        self.tokens.empty.setVisible(self.model.rowCount() == 0)
        self._selection_changed()
        if self.model.rowCount() == 1 and not self.tokens.list.selectionModel().hasSelection():
            index = self.model.index(0)
            if self.model.flags(index) & Qt.ItemFlag.ItemIsSelectable:
                self.tokens.list.setCurrentIndex(index)

    def _selected(self) -> TokenChoice | None:
        rows = self.tokens.list.selectionModel().selectedRows()
        if not rows:
            return None
        choice = rows[0].data(ChoiceRole)
        return choice if isinstance(choice, TokenChoice) else None

    def _selection_changed(self, *_: QItemSelection) -> None:
        choice = self._selected()
        self.tokens.next.setEnabled(choice is not None and not choice.problem)

    def _token_chosen(self) -> None:
        choice = self._selected()
        if choice is None or choice.problem:
            return
        self.choice = choice
        self._stop_watch()  # no listing of the token while the engine works with it
        self.go(WizardState.RELAY)

    # --- the relay --------------------------------------------------------------------

    def _check_relay(self) -> None:
        url = self.relay.url.text().strip()
        if not url:
            self.relay.show_error(
                self.tr("Type the relay's address, for example wss://relay.example:8443.")
            )
            return
        self._relay_url = url
        self.relay.clear_error()
        self.relay.busy(True)
        self._bridge.run(probe_relay(url), done=self._relay_checked, failed=self._relay_failed)

    def _relay_failed(self, error: BaseException) -> None:
        self.relay.busy(False)
        if isinstance(error, RelayCertificateUntrusted) and error.expected is None:
            self._fingerprint = error.fingerprint
            self.trust.show_fingerprint(error.fingerprint)
            self.go(WizardState.TRUST_RELAY)
            return
        self.relay.show_error(describe(error))

    def _trust_relay(self) -> None:
        self.trust.clear_error()
        self.trust.trust.setEnabled(False)

        def failed(error: BaseException) -> None:
            self.trust.trust.setEnabled(True)
            self.trust.show_error(describe(error))

        self._bridge.run(
            probe_relay(self._relay_url, self._fingerprint),
            done=self._relay_checked, failed=failed,
        )  # fmt: skip

    def _relay_checked(self, probe: RelayProbe) -> None:
        self.relay.busy(False)
        self.trust.trust.setEnabled(True)
        self._tls_pin = probe.tls_pin
        choice = self.choice
        assert choice is not None
        if not choice.has_keys:
            self.purpose = Purpose.CREATE
            self.go(WizardState.NAME)
            return
        self.relay.busy(True)
        self.relay.status.setText(self.tr("Looking for this key's account on the relay…"))
        self._bridge.run(
            onboarding.token_identity(self._worker, self._with_token(), probe.url, self._tls_pin),
            done=self._identity_found, failed=self._lookup_failed,
        )  # fmt: skip

    def _lookup_failed(self, error: BaseException) -> None:
        self.relay.busy(False)
        self.go(WizardState.RELAY)
        self.relay.show_error(describe(error))

    def _identity_found(self, identity_id: bytes | None) -> None:
        self.relay.busy(False)
        if identity_id is None:
            self.purpose = Purpose.CREATE
            self.go(WizardState.NAME)
            return
        self.join.show_identity(identity_id)
        self.go(WizardState.JOIN_OFFER)

    def _join_chosen(self) -> None:
        assert self.choice is not None
        if self.restore_choice.wanted.isChecked() and not self.restore_choice.file.text().strip():
            self.join.show_error(self.tr("Choose the backup file to restore, or untick the box."))
            return
        self._restore_path = self.restore_choice.path()
        self.purpose = Purpose.JOIN
        self.existing_pin.prepare(self.choice, joining=True)
        self._pin_state = WizardState.EXISTING_PIN
        self.go(WizardState.EXISTING_PIN)

    # --- name and PINs ----------------------------------------------------------------

    def _name_given(self) -> None:
        name = self.name.name.text().strip()
        if not name:
            self.name.show_error(self.tr("Type the name your contacts will see."))
            return
        if len(name) > MAX_NAME:
            self.name.show_error(self.tr("The name can have at most 64 characters."))
            return
        choice = self.choice
        assert choice is not None
        needs_new_pin = not choice.has_keys and (
            choice.kind is TokenKind.OPENPGP or not choice.pin_set
        )
        if needs_new_pin:
            self.new_pin.prepare(choice)
            self._pin_state = WizardState.NEW_PIN
        else:
            self.existing_pin.prepare(choice, joining=False)
            self._pin_state = WizardState.EXISTING_PIN
        self.go(self._pin_state)

    def _existing_pin_back(self) -> None:
        self.go(WizardState.JOIN_OFFER if self.purpose is Purpose.JOIN else WizardState.NAME)

    def _new_pin_given(self) -> None:
        choice = self.choice
        assert choice is not None
        page = self.new_pin
        problem = pin_problem(
            page.pin.text(), page.again.text(), MIN_PIN[choice.kind], self.tr("PIN")
        )
        if not problem and choice.kind is TokenKind.OPENPGP:
            problem = pin_problem(
                page.admin.text(), page.admin_again.text(), MIN_ADMIN_PIN, self.tr("admin PIN")
            )
        if problem:
            page.show_error(problem)
            return
        if choice.kind is TokenKind.OPENPGP:
            enroll = EnrollOptions(
                user_pin=page.pin.text(), admin_pin=page.admin.text(),
                current_admin_pin=page.current_admin.text() or OPENPGP_FACTORY_ADMIN_PIN,
            )  # fmt: skip
        else:
            enroll = EnrollOptions(user_pin=page.pin.text())
        self._start_work(enroll, None)

    def _existing_pin_given(self) -> None:
        choice = self.choice
        assert choice is not None
        pin = self.existing_pin.pin.text()
        if not pin:
            self.existing_pin.show_error(self.tr("Type the key's PIN."))
            return
        enroll = None
        if self.purpose is Purpose.CREATE and not choice.has_keys:  # FIDO2 with a PIN already
            enroll = EnrollOptions(current_user_pin=pin)
        if self.purpose is Purpose.JOIN and self._restore_path is not None:
            self._join_pin = pin  # a key backup is opened with the same key, PIN asked once
        self._start_work(enroll, pin)

    # --- creating or joining ----------------------------------------------------------

    def _with_token(self) -> Options:
        assert self.choice is not None
        return replace(self._options, tokens=self.choice.source())

    def _start_work(self, enroll: EnrollOptions | None, pin: str | None) -> None:
        self.working.touch.hide()
        if self.purpose is Purpose.JOIN:
            self.working.title.setText(self.tr("Adding this computer"))
            self.working.status.setText(self.tr("Starting…"))
            work: Any = Messenger.join_account(
                self._profile, self._relay_url, self.prompter, tls_pin=self._tls_pin,
                options=self._with_token(), pin=pin, progress=self._step,
            )  # fmt: skip
        else:
            self.working.title.setText(self.tr("Creating your account"))
            self.working.status.setText(self.tr("Starting…"))
            work = Messenger.create_account(
                self._profile, self._relay_url, self.prompter,
                display_name=self.name.name.text().strip(), enroll=enroll, tls_pin=self._tls_pin,
                options=self._with_token(), pin=pin, progress=self._step,
            )  # fmt: skip
        self.working.progress.setRange(0, len(SetupStep))
        self.working.progress.setValue(0)
        self.go(WizardState.WORKING)
        self._work = self._bridge.run(work, done=self._work_done, failed=self._work_failed)

    def _step(self, step: SetupStep) -> None:
        texts = {
            SetupStep.CHECKING_RELAY: self.tr("Checking the relay…"),
            SetupStep.PREPARING_TOKEN: self.tr("Preparing your key (new keys take a moment)…"),
            SetupStep.FINDING_IDENTITY: self.tr("Fetching your account from the relay…"),
            SetupStep.MAKING_VAULT: self.tr("Creating this computer's encrypted history…"),
            SetupStep.SIGNING: self.tr("Your key signs your identity…"),
            SetupStep.FINISHING: self.tr("Finishing…"),
        }
        self.working.status.setText(texts[step])
        self.working.progress.setValue(int(step))

    def _cancel_work(self) -> None:
        work, self._work = self._work, None
        if work is not None:
            work.cancel()
        if self.state is WizardState.RESTORE:
            return  # the restore's own callback says so when the engine has rolled back
        page = self._pin_state
        self.go(page)
        self.pages[page].show_error(self.tr("Setup was cancelled; nothing was created."))

    def _work_done(self, result: tuple[Messenger, str]) -> None:
        self._work = None
        self._messenger, self._code = result
        self.recovery.show_groups(code_groups(self._code))
        path = self._restore_path
        if self.purpose is Purpose.JOIN and path is not None:
            self.restore.prepare(path, False)
            self.restore.restore.setEnabled(False)  # until the file's header was read
            self.go(WizardState.RESTORE)
            self._bridge.run(
                asyncio.to_thread(needs_passphrase, path),
                done=self._restore_ready, failed=self._restore_failed,
            )  # fmt: skip
            return
        self._show_code()

    # --- restoring after joining ------------------------------------------------------

    def _restore_ready(self, needs: bool) -> None:
        assert self._restore_path is not None
        self._restore_needs_passphrase = needs
        self.restore.prepare(self._restore_path, needs)
        self.go(WizardState.RESTORE)

    def _start_restore(self) -> None:
        messenger, path = self._messenger, self._restore_path
        if messenger is None or path is None or not self.restore.restore.isVisible():
            return
        secret: str | None = None
        if self._restore_needs_passphrase:
            secret = self.restore.passphrase.text()
            if not secret:
                self.restore.show_error(self.tr("Type the backup's passphrase."))
                return
        self.restore.clear_error()
        self.restore.busy(True)
        self.prompter.known_pin = self._join_pin
        work = messenger.restore_backup(
            path, passphrase=secret, progress=self.restore.show_progress
        )
        task = self._bridge.run(work, done=self._restored, failed=self._restore_failed)
        self._work = task

        def ended(t: asyncio.Task[RestoreSummary]) -> None:
            self.prompter.known_pin = None
            if t.cancelled() and self.state is WizardState.RESTORE:
                self.restore.busy(False)
                self.restore.show_error(self.tr("Restoring was cancelled; nothing was restored."))

        task.add_done_callback(ended)

    def _restored(self, summary: RestoreSummary) -> None:
        self._work = None
        self._join_pin = None  # restored: the key is not asked again
        self.restore.done(restore_summary_text(summary))

    def _restore_failed(self, error: BaseException) -> None:
        self._work = None
        self.restore.busy(False)
        self.restore.show_error(describe(error))

    def _show_code(self) -> None:
        if self._work is not None:
            return
        self._join_pin = None
        self.restore.passphrase.clear()
        self.go(WizardState.RECOVERY_CODE)

    def _work_failed(self, error: BaseException) -> None:
        self._work = None
        if isinstance(error, TokenHasIdentity):
            self.join.show_identity(error.identity_id)
            self.go(WizardState.JOIN_OFFER)
            return
        if isinstance(error, RelayCheckFailed | RelayUnavailable | InvalidRelayAddress):
            where = WizardState.RELAY
        elif isinstance(error, WrongPin | PinBlocked | PinPolicyError | OperationCancelled):
            where = self._pin_state
        elif isinstance(error, TokenError):
            where = WizardState.CHOOSE_TOKEN
        else:
            where = self._pin_state
        self.go(where)
        self.pages[where].show_error(describe(error))

    # --- the recovery code ------------------------------------------------------------

    def _save_dialog(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Save the recovery code"), str(Path.home() / "keybound-recovery.txt"),
            self.tr("Text files (*.txt)"),
        )  # fmt: skip
        if path:
            self.save_code(Path(path))

    def save_code(self, path: Path) -> bool:
        """Save the code to ``path`` (atomic, 0600); the page says where, or why not."""
        try:
            save_recovery_code(path, self._code)
        except UserFacingError as exc:
            self.recovery.show_error(str(exc))
            return False
        self.recovery.clear_error()
        self.recovery.saved.setText(self.tr("Saved to {path}.").format(path=str(path)))
        return True

    def _print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_code(printer)

    def print_code(self, printer: QPrinter) -> None:
        """Print the code, in its groups, with what it is for."""
        document = QTextDocument()
        document.setPlainText(
            self.tr("Keybound recovery code") + "\n\n"
            + self.tr("It opens this computer's Keybound history if the security key is lost.")
            + "\n\n    " + "  ".join(code_groups(self._code)) + "\n"
        )  # fmt: skip
        document.print_(printer)

    def _code_written(self) -> None:
        self._asked = groups_to_retype(len(code_groups(self._code)))
        self.confirm.ask(*self._asked)
        self.go(WizardState.CONFIRM_CODE)

    def _finish(self) -> None:
        typed = (self.confirm.first.text(), self.confirm.second.text())
        wrong = wrong_groups(self._code, self._asked, typed)
        if wrong:
            numbers = self.tr(" and ").join(str(n) for n in wrong)
            self.confirm.show_error(
                self.tr(
                    "Group {n} does not match the code. Look at what you wrote down, or show "
                    "the code again."
                ).format(n=numbers)
            )
            return
        messenger, self._messenger = self._messenger, None
        self._code = ""
        self.recovery.clear_code()
        self.confirm.ask(*self._asked)
        self._stop_watch()
        self._handed_over = True
        self.account_ready.emit(messenger)

    # --- leaving ----------------------------------------------------------------------

    def _cancel(self) -> None:
        self._stop_watch()
        self.cancelled.emit()

    async def shutdown(self) -> None:
        """Stop watching tokens and end unfinished work; the token worker too if the
        wizard made it and no Messenger was handed over."""
        watch, self._watch = self._watch, None
        if watch is not None:
            await watch.stop()
        if self._work is not None:
            self._work.cancel()
        self._join_pin = None
        if self._messenger is not None:  # made but never confirmed: close it
            await self._messenger.close()
            self._messenger = None
        if self._owns_worker and not self._handed_over:
            await asyncio.to_thread(self._worker.stop)


def _login_name() -> str:
    try:
        return getpass.getuser()[:MAX_NAME]
    except (KeyError, OSError):
        return ""
