"""The painted timeline row (Telegram Desktop's painted history, in a QStyledItemDelegate).

No widget per message: each row is laid out once per (message version, width)
into a :class:`Layout` of rectangles, cached, and painted from it.  Plain text
(most messages) is measured and drawn with font metrics; text with markup or
links goes through a QTextDocument.  The same layout answers "what is under
the mouse" (a link, the quoted message, the attachment, "retry").
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from keybound.client.chatview import TimelineEntry
from keybound.client.values import MessageStatus
from keybound.gui import text
from keybound.gui.i18n import translate
from keybound.gui.models import roles

Index = QModelIndex | QPersistentModelIndex

MARGIN = 10  # between the view's edge and a bubble
PAD = 8  # inside a bubble
GAP = 4  # between parts
THUMB_W, THUMB_H = 240, 180
CACHE_SIZE = 1200


@dataclass
class Layout:
    """Where each part of one row goes, relative to the row's top-left corner."""

    height: int = 0
    day: QRect | None = None
    day_text: str = ""
    marker: QRect | None = None
    sender: QRect | None = None
    bubble: QRect = field(default_factory=QRect)
    quote: QRect | None = None
    quote_sender: str = ""
    quote_text: str = ""
    body: QRect | None = None
    body_text: str = ""  # drawn with metrics when there is no document
    document: QTextDocument | None = None
    tombstone: bool = False
    attachment: QRect | None = None
    thumb: QRect | None = None
    pixmap: QPixmap | None = None
    file_line: str = ""
    progress: QRect | None = None
    footer: QRect = field(default_factory=QRect)
    retry: QRect | None = None
    reactions: list[tuple[QRect, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    """What a click landed on."""

    kind: str  # "link", "quote", "attachment", "retry", "reaction", "bubble"
    value: str = ""


def _time(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%H:%M")


def _day(ms: int) -> str:
    day = dt.datetime.fromtimestamp(ms / 1000).date()
    today = dt.date.today()
    if day == today:
        return translate("Timeline", "Today")
    if day == today - dt.timedelta(days=1):
        return translate("Timeline", "Yesterday")
    return day.strftime("%A, %d %B %Y")


def ticks(status: MessageStatus) -> str:
    return {
        MessageStatus.SENDING: "\u25cb",  # ○
        MessageStatus.SENT: "\u2713",  # ✓
        MessageStatus.DELIVERED: "\u2713\u2713",
        MessageStatus.READ: "\u2713\u2713",
        MessageStatus.FAILED: "!",
    }.get(status, "")


def status_name(status: MessageStatus) -> str:
    return {
        MessageStatus.SENDING: translate("Timeline", "sending"),
        MessageStatus.SENT: translate("Timeline", "sent"),
        MessageStatus.DELIVERED: translate("Timeline", "delivered"),
        MessageStatus.READ: translate("Timeline", "read"),
        MessageStatus.FAILED: translate("Timeline", "failed"),
    }.get(status, "")


def remaining(expires_at: int, now_ms: int) -> str:
    left = max(0, (expires_at - now_ms) // 1000)
    if left >= 86400:
        return f"{left // 86400}d"
    if left >= 3600:
        return f"{left // 3600}h"
    if left >= 60:
        return f"{left // 60}m"
    return f"{left}s"


def sender_color(identity_id: bytes) -> QColor:
    hue = int.from_bytes(identity_id[:2] or b"\0\0", "big") % 360
    return QColor.fromHsl(hue, 150, 110)


class MessageDelegate(QStyledItemDelegate):
    """Lays out and paints timeline rows; sizes cached per (message, version, width)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[tuple[object, ...], Layout] = OrderedDict()
        self.now_ms: int = 0  # set by the view before painting (timers)

    # --- layout --------------------------------------------------------------------

    def _key(self, index: Index, width: int) -> tuple[object, ...]:
        """One model call per row: the model bumps a row's version whenever anything
        it draws changes (its neighbours' day break and sender name included)."""
        return (index.data(roles.KEY), width)

    def layout(self, option: QStyleOptionViewItem, index: Index) -> Layout:
        width = option.rect.width() or 400
        key = self._key(index, width)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        entry = index.data(roles.ROW)
        made = self._layout(option, index, entry, width) if entry else Layout(height=1)
        self._cache[key] = made
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return made

    def forget(self) -> None:
        self._cache.clear()

    def _layout(
        self, option: QStyleOptionViewItem, index: Index, entry: TimelineEntry, width: int
    ) -> Layout:
        font: QFont = option.font
        fm = QFontMetrics(font)
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        sm = QFontMetrics(small)
        m = entry.message
        out = Layout()
        y = 2
        if index.data(roles.DAY_BREAK):
            out.day_text = _day(m.sort_at)
            w = fm.horizontalAdvance(out.day_text) + 24
            out.day = QRect((width - w) // 2, y + 4, w, fm.height() + 6)
            y += fm.height() + 16
        if index.data(roles.NEW_MARKER):
            out.marker = QRect(MARGIN, y, width - 2 * MARGIN, sm.height() + 6)
            y += sm.height() + 10
        if index.data(roles.SHOW_SENDER):
            out.sender = QRect(MARGIN + PAD, y, width - 2 * MARGIN, sm.height())
            y += sm.height() + 2

        max_bubble = max(120, min(int(width * 0.75), 600))
        inner_max = max_bubble - 2 * PAD
        parts_w = 0
        inner_y = PAD
        if m.reply_to is not None:
            if entry.quoted is not None and not entry.quoted.deleted:
                out.quote_sender = entry.quoted_sender or translate("Timeline", "You")
                out.quote_text = text.preview(entry.quoted.body or "", 120)
            else:
                out.quote_text = translate("Timeline", "The original message is not available.")
            qw = min(inner_max, max(sm.horizontalAdvance(out.quote_text),
                                    sm.horizontalAdvance(out.quote_sender)) + 14)  # fmt: skip
            out.quote = QRect(PAD, inner_y, qw, 2 * sm.height() + 8)
            parts_w = max(parts_w, qw)
            inner_y += out.quote.height() + GAP

        if m.deleted:
            out.tombstone = True
            out.body_text = translate("Timeline", "This message was deleted.")
        elif entry.attachments:
            a = entry.attachments[0]
            out.file_line = (
                f"{a.file_name or translate('Timeline', 'file')}  ·  {text.human_size(a.size)}"
            )
            box_y = inner_y
            if a.thumbnail:
                pix = QPixmap()
                box = QSize(min(THUMB_W, inner_max), THUMB_H)
                if pix.loadFromData(a.thumbnail):
                    if pix.width() > box.width() or pix.height() > box.height():
                        pix = pix.scaled(
                            box,
                            Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation,
                        )
                    out.pixmap = pix
                    out.thumb = QRect(PAD, inner_y, pix.width(), pix.height())
                    inner_y += pix.height() + GAP
                    parts_w = max(parts_w, pix.width())
            lw = min(inner_max, fm.horizontalAdvance("📎 " + out.file_line))
            inner_y += fm.height() + GAP
            parts_w = max(parts_w, lw)
            if index.data(roles.PROGRESS) is not None:
                out.progress = QRect(PAD, inner_y, max(lw, 160), 6)
                inner_y += 6 + GAP
                parts_w = max(parts_w, out.progress.width())
            out.attachment = QRect(PAD, box_y, parts_w, inner_y - box_y)
        else:
            body = m.body or ""
            if any(s.kind != "text" for s in text.spans(body)):
                doc = QTextDocument()
                doc.setDefaultFont(font)
                doc.setDocumentMargin(0)
                doc.setHtml(text.message_html(body))
                doc.setTextWidth(inner_max)
                ideal = int(doc.idealWidth()) + 1
                doc.setTextWidth(ideal)
                out.document = doc
                size = QSize(ideal, int(doc.size().height()) + 1)
            else:
                out.body_text = body
                r = fm.boundingRect(
                    QRect(0, 0, inner_max, 100000), Qt.TextFlag.TextWordWrap, body or " "
                )
                size = QSize(min(inner_max, r.width() + 1), r.height())
            out.body = QRect(PAD, inner_y, size.width(), size.height())
            parts_w = max(parts_w, size.width())
            inner_y += size.height() + GAP
        if out.tombstone:
            tw = fm.horizontalAdvance(out.body_text) + 2
            out.body = QRect(PAD, inner_y, tw, fm.height())
            parts_w = max(parts_w, tw)
            inner_y += fm.height() + GAP

        footer_w = sm.horizontalAdvance(self._footer_sample(entry))
        if m.status is MessageStatus.FAILED:
            footer_w = max(footer_w, sm.horizontalAdvance(self._failure_text(entry)))
        footer_w = min(footer_w, inner_max)
        out.footer = QRect(PAD, inner_y, footer_w, sm.height())
        inner_y += sm.height()
        if m.status is MessageStatus.FAILED:
            rw = sm.horizontalAdvance(translate("Timeline", "Retry")) + 12
            out.retry = QRect(PAD, inner_y + 2, rw, sm.height() + 4)
            inner_y += sm.height() + 6
        parts_w = max(parts_w, footer_w)
        bw = min(max_bubble, parts_w + 2 * PAD)
        bh = inner_y + PAD
        bx = width - MARGIN - bw if m.outgoing else MARGIN
        out.bubble = QRect(bx, y, bw, bh)
        if m.outgoing:  # footer right-aligned in our own bubbles
            out.footer.moveLeft(bw - PAD - footer_w)
        y += bh

        if entry.reactions and not m.deleted:
            counts: dict[str, int] = {}
            for reaction in entry.reactions:
                counts[reaction.emoji] = counts.get(reaction.emoji, 0) + 1
            x = bx + 6
            y += 2
            for emoji, n in counts.items():
                label = emoji if n == 1 else f"{emoji} {n}"
                w = fm.horizontalAdvance(label) + 14
                out.reactions.append((QRect(x, y, w, fm.height() + 4), label))
                x += w + 4
            y += fm.height() + 6
        out.height = y + 4
        return out

    def _footer_sample(self, entry: TimelineEntry) -> str:
        m = entry.message
        parts = []
        if m.expires_at is not None:
            parts.append("\u23f1 59m")
        if m.edited_at is not None and not m.deleted:
            parts.append(translate("Timeline", "edited"))
        parts.append(_time(m.sort_at))
        if m.outgoing:
            parts.append("\u2713\u2713")
        return "  ".join(parts)

    def footer_text(self, entry: TimelineEntry) -> str:
        m = entry.message
        parts = []
        if m.expires_at is not None:
            parts.append("\u23f1 " + remaining(m.expires_at, self.now_ms))
        if m.edited_at is not None and not m.deleted:
            parts.append(translate("Timeline", "edited"))
        parts.append(_time(m.sort_at))
        if m.outgoing:
            parts.append(ticks(m.status))
        return "  ".join(parts)

    def _failure_text(self, entry: TimelineEntry) -> str:
        reason = entry.message.failure_reason or translate("Timeline", "unknown reason")
        return translate("Timeline", "Not sent: %1").replace("%1", reason)

    # --- Qt delegate ---------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(option.rect.width(), self.layout(option, index).height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry: TimelineEntry | None = index.data(roles.ROW)
        if entry is None:
            return
        lay = self.layout(option, index)
        rect: QRect = option.rect
        pal: QPalette = option.palette
        state = option.state
        font: QFont = option.font
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        m = entry.message
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(rect.topLeft())
        text_color = pal.color(QPalette.ColorRole.Text)
        dim = QColor(text_color)
        dim.setAlpha(150)
        accent = pal.color(QPalette.ColorRole.Highlight)
        if lay.day is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(lay.day, lay.day.height() / 2, lay.day.height() / 2)
            painter.setPen(dim)
            painter.drawText(lay.day, Qt.AlignmentFlag.AlignCenter, lay.day_text)
        if lay.marker is not None:
            painter.setFont(small)
            painter.setPen(accent)
            mid_y = lay.marker.center().y()
            label = self.tr("New messages")
            lw = QFontMetrics(small).horizontalAdvance(label) + 16
            cx = lay.marker.center().x()
            painter.drawLine(lay.marker.left(), mid_y, cx - lw // 2, mid_y)
            painter.drawLine(cx + lw // 2, mid_y, lay.marker.right(), mid_y)
            painter.drawText(lay.marker, Qt.AlignmentFlag.AlignCenter, label)
            painter.setFont(font)
        if lay.sender is not None:
            bold = QFont(small)
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(sender_color(m.sender_identity))
            painter.drawText(lay.sender, Qt.AlignmentFlag.AlignLeft, text.name(entry.sender_name))
            painter.setFont(font)

        bubble = lay.bubble
        fill = QColor(accent) if m.outgoing else pal.color(QPalette.ColorRole.AlternateBase)
        if m.outgoing:
            fill.setAlpha(70)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(bubble, 10, 10)
        if state & QStyle.StateFlag.State_Selected or state & QStyle.StateFlag.State_HasFocus:
            pen = QColor(accent)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bubble.adjusted(0, 0, -1, -1), 10, 10)
        painter.translate(bubble.topLeft())
        if lay.quote is not None:
            q = lay.quote
            bar = QColor(accent)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bar)
            painter.drawRect(q.left(), q.top(), 3, q.height())
            painter.setFont(small)
            painter.setPen(accent)
            line = QFontMetrics(small).height()
            painter.drawText(q.adjusted(8, 2, 0, 0), Qt.AlignmentFlag.AlignLeft,
                             text.name(lay.quote_sender))  # fmt: skip
            painter.setPen(dim)
            elided = QFontMetrics(small).elidedText(
                lay.quote_text, Qt.TextElideMode.ElideRight, q.width() - 10
            )
            painter.drawText(q.adjusted(8, 4 + line, 0, 0), Qt.AlignmentFlag.AlignLeft, elided)
            painter.setFont(font)
        if lay.document is not None and lay.body is not None:
            painter.save()
            painter.translate(lay.body.topLeft())
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.palette.setColor(QPalette.ColorRole.Text, text_color)
            lay.document.documentLayout().draw(painter, ctx)
            painter.restore()
        elif lay.body is not None:
            if lay.tombstone:
                it = QFont(font)
                it.setItalic(True)
                painter.setFont(it)
                painter.setPen(dim)
            else:
                painter.setPen(text_color)
            painter.drawText(lay.body, Qt.TextFlag.TextWordWrap, lay.body_text)
            painter.setFont(font)
        if lay.attachment is not None:
            if lay.thumb is not None and lay.pixmap is not None:
                painter.drawPixmap(lay.thumb.topLeft(), lay.pixmap)
            painter.setPen(text_color)
            line_y = lay.thumb.bottom() + GAP if lay.thumb is not None else lay.attachment.top()
            line_rect = QRect(PAD, line_y, lay.attachment.width(), QFontMetrics(font).height())
            painter.drawText(line_rect, Qt.AlignmentFlag.AlignLeft, "📎 " + lay.file_line)
            progress = index.data(roles.PROGRESS)
            if lay.progress is not None and progress is not None:
                done, total = progress
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(dim)
                painter.drawRoundedRect(lay.progress, 3, 3)
                part = QRect(lay.progress)
                part.setWidth(max(1, int(lay.progress.width() * done / max(1, total))))
                painter.setBrush(accent)
                painter.drawRoundedRect(part, 3, 3)
        painter.setFont(small)
        if m.status is MessageStatus.FAILED:
            painter.setPen(QColor(200, 40, 40))
            painter.drawText(lay.footer, Qt.AlignmentFlag.AlignLeft, self._failure_text(entry))
            if lay.retry is not None:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(lay.retry, 4, 4)
                painter.drawText(lay.retry, Qt.AlignmentFlag.AlignCenter, self.tr("Retry"))
        else:
            painter.setPen(accent if m.status is MessageStatus.READ else dim)
            painter.drawText(lay.footer, Qt.AlignmentFlag.AlignRight, self.footer_text(entry))
        painter.setFont(font)
        painter.translate(-bubble.topLeft())
        for r, label in lay.reactions:
            painter.setPen(QColor(accent))
            painter.setBrush(pal.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
            painter.setPen(text_color)
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()

    # --- hit testing ---------------------------------------------------------------

    def hit(self, option: QStyleOptionViewItem, index: Index, pos: QPoint) -> Hit | None:
        """What lies at ``pos`` (view coordinates) in the row ``index``."""
        lay = self.layout(option, index)
        local = pos - option.rect.topLeft()
        for r, label in lay.reactions:
            if r.contains(local):
                return Hit("reaction", label.split(" ")[0])
        if not lay.bubble.contains(local):
            return None
        inner = local - lay.bubble.topLeft()
        if lay.retry is not None and lay.retry.contains(inner):
            return Hit("retry")
        if lay.quote is not None and lay.quote.contains(inner):
            return Hit("quote")
        if lay.attachment is not None and lay.attachment.contains(inner):
            return Hit("attachment")
        if lay.document is not None and lay.body is not None and lay.body.contains(inner):
            at = inner - lay.body.topLeft()
            anchor = lay.document.documentLayout().anchorAt(at.toPointF())
            if anchor:
                return Hit("link", anchor)
        return Hit("bubble")

    def link_label(self, option: QStyleOptionViewItem, index: Index, url: str) -> str:
        """The label a link was shown with (to warn when it is not its target)."""
        entry: TimelineEntry | None = index.data(roles.ROW)
        for span in text.spans(entry.message.body or "") if entry else []:
            if span.kind == "link" and span.url == url:
                return span.text
        return url
