"""Message info: when it was sent and received, and each recipient device's receipts."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keybound.client.chatview import TimelineEntry
from keybound.client.values import Receipt
from keybound.gui import text
from keybound.gui.views.delegate import status_name


def when(ms: int | None) -> str:
    return "" if ms is None else dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


class MessageInfo(QDialog):
    """Details of one message; ``names`` maps identity IDs to display names."""

    def __init__(
        self,
        entry: TimelineEntry,
        receipts: list[Receipt],
        names: dict[bytes, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("messageInfo")
        self.setWindowTitle(self.tr("Message info"))
        m = entry.message
        form = QFormLayout()
        form.addRow(self.tr("Sent"), QLabel(when(m.sent_at), self))
        if m.received_at is not None:
            form.addRow(self.tr("Received"), QLabel(when(m.received_at), self))
        if m.outgoing:
            status = status_name(m.status)
            if m.failure_reason:
                status += f" ({m.failure_reason})"
            form.addRow(self.tr("Status"), QLabel(status, self))
        else:
            form.addRow(self.tr("From"), QLabel(text.name(entry.sender_name), self))
        if m.edited_at is not None:
            form.addRow(self.tr("Edited"), QLabel(when(m.edited_at), self))
        if m.expires_at is not None:
            form.addRow(self.tr("Disappears"), QLabel(when(m.expires_at), self))
        self.receipts = QTreeWidget(self)
        self.receipts.setAccessibleName(self.tr("Receipts per recipient"))
        self.receipts.setHeaderLabels([self.tr("Recipient"), self.tr("Delivered"), self.tr("Read")])
        self.receipts.setRootIsDecorated(False)
        for r in receipts:
            who = names.get(r.recipient_identity) or r.recipient_identity.hex()[:8]
            label = f"{text.name(who)} · {r.recipient_device.hex()[:6]}"
            QTreeWidgetItem(self.receipts, [label, when(r.delivered_at), when(r.read_at)])
        for column in range(3):
            self.receipts.resizeColumnToContents(column)
        self.setMinimumWidth(520)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if m.outgoing:
            layout.addWidget(QLabel(self.tr("Receipts"), self))
            layout.addWidget(self.receipts)
        else:
            self.receipts.hide()
        layout.addWidget(buttons)
