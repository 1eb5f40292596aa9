"""Reusable pieces for talking to a real relay process over real sockets.

- :class:`RelayProcess`: ``python -m keybound.relay.main`` as a separate
  process on a free port, waited for until it prints ``listening ...``;
  stop (SIGTERM), kill (SIGKILL), restart on the same port and data.
- :class:`Person` / :class:`Device`: an identity chain made with the identity
  package's software token, and devices with software Ed25519 keys whose
  certificates are in the chain.
- :class:`RelayClient`: a minimal asyncio client speaking frames: replies are
  matched by request id, pushed ``deliver`` frames (id 0) are queued.
- ``relay_factory`` fixture: starts relays and always stops them.

Shared by the relay, client, end-to-end, GUI and packaging tests (a package's
conftest imports the fixtures it uses from here).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from keybound.identity.document import (
    DeviceCertificate,
    SignedDocument,
    build_genesis,
    build_next,
    certify_device,
    document_hash,
    encode_document,
)
from keybound.identity.testing import SoftwareToken
from keybound.wire import frames as f

F = TypeVar("F", bound=f.Frame)
SRC = Path(__file__).resolve().parents[2] / "src"
_RAW = (Encoding.Raw, PublicFormat.Raw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- identities ---------------------------------------------------------------------


@dataclass
class Device:
    """A device with a software Ed25519 key (cryptography), or a vodozemac Account's."""

    person: Person
    device_id: bytes
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    account: Any = None  # a vodozemac.Account: then its keys are the device's keys

    @property
    def address(self) -> f.DeviceAddress:
        return f.DeviceAddress(self.person.identity_id, self.device_id)

    @property
    def ed25519(self) -> bytes:
        if self.account is not None:
            return _b64(self.account.ed25519_key.to_base64())
        return self.key.public_key().public_bytes(*_RAW)

    @property
    def curve25519(self) -> bytes:
        if self.account is not None:
            return bytes(self.account.curve25519_key.to_bytes())
        return X25519PrivateKey.generate().public_key().public_bytes(*_RAW)

    def sign(self, data: bytes) -> bytes:
        if self.account is not None:
            return _b64(self.account.sign(data).to_base64())
        return self.key.sign(data)

    def certificate(
        self, root: bytes, created: int, expires: int | None = None
    ) -> DeviceCertificate:
        unsigned = DeviceCertificate(
            self.device_id, self.curve25519, self.ed25519, "ws://relay.test", created, expires
        )
        return certify_device(root, unsigned, self.sign)

    def answer(self, challenge: f.Challenge) -> f.Authenticate:
        data = f.auth_signing_bytes(challenge, self.address)
        return f.Authenticate(self.address, self.sign(data))


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


class Person:
    """An identity: a software token and devices, with its chain of documents."""

    def __init__(
        self, devices: int = 1, created: int = 1_700_000_000, accounts: Sequence[Any] = ()
    ) -> None:
        self.token = SoftwareToken()
        self.root = self.token.entry.token_id
        self.created = created
        self.devices: list[Device] = [Device(self, os.urandom(16)) for _ in range(devices)]
        self.devices += [Device(self, os.urandom(16), account=a) for a in accounts]
        self._certs = {d.device_id: d.certificate(self.root, created) for d in self.devices}
        genesis = build_genesis([self.token.entry], list(self._certs.values()), created)
        self.documents: list[SignedDocument] = [self.token.sign_document(genesis)]
        self.identity_id = document_hash(self.documents[0])

    @property
    def device(self) -> Device:
        return self.devices[0]

    def chain(self) -> tuple[bytes, ...]:
        return tuple(encode_document(d) for d in self.documents)

    def _next(self) -> None:
        doc = build_next(
            self.documents[-1],
            self.created + len(self.documents),
            devices=[self._certs[d.device_id] for d in self.devices],
        )
        self.documents.append(self.token.sign_document(doc))

    def add_device(self, expires: int | None = None) -> Device:
        device = Device(self, os.urandom(16))
        self.devices.append(device)
        self._certs[device.device_id] = device.certificate(self.root, self.created, expires)
        self._next()
        return device

    def remove_device(self, device: Device) -> None:
        self.devices.remove(device)
        self._next()

    def fork(self) -> Person:
        """Another history from the same genesis: same token, a different next document."""
        other = Person.__new__(Person)
        other.token, other.root, other.created = self.token, self.root, self.created + 500
        other.devices = list(self.devices[:1])
        other._certs = dict(self._certs)
        other.documents = self.documents[:1]
        other.identity_id = self.identity_id
        other.add_device()
        return other

    def forged(self) -> Person:
        """This chain plus a next document signed by a token that is not in it."""
        other = Person.__new__(Person)
        other.token, other.root, other.created = SoftwareToken(), self.root, self.created
        other.devices, other._certs = list(self.devices), dict(self._certs)
        other.documents, other.identity_id = list(self.documents), self.identity_id
        other._next()
        return other


# --- the relay process ----------------------------------------------------------------


