"""Attach a virtual card to real pcscd through vsmartcard's vpcd driver.

vpcd (inside pcscd) listens on TCP (127.0.0.1:35963 for its first slot,
35964 for the second); the card connects as a client. Frames are a 2-byte
big-endian length and a payload. A 1-byte payload is a control message:
0 power off, 1 power on, 2 reset, 4 "send your ATR" (answered with the ATR).
Anything longer is a command APDU, answered with the response APDU.
While the socket is open the reader shows a card; closing it is a removal.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from typing import Protocol

VPCD_DEFAULT_HOST = "127.0.0.1"
VPCD_DEFAULT_PORT = 35963

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

log = logging.getLogger(__name__)


class Card(Protocol):
    atr: bytes

    def transmit(self, raw: bytes) -> bytes: ...

    def power_on(self) -> None: ...

    def power_off(self) -> None: ...

    def reset(self) -> None: ...


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        # vpcd writes the length and the payload in two sends without TCP_NODELAY;
        # acknowledging at once keeps Nagle from adding a delayed-ACK wait (~40 ms).
        _quickack(sock)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class VpcdLink:
    """Keeps a card inserted in a vpcd slot until removed or stopped.

    ``insert()``/``remove()`` can be called from any thread; the link runs
    its own thread that reconnects while inserted (pcscd may start later).
    """

    def __init__(
        self, card: Card, host: str = VPCD_DEFAULT_HOST, port: int = VPCD_DEFAULT_PORT
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self._inserted = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"vpcd-{port}", daemon=True)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, inserted: bool = True) -> None:
        if inserted:
            self._inserted.set()
        self._thread.start()

    def insert(self) -> None:
        self._inserted.set()

    def remove(self) -> None:
        """Pull the card out: close the socket; pcscd sees the card gone."""
        self._inserted.clear()
        self._close()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self._connected.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.remove()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(5)

    def _close(self) -> None:
        with self._sock_lock:
            sock, self._sock = self._sock, None
        self._connected.clear()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            self.card.power_off()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._inserted.wait(0.05):
                continue
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                time.sleep(0.1)  # vpcd not listening yet (pcscd starting)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._sock_lock:
                if not self._inserted.is_set():
                    sock.close()
                    continue
                self._sock = sock
            self._connected.set()
            try:
                self._serve(sock)
            except OSError:
                pass
            finally:
                self._close()
            if self._inserted.is_set() and not self._stop.is_set():
                time.sleep(0.1)

    def _serve(self, sock: socket.socket) -> None:
        while True:
            header = _recv_exact(sock, 2)
            if header is None:
                return
            (length,) = struct.unpack(">H", header)
            payload = _recv_exact(sock, length)
            if payload is None:
                return
            if length == 1:
                control = payload[0]
                if control == CTRL_ATR:
                    atr = self.card.atr
                    sock.sendall(struct.pack(">H", len(atr)) + atr)
                elif control == CTRL_ON:
                    self.card.power_on()
                elif control == CTRL_OFF:
                    self.card.power_off()
                elif control == CTRL_RESET:
                    self.card.reset()
                else:
                    log.warning("unknown vpcd control byte %d", control)
                continue
            response = self.card.transmit(payload)
            sock.sendall(struct.pack(">H", len(response)) + response)
