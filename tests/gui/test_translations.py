"""The German translation is complete: every text the main window shows changes, and the .ts
has nothing left to translate.

The main window is built twice against the real engine (a relay, alice's real
SQLCipher profile on an in-process virtual card, bob writing to her), once in
English and once with German installed through :func:`install_translations`,
through the screenshot scenes (lock screen, PIN dialog, recovery code, the chat
with bob's conversation open, ...) and the first-run wizard on a new profile.
A text that both runs show is untranslated, unless it is the people's own
content or on :data:`SAME_IN_GERMAN`.  The failure names each such text.
"""

from __future__ import annotations

import asyncio
import getpass
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from keybound.client.token_watch import TokenChoice
from keybound.demo.relay import EmbeddedRelay
from keybound.gui.app import Shell
from keybound.gui.i18n import ENV_LANG, catalogue_name, install_translations, remove_translations
from keybound.gui.theme import Theme
from keybound.token.base import TokenKind, TokenRef, Transport
from keybound.token.worker import TokenWorker
from tests.client.harness import Someone
from tests.gui.conftest import Runner
from tests.gui.screenshots import GROUP, GROUP_TEXT, HELLO, SCENES, Stage, cast, tidy
from tests.gui.texts import tree_texts

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "src" / "keybound" / "resources" / "translations"
GERMAN = TRANSLATIONS / "keybound_de.ts"
VENV_BIN = ROOT / ".venv" / "bin"

# Words that are the same in German (or names), so the same in both runs; the window's
# title "Keybound (1)" (one unread) is made of them.
SAME_IN_GERMAN = frozenset({"Keybound", "Relay", "OK", "PIN", "Name", "Status", "SHA-256"})
# The fake token the wizard's list shows, and the recovery code groups it is given.
TOKEN_LABEL = "OpenPGP card 0042"
GROUPS = ["ABCDE", "FGHJK", "MNPQR", "STVWX"]


def untranslated(ts: Path) -> list[str]:
    """``Context: 'source'`` of every message in ``ts`` that has no finished translation."""
    todo = []
    for context in ET.parse(ts).getroot().iter("context"):  # noqa: S314 (our own file)
        name = context.findtext("name", "")
        for message in context.iter("message"):
            tr = message.find("translation")
            done = tr is not None and tr.get("type") is None
            filled = tr is not None and bool(
                (tr.text or "").strip() or [f for f in tr.iter("numerusform") if f.text]
            )
            if not (done and filled):
                todo.append(f"{name}: {message.findtext('source', '')!r}")
    return todo


