"""The identity banner's words for each kind of alert: the attack warning is not the routine
notice, and a held contact says so (pure widget logic; the flows are in test_emoji_verification)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget

from keybound.client.values import ALERT_ATTACK, ALERT_CHANGED, ALERT_SUSPECT, IdentityAlert
from keybound.gui.bridge import Bridge
from keybound.gui.views.identity_banner import IdentityBanner


def test_each_alert_has_its_own_words_and_the_attack_is_the_strongest(qapp: QApplication) -> None:
    parent = QWidget()
    banner = IdentityBanner(Bridge(), parent)
    banner.set_identity(b"\x01" * 32, "carol")
    assert not banner.isVisibleTo(parent) and banner.verify_button.isVisibleTo(parent)
    shown = {}
    for kind, held in ((ALERT_CHANGED, False), (ALERT_ATTACK, True), (ALERT_SUSPECT, False)):
        banner._show(IdentityAlert(b"\x01" * 32, kind, 1, "", held))
        assert banner.isVisibleTo(parent)
        shown[kind] = (banner.title.text(), banner.text, banner.styleSheet())
    assert "security keys changed" in shown[ALERT_CHANGED][1]
    assert "held" not in shown[ALERT_CHANGED][1]
    assert "Possible attack" in shown[ALERT_ATTACK][0] and "held" in shown[ALERT_ATTACK][1]
    assert "suspect" in shown[ALERT_SUSPECT][1]
    assert len({s for _, _, s in shown.values()}) == 3  # three different looks
    assert "bold" in shown[ALERT_ATTACK][2] and "bold" not in shown[ALERT_CHANGED][2]
    banner._show(None)
    assert not banner.isVisibleTo(parent)
    banner.set_identity(None)
    assert not banner.verify_button.isVisibleTo(parent)  # groups: nothing to verify
    parent.deleteLater()
