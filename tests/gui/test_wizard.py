"""The first-run wizard against the real stack: a virtual OpenPGP card in a vpcd reader
of the real pcscd, a real `--dev-tls` relay process, the real engine, real widgets.

One test walks a whole creation (the card plugged in while the list is shown, an
unreachable relay named, the self-signed relay's fingerprint shown and trusted, PINs,
the recovery code saved, printed to PDF, a wrong retype refused, the right one
accepted) and then a join on a second profile with the same card.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.modeltest import ModelTester

from keybound.client.messenger import Messenger, Options
from keybound.client.onboarding import SetupStep
from keybound.client.tls_pin import normalize_fingerprint
from keybound.client.token_watch import TokenChoice
from keybound.client.tokens import PresentTokens
from keybound.gui.bridge import Bridge
from keybound.gui.wizard import FirstRunWizard, WizardState
from keybound.gui.wizard.recovery import code_groups
from keybound.gui.wizard.tokens import ChoiceRole, TokenListModel
from keybound.store.keyslots import TEST_COST
from keybound.token.base import TokenKind, TokenRef, Transport
from keybound.token.worker import TokenWorker
from tests.client.harness import ENROLL
from tests.client.harness import prompter as engine_prompter
from tests.conftest import CardFactory, InsertedCard
from tests.gui.conftest import Runner, until
from tests.helpers.relay_process import RelayProcess, free_port

PIN = "424242"
ADMIN_PIN = "87654321"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def dev_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    relay = RelayProcess(tmp_path_factory.mktemp("wizard-relay"), tls=True).start()
    yield relay
    relay.kill()


def shoot(wizard: FirstRunWizard, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert wizard.grab().save(str(SHOTS / f"wizard-{name}.png"))


def row_of(wizard: FirstRunWizard, reader: str) -> QModelIndex | None:
    for row in range(wizard.model.rowCount()):
        index = wizard.model.index(row)
        choice = index.data(ChoiceRole)
        if isinstance(choice, TokenChoice) and choice.ref.reader == reader:
            return index
    return None


def click(button: QAbstractButton) -> None:
    assert button.isEnabled() and button.isVisible(), button.accessibleName()
    button.click()


def unnamed_focusable(root: QWidget) -> list[str]:
    """Widgets a keyboard or a screen reader can reach that have no accessible name."""
    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        focusable = widget.focusPolicy() != Qt.FocusPolicy.NoFocus
        if focusable and not isinstance(widget, QLabel) and not widget.accessibleName():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def make_wizard(
    profile: Path, worker: TokenWorker
) -> tuple[FirstRunWizard, list[object], list[str]]:
    options = Options(recovery_cost=TEST_COST, memory_security=False, token_worker=worker)
    wizard = FirstRunWizard(Bridge(), profile, options)
    wizard.resize(640, 520)
    ready: list[object] = []
    unexpected_pins: list[str] = []
    wizard.account_ready.connect(ready.append)
    wizard.prompter.pin_refused.connect(unexpected_pins.append)
    wizard.show()
    return wizard, ready, unexpected_pins


async def close(wizard: FirstRunWizard) -> None:
    await wizard.shutdown()
    wizard.hide()
    wizard.deleteLater()
    await asyncio.sleep(0.05)


async def choose_card(wizard: FirstRunWizard, card: InsertedCard) -> None:
    click(wizard.welcome.next)
    await until(lambda: row_of(wizard, card.reader) is not None, timeout=15)
    index = row_of(wizard, card.reader)
    assert index is not None
    wizard.tokens.list.setCurrentIndex(index)
    click(wizard.tokens.next)
    assert wizard.state is WizardState.RELAY


async def trust_dev_relay(wizard: FirstRunWizard, relay: RelayProcess) -> None:
    wizard.relay.url.setText(relay.url)
    click(wizard.relay.next)
    await until(lambda: wizard.state is WizardState.TRUST_RELAY)
    assert relay.fingerprint is not None
    shown = wizard.trust.fingerprint.text().replace("\n", " ").replace("SHA-256 ", "")
    assert normalize_fingerprint(shown.replace(" ", "")) == normalize_fingerprint(relay.fingerprint)
    shoot(wizard, "trust-relay")
    click(wizard.trust.trust)


async def confirm_code(wizard: FirstRunWizard, tmp: Path) -> None:
    await until(lambda: wizard.state is WizardState.RECOVERY_CODE, timeout=60)
    groups = code_groups(wizard._code)
    assert len(groups) >= 4
    shown = [label.text().split(". ", 1)[1] for label in wizard.recovery.labels]
    assert shown == groups
    click(wizard.recovery.next)
    first, second = wizard._asked
    assert first != second
    wizard.confirm.first.setText(groups[first - 1].lower())  # case does not matter
    wizard.confirm.second.setText(groups[first - 1])  # the wrong group for the second field
    click(wizard.confirm.finish)
    assert wizard.state is WizardState.CONFIRM_CODE
    assert f"Group {second}" in wizard.confirm.error.text()
    shoot(wizard, "confirm-wrong")
    wizard.confirm.second.setText(groups[second - 1])
    click(wizard.confirm.finish)


def test_create_on_a_blank_card_then_join_from_a_second_profile(
    arun: Runner,
    virtual_card: CardFactory,
    dev_relay: RelayProcess,
    tmp_path: Path,
    token_worker: TokenWorker,
    qtmodeltester: ModelTester,
) -> None:
    card = virtual_card("openpgp", slot=0)
    card.remove()

    async def create() -> bytes:
        profile = tmp_path / "first"
        wizard, ready, unexpected_pins = make_wizard(profile, token_worker)
        shoot(wizard, "welcome")
        click(wizard.welcome.next)
        await until(lambda: wizard.tokens.empty.isVisible())
        assert row_of(wizard, card.reader) is None
        qtmodeltester.check(wizard.model)  # Qt's own tester, watching the live changes too
        card.insert()  # plugging it in makes it appear
        await until(lambda: row_of(wizard, card.reader) is not None, timeout=15)
        index = row_of(wizard, card.reader)
        assert index is not None
        wizard.tokens.list.setCurrentIndex(index)
        assert "blank" in index.data()
        shoot(wizard, "tokens")
        click(wizard.tokens.next)

        closed = free_port()
        wizard.relay.url.setText(f"wss://127.0.0.1:{closed}")
        click(wizard.relay.next)
        await until(lambda: wizard.relay.error.isVisible())
        assert f"Nothing accepts connections on port {closed}" in wizard.relay.error.text()
        assert wizard.state is WizardState.RELAY
        shoot(wizard, "relay-unreachable")

        await trust_dev_relay(wizard, dev_relay)
        await until(lambda: wizard.state is WizardState.NAME)
        wizard.name.name.setText("alice")
        click(wizard.name.next)

        assert wizard.state is WizardState.NEW_PIN and wizard.new_pin.admin_box.isVisible()
        wizard.new_pin.pin.setText(PIN)
        wizard.new_pin.again.setText(PIN + "0")
        click(wizard.new_pin.next)
        assert "differ" in wizard.new_pin.error.text()
        wizard.new_pin.again.setText(PIN)
        wizard.new_pin.admin.setText(ADMIN_PIN)
        wizard.new_pin.admin_again.setText(ADMIN_PIN)
        shoot(wizard, "new-pin")

        # cancelled while the card signs: nothing is left in the profile
        def cancel_at_signing(value: int) -> None:
            if value == SetupStep.SIGNING and wizard.state is WizardState.WORKING:
                click(wizard.working.cancel)

        wizard.working.progress.valueChanged.connect(cancel_at_signing)
        click(wizard.new_pin.next)
        assert wizard.state is WizardState.WORKING
        shoot(wizard, "working")
        await until(lambda: wizard.state is WizardState.NEW_PIN, timeout=30)
        assert "cancelled" in wizard.new_pin.error.text()
        await until(lambda: not (profile / "setup-unfinished").exists())
        assert not (profile / "keyslots.kbv").exists() and not (profile / "history.db").exists()
        wizard.working.progress.valueChanged.disconnect(cancel_at_signing)

        # the same again goes through (the card kept the keys the cancelled run made)
        steps: list[int] = []
        wizard.working.progress.valueChanged.connect(steps.append)
        click(wizard.new_pin.next)
        await until(lambda: wizard.state is WizardState.RECOVERY_CODE, timeout=60)
        assert steps == sorted(steps) and steps[-1] == wizard.working.progress.maximum()
        shoot(wizard, "recovery-code")
        saved = tmp_path / "code.txt"
        assert wizard.save_code(saved)
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert wizard._code in saved.read_text()
        printer = QPrinter()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "code.pdf"))
        wizard.print_code(printer)
        assert (tmp_path / "code.pdf").read_bytes().startswith(b"%PDF")
        assert unnamed_focusable(wizard) == []

        await confirm_code(wizard, tmp_path)
        assert len(ready) == 1 and unexpected_pins == []
        messenger = ready[0]
        assert isinstance(messenger, Messenger) and not messenger.locked
        assert wizard._code == "" and wizard.recovery.labels == []
        await messenger.wait_online(20)
        identity = messenger.identity_id
        await messenger.close()
        await close(wizard)
        return identity

    identity = arun(create(), timeout=120)

    async def join() -> None:
        wizard, ready, unexpected_pins = make_wizard(tmp_path / "second", token_worker)
        await choose_card(wizard, card)
        await trust_dev_relay(wizard, dev_relay)
        await until(lambda: wizard.state is WizardState.JOIN_OFFER, timeout=20)
        assert identity.hex()[:16] in wizard.join.identity.text()
        shoot(wizard, "join-offer")
        click(wizard.join.join)
        assert wizard.state is WizardState.EXISTING_PIN
        wizard.existing_pin.pin.setText(PIN)
        click(wizard.existing_pin.next)
        await confirm_code(wizard, tmp_path)
        assert len(ready) == 1 and unexpected_pins == []
        messenger = ready[0]
        assert isinstance(messenger, Messenger) and messenger.identity_id == identity
        await messenger.close()
        await close(wizard)

    arun(join(), timeout=120)


def choice(reader: str, has_keys: bool = False, problem: str = "") -> TokenChoice:
    ref = TokenRef(TokenKind.OPENPGP, Transport.PCSC, reader, "0001", f"card in {reader}")
    return TokenChoice(ref, has_keys, True, 3, 3, problem)


def test_the_token_list_model_keeps_rows_in_place_as_tokens_come_and_go(
    qtmodeltester: ModelTester,
) -> None:
    model = TokenListModel()
    qtmodeltester.check(model)
    model.set_tokens([choice("a"), choice("b")])
    model.set_tokens([choice("b", has_keys=True), choice("c"), choice("d", problem="blocked")])
    assert [model.choice(r).ref.reader for r in range(3)] == ["b", "c", "d"]  # type: ignore[union-attr]
    assert "has keys" in model.index(0).data()
    assert not model.flags(model.index(2)) & Qt.ItemFlag.ItemIsSelectable
    model.set_tokens([])
    assert model.rowCount() == 0


def test_focusable_widgets_have_accessible_names_on_every_page(
    qapp: QApplication, tmp_path: Path, token_worker: TokenWorker
) -> None:
    wizard = FirstRunWizard(Bridge(), tmp_path / "profile", Options(token_worker=token_worker))
    wizard.recovery.show_groups(["ABCDE", "FGHJK", "MNPQR", "STVWX"])
    assert unnamed_focusable(wizard) == []
    assert all(edit.accessibleName() for edit in wizard.findChildren(QLineEdit))


BACKUP_PASSPHRASE = "correct horse battery staple 42"
NOTE = "the spare key is in the blue drawer"


def test_join_then_restore_the_history_from_a_key_backup_and_a_passphrase_backup(
    arun: Runner,
    virtual_card: CardFactory,
    dev_relay: RelayProcess,
    tmp_path: Path,
    token_worker: TokenWorker,
) -> None:
    card = virtual_card("openpgp", slot=1)
    source = PresentTokens(kind=TokenKind.OPENPGP, reader=card.reader)
    to_card, to_passphrase = tmp_path / "to-card.age", tmp_path / "to-passphrase.age"

    async def first_computer() -> tuple[bytes, int]:
        opts = Options(
            tokens=source, recovery_cost=TEST_COST, memory_security=False, token_worker=token_worker
        )
        messenger, _ = await Messenger.create_account(
            tmp_path / "first", dev_relay.url, engine_prompter(), display_name="alice",
            enroll=ENROLL, options=opts, tls_pin=dev_relay.fingerprint or True,
        )  # fmt: skip
        await messenger.wait_online(20)  # the identity is on the relay: the card finds it
        notes = await messenger.create_group("notes", [])
        await messenger.send_text(notes, NOTE)
        info = await messenger.create_backup(to_card, to_keys=True)  # enrolls the card's key
        await messenger.create_backup(to_passphrase, passphrase=BACKUP_PASSPHRASE)
        identity = messenger.identity_id
        await messenger.close()
        return identity, info.counts.messages  # the note, and the group's own system line

    identity, messages = arun(first_computer(), timeout=120)

    async def join_and_restore(name: str, backup: Path, passphrase: str | None) -> None:
        wizard, ready, unexpected_pins = make_wizard(tmp_path / name, token_worker)
        await choose_card(wizard, card)
        await trust_dev_relay(wizard, dev_relay)
        await until(lambda: wizard.state is WizardState.JOIN_OFFER, timeout=20)
        wizard.restore_choice.wanted.setChecked(True)
        click(wizard.join.join)
        assert "Choose the backup file" in wizard.join.error.text()
        wizard.restore_choice.file.setText(str(backup))
        click(wizard.join.join)
        wizard.existing_pin.pin.setText(PIN)
        click(wizard.existing_pin.next)
        await until(lambda: wizard.state is WizardState.RESTORE, timeout=60)
        await until(lambda: wizard.restore.restore.isEnabled())
        page = wizard.restore
        assert page.passphrase_box.isVisible() == (passphrase is not None)
        if passphrase is not None:
            assert "passphrase" in page.how.text()
            page.passphrase.setText("not the right passphrase 99")
            click(page.restore)
            await until(lambda: page.error.isVisible(), timeout=30)
            assert "Wrong backup passphrase" in page.error.text()
            page.passphrase.setText(passphrase)
            shoot(wizard, "restore")
        else:
            assert "opens with your security key" in page.how.text()
        click(page.restore)
        await until(lambda: page.next.isVisible(), timeout=60)
        assert f"Restored: {messages} messages added (0 were here" in page.summary.text()
        assert wizard.prompter.known_pin is None and wizard._join_pin is None
        click(page.next)
        await confirm_code(wizard, tmp_path)
        assert len(ready) == 1 and unexpected_pins == []  # the join's PIN, typed once
        messenger = ready[0]
        assert isinstance(messenger, Messenger) and messenger.identity_id == identity
        bodies = []
        for summary in await messenger.conversations():
            bodies += [
                m.body for m in await messenger.history(summary.conversation.conversation_id, 10)
            ]
        assert NOTE in bodies
        await messenger.close()
        await close(wizard)

    arun(join_and_restore("second", to_card, None), timeout=150)
    arun(join_and_restore("third", to_passphrase, BACKUP_PASSPHRASE), timeout=150)