@pytest.fixture(scope="module")
def catalogues() -> None:
    """Compile the .ts to .qm now, so the test checks the .ts as it is in this tree."""
    done = subprocess.run(
        [str(ROOT / "packaging" / "build-translations")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (TRANSLATIONS / "keybound_de.qm").is_file()


@pytest.fixture
def german(qapp: QApplication, catalogues: None) -> Iterator[None]:
    translators = install_translations(qapp, QLocale("de"))
    assert len(translators) == 2, "keybound_de.qm and Qt's qtbase_de.qm"
    yield
    remove_translations(qapp, translators)


def test_the_german_ts_has_every_string_of_the_code_translated(tmp_path: Path) -> None:
    """lupdate over today's code into a copy of the .ts: nothing new, nothing unfinished."""
    lupdate = VENV_BIN / "pyside6-lupdate"
    assert lupdate.exists(), "pyside6-lupdate comes with PySide6 (scripts/setup)"
    assert untranslated(GERMAN) == [], "translate these in keybound_de.ts"
    copy = tmp_path / GERMAN.name
    shutil.copy(GERMAN, copy)
    sources = sorted(str(p) for p in (ROOT / "src" / "keybound" / "gui").rglob("*.py"))
    listing = tmp_path / "sources.lst"
    listing.write_text("\n".join(sources) + "\n")
    done = subprocess.run(
        [str(lupdate), "-silent", "-no-obsolete", "-locations", "none", f"@{listing}",
         "-ts", str(copy)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    missing = untranslated(copy)
    assert missing == [], (
        "strings in the code without a German translation: run packaging/update-translations, "
        "translate them in keybound_de.ts:\n" + "\n".join(missing)
    )


def test_keybound_lang_is_honoured_and_an_unknown_language_stays_english(
    qapp: QApplication, catalogues: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = ("LockScreen", "Keybound is locked")
    for lang in ("de", "de_AT", "de-DE"):
        monkeypatch.setenv(ENV_LANG, lang)
        translators = install_translations(qapp)
        try:
            assert len(translators) == 2, lang
            assert QCoreApplication.translate(*locked) == "Keybound ist gesperrt"
            box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)  # Qt's own strings
            assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Abbrechen"
        finally:
            remove_translations(qapp, translators)
    assert QCoreApplication.translate(*locked) == "Keybound is locked"
    for lang in ("xx", "en", "en_GB", "klingon-of-nowhere", ""):
        monkeypatch.setenv(ENV_LANG, lang)
        if not lang:
            monkeypatch.delenv(ENV_LANG)
            if catalogue_name(QLocale.system()) is not None:
                continue  # this machine's own locale is German: nothing to show here
        assert install_translations(qapp) == [], lang
        assert QCoreApplication.translate(*locked) == "Keybound is locked"
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancel"


async def window_texts(
    theme: Theme, alice: Someone, conv: bytes, tmp: Path, bob: Someone
) -> dict[str, set[str]]:
    """Each scene's texts: the screenshot scenes (light ones) and the first-run wizard."""
    out: dict[str, set[str]] = {}
    stage = Stage(theme, alice, conv, bob=bob)
    try:
        for scene in SCENES:
            if scene.dark:
                continue
            widget = await scene.build(stage)
            await asyncio.sleep(0.2)
            out[scene.name] = set(tree_texts(widget))
            tidy(stage, scene)
    finally:
        if stage.shell is not None:
            await stage.shell.close()
    first_run = await Shell.start(tmp / "new-profile", alice.options, theme)
    assert first_run is not None and first_run.window.wizard is not None
    try:
        wizard = first_run.window.wizard
        ref = TokenRef(TokenKind.OPENPGP, Transport.PCSC, "Reader 0", "0042", TOKEN_LABEL)
        wizard.model.set_tokens([TokenChoice(ref, False, True, 3, 3, "")])
        wizard.recovery.show_groups(GROUPS)
        wizard.trust.show_fingerprint(":".join(["42"] * 32))
        wizard.join.show_identity(bytes(range(32)))
        await asyncio.sleep(0.2)
        # every page of the wizard, the ones not shown yet included
        out["first-run wizard"] = set(tree_texts(first_run.window, visible_only=False))
    finally:
        await first_run.close()
    return out


def content(text: str) -> bool:
    """The people's own words and names, codes, numbers and addresses: the same in every
    language.

    What is left of ``text`` without them (and without bidi isolation marks, the
    same-in-German words, digits and punctuation) has no letter.
    """
    rest = text.replace("\u2068", "").replace("\u2069", "")
    rest = re.sub(r"\b(?:keybound|wss?|https?)://\S+", "", rest)  # links and relay addresses
    rest = re.sub(r"\b[0-9a-f]{4}(?: [0-9a-f]{4})*\b", "", rest)  # IDs in hex groups
    people = [HELLO, GROUP_TEXT, GROUP, TOKEN_LABEL, "Reader 0", "alice", "bob", "carol"]
    people += [getpass.getuser(), *GROUPS]
    for word in [*people, *sorted(SAME_IN_GERMAN, key=len, reverse=True)]:
        rest = rest.replace(word, "")
    return re.search(r"[^\W\d_]", rest) is None


def test_every_text_of_the_main_window_changes_in_german(
    qapp: QApplication, catalogues: None, arun: Runner, tmp_path: Path
) -> None:
    qapp.setQuitOnLastWindowClosed(False)
    relay = EmbeddedRelay(tmp_path / "relay").start()
    worker = TokenWorker()
    theme = Theme(qapp)

    async def both() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        alice, bob, conv = await cast(tmp_path, relay.url, worker)
        try:
            english = await window_texts(theme, alice, conv, tmp_path / "en", bob)
            translators = install_translations(qapp, QLocale("de"))
            assert len(translators) == 2
            try:
                german = await window_texts(theme, alice, conv, tmp_path / "de", bob)
            finally:
                remove_translations(qapp, translators)
        finally:
            await bob.close()
        return english, german

    try:
        english, german = arun(both(), timeout=240)
    finally:
        worker.stop()
        relay.kill()
    assert set(german) == set(english)
    seen_in_english = set().union(*english.values())
    same: list[str] = []
    for scene, texts in german.items():
        assert texts, f"{scene}: no texts found"
        for text in sorted(texts & seen_in_english):
            if text not in SAME_IN_GERMAN and not content(text):
                same.append(f"{scene}: {text!r}")
    assert same == [], (
        "texts still English with German installed (wrap them in self.tr / translate, "
        "run packaging/update-translations, translate them in keybound_de.ts):\n" + "\n".join(same)
    )
    # the people's words came through untouched, and the German texts are really there
    chat = german["main-window"]
    assert any(HELLO in text for text in chat) and any("bob" in text for text in chat), chat
    assert "Keybound ist gesperrt" in german["lock-screen"]
    assert "Willkommen bei Keybound" in german["first-run wizard"]