class RelayProcess:
    """``keybound-relay`` in its own process, on a fixed port across restarts."""

    def __init__(
        self,
        data: Path,
        *,
        args: Sequence[str] = (),
        database: str | None = None,
        tls: bool = False,
        metrics: bool = False,
        port: int | None = None,
    ) -> None:
        self.data = data
        self.args = list(args)
        self.database = database
        self.tls = tls
        self.port = port or free_port()
        self.metrics_port = free_port() if metrics else None
        self.proc: subprocess.Popen[str] | None = None
        self.fingerprint: str | None = None
        self.stdout_lines: list[str] = []
        self.log_path = data / "relay.log"

    @property
    def url(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "keybound.relay.main", "--data", str(self.data)]
        cmd += ["--listen", f"127.0.0.1:{self.port}", "--name", "relay.test"]
        cmd += ["--dev-tls"] if self.tls else ["--insecure-loopback"]
        if self.database:
            cmd += ["--database", self.database]
        if self.metrics_port:
            cmd += ["--metrics", f"127.0.0.1:{self.metrics_port}"]
        if "--connect-rate" not in self.args:  # every test client comes from 127.0.0.1
            cmd += ["--connect-rate", "1000/1000"]
        return cmd + self.args

    def start(self, timeout: float = 30.0) -> RelayProcess:
        self.data.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=log, text=True, env=env
        )
        log.close()
        ready = threading.Event()
        proc = self.proc

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                self.stdout_lines.append(line.rstrip("\n"))
                if line.startswith("tls-fingerprint sha256 "):
                    self.fingerprint = line.split()[-1]
                if line.startswith("listening "):
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout) or proc.poll() is not None:
            self.kill()
            raise AssertionError(f"relay did not start: {self.log_path.read_text()[-3000:]}")
        return self

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait: the exit code of a graceful shutdown."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("relay did not stop on SIGTERM") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def logs(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@pytest.fixture
def relay_factory(tmp_path: Path) -> Iterator[Any]:
    """``relay_factory(name="a", **kwargs)`` starts a relay; all are killed at the end."""
    started: list[RelayProcess] = []

    def make(name: str = "relay", **kwargs: Any) -> RelayProcess:
        relay = RelayProcess(tmp_path / name, **kwargs).start()
        started.append(relay)
        return relay

    yield make
    for relay in started:
        relay.kill()


# --- the client ----------------------------------------------------------------------


class RelayError(Exception):
    def __init__(self, error: f.Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


class RelayClient:
    """Frames over one WebSocket: ``request`` pairs replies by id; pushes are queued."""

    def __init__(self, conn: ClientConnection, challenge: f.Challenge) -> None:
        self.conn = conn
        self.challenge = challenge
        self.pushes: asyncio.Queue[f.Frame] = asyncio.Queue()
        self.closed = asyncio.Event()
        self._next_id = 0
        self._waiting: dict[int, asyncio.Future[f.Frame]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, url: str, *, ssl_context: ssl.SSLContext | None = None) -> RelayClient:
        conn = await connect(url, max_size=None, compression=None, ssl=ssl_context, open_timeout=10)
        first = f.decode_frame(await asyncio.wait_for(conn.recv(), 10))  # type: ignore[arg-type]
        if isinstance(first.body, f.Error):
            await conn.close()
            raise RelayError(first.body)
        return cls(conn, f.body_as(first, f.Challenge))

    @classmethod
    async def login(cls, url: str, device: Device, **kwargs: Any) -> RelayClient:
        client = await cls.connect(url, **kwargs)
        await client.call(device.answer(client.challenge), f.Authenticated)
        return client

    async def _read(self) -> None:
        try:
            async for data in self.conn:
                env = f.decode_frame(data)  # type: ignore[arg-type]
                waiter = self._waiting.pop(env.request_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(env.body)
                else:
                    self.pushes.put_nowait(env.body)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("connection closed"))

    async def send_raw(self, data: bytes | str) -> None:
        await self.conn.send(data)

    async def request(self, body: f.Frame, timeout: float = 10.0) -> f.Frame:
        self._next_id += 1
        rid = self._next_id
        waiter: asyncio.Future[f.Frame] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = waiter
        await self.conn.send(f.encode_frame(rid, body))
        return await asyncio.wait_for(waiter, timeout)

    async def call(self, body: f.Frame, expect: type[F], timeout: float = 10.0) -> F:
        reply = await self.request(body, timeout)
        if isinstance(reply, f.Error):
            raise RelayError(reply)
        assert isinstance(reply, expect), reply
        return reply

    async def error(self, body: f.Frame, timeout: float = 10.0) -> f.Error:
        reply = await self.request(body, timeout)
        assert isinstance(reply, f.Error), reply
        return reply

    async def push(self, timeout: float = 10.0) -> f.Frame:
        return await asyncio.wait_for(self.pushes.get(), timeout)

    async def deliveries(self, count: int, timeout: float = 10.0) -> list[f.Incoming]:
        """Pushed messages until ``count`` arrived (acknowledging none)."""
        got: list[f.Incoming] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            frame = await self.push(max(0.01, deadline - time.monotonic()))
            if isinstance(frame, f.Deliver):
                got.extend(frame.messages)
        return got

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.conn.close()
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader

    async def __aenter__(self) -> RelayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def publish(url: str, person: Person) -> None:
    """Publish ``person``'s chain (unauthenticated bootstrap)."""
    client = await RelayClient.connect(url)
    try:
        await client.call(f.PublishIdentity(person.chain()), f.Ok)
    finally:
        await client.close()


def send(to: Device | f.DeviceAddress, payload: bytes) -> f.Send:
    address = to.address if isinstance(to, Device) else to
    return f.Send((f.Outgoing(address, payload),))


def run(coro: Any) -> Any:
    """Run one async scenario from a synchronous test."""
    return asyncio.run(asyncio.wait_for(coro, 90))


@pytest.fixture(scope="module")
def shared_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """One relay (SQLite, ws:// on loopback) for a whole test module."""
    relay = RelayProcess(tmp_path_factory.mktemp("relay")).start()
    yield relay
    relay.kill()
