"""``keybound-relay``: parse the command line, build the relay, run until a signal.

    keybound-relay --data DIR --listen HOST:PORT (--tls-cert F --tls-key F | --dev-tls)
                   [--database postgresql://...] [--metrics HOST:PORT] [--name NAME] ...

Plain ``ws://`` is allowed only with ``--insecure-loopback`` *and* a loopback
listen address: a relay reachable from the network always speaks TLS.  On
start the relay prints one line per listener to stdout (``listening ws[s]://
HOST:PORT``, ``metrics http://HOST:PORT``, ``tls-fingerprint sha256 ...``)
so scripts and tests can wait for it; logs go to stderr.  SIGTERM or SIGINT
starts a graceful shutdown: stop accepting, finish the frames in hand, close
connections, close storage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import logging
import resource
import signal
import ssl
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from keybound.relay import event_loop
from keybound.relay.config import RateSpec, RelayConfig
from keybound.relay.core import RelayCore
from keybound.relay.logs import LOGGER_NAME, log_event, setup_logging
from keybound.relay.memory import limit_tls_read_buffer
from keybound.relay.metrics import MetricsServer, RelayMetrics
from keybound.relay.server import RelayServer
from keybound.relay.storage.base import Limits, RelayStorage, StorageError
from keybound.relay.tls import ensure_dev_certificate, fingerprint, server_context

DAY_MS = 24 * 3600 * 1000


class UsageError(Exception):
    """A command-line problem, printed as one line."""


def _host_port(text: str, what: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise UsageError(f"{what} must be HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


def _rate(text: str) -> RateSpec:
    rate, _, burst = text.partition("/")
    try:
        spec = RateSpec(float(rate), float(burst or rate))
    except ValueError:
        raise UsageError(f"a rate is PER_SECOND[/BURST], not {text!r}") from None
    if spec.rate <= 0 or spec.burst < 1:
        raise UsageError(f"a rate must be positive with a burst of at least 1, not {text!r}")
    return spec


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_parser() -> argparse.ArgumentParser:
    d = RelayConfig()
    lim = Limits()
    p = argparse.ArgumentParser(
        prog="keybound-relay",
        description="Store-and-forward relay for Keybound: sees only ciphertext.",
        allow_abbrev=False,
    )
    p.add_argument("--data", required=True, type=Path, metavar="DIR", help="data directory")
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="WebSocket address")
    tls = p.add_argument_group("TLS (one of)")
    tls.add_argument("--tls-cert", type=Path, metavar="FILE", help="PEM certificate chain")
    tls.add_argument("--tls-key", type=Path, metavar="FILE", help="PEM private key")
    tls.add_argument(
        "--dev-tls",
        action="store_true",
        help="create (once) and use a self-signed certificate in DIR; prints its fingerprint",
    )
    tls.add_argument(
        "--insecure-loopback",
        action="store_true",
        help="plain ws:// without TLS, only on a loopback address (development and tests)",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="postgresql://... (or a libpq conninfo) to share one database between relay "
        "nodes (default: SQLite in DIR)",
    )
    p.add_argument("--metrics", metavar="HOST:PORT", help="serve /metrics and /healthz here")
    p.add_argument(
        "--name",
        help="the relay's public name, bound into every authentication "
        "(default: the --listen address); use the host name clients connect to",
    )
    p.add_argument("--message-ttl-days", type=float, default=lim.message_ttl_ms / DAY_MS)
    p.add_argument("--max-queue-messages", type=int, default=lim.max_queue_messages)
    p.add_argument("--max-queue-bytes", type=int, default=lim.max_queue_bytes)
    p.add_argument(
        "--max-sender-queue-messages",
        type=int,
        default=lim.max_sender_messages,
        help="messages one sender device may have queued for one recipient device",
    )
    p.add_argument("--max-sender-queue-bytes", type=int, default=lim.max_sender_bytes)
    p.add_argument("--max-blob-size", type=int, default=lim.max_blob_size)
    p.add_argument("--blob-quota-bytes", type=int, default=lim.blob_quota_bytes)
    p.add_argument("--blob-ttl-days", type=float, default=lim.blob_ttl_ms / DAY_MS)
    p.add_argument("--max-connections", type=int, default=d.max_connections)
    p.add_argument("--max-connections-per-ip", type=int, default=d.max_connections_per_ip)
    p.add_argument(
        "--max-preauth-connections",
        type=int,
        default=d.max_preauth_connections,
        help="connections not yet authenticated, in all",
    )
    p.add_argument(
        "--max-preauth-connections-per-ip", type=int, default=d.max_preauth_connections_per_ip
    )
    p.add_argument("--handshake-timeout", type=float, default=d.handshake_timeout_s, metavar="S")
    p.add_argument("--auth-timeout", type=float, default=d.auth_timeout_s, metavar="S")
    p.add_argument("--idle-timeout", type=float, default=d.idle_timeout_s, metavar="S")
    p.add_argument(
        "--device-rate",
        type=_rate,
        default=d.device_rate,
        metavar="R[/BURST]",
        help="requests per second per device (a send counts once per recipient)",
    )
    p.add_argument(
        "--ip-rate", type=_rate, default=d.ip_rate, metavar="R[/BURST]", help="frames/s per IP"
    )
    p.add_argument(
        "--connect-rate",
        type=_rate,
        default=d.unauthenticated_ip_rate,
        metavar="R[/BURST]",
        help="new connections and unauthenticated publishes and finds per second per IP",
    )
    p.add_argument("--expiry-interval", type=float, default=d.expiry_interval_s, metavar="S")
    p.add_argument(
        "--event-loop",
        choices=event_loop.CHOICES,
        default="auto",
        help="auto (default): uvloop when installed (the relay extra), else asyncio",
    )
    p.add_argument("--log-format", choices=("kv", "json"), default="kv")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    return p


def config_from(args: argparse.Namespace) -> RelayConfig:
    limits = Limits(
        max_queue_messages=args.max_queue_messages,
        max_queue_bytes=args.max_queue_bytes,
        max_sender_messages=args.max_sender_queue_messages,
        max_sender_bytes=args.max_sender_queue_bytes,
        message_ttl_ms=int(args.message_ttl_days * DAY_MS),
        max_blob_size=args.max_blob_size,
        blob_quota_bytes=args.blob_quota_bytes,
        blob_ttl_ms=int(args.blob_ttl_days * DAY_MS),
    )
    return replace(
        RelayConfig(),
        name=args.name or args.listen,
        storage=limits,
        max_connections=args.max_connections,
        max_connections_per_ip=args.max_connections_per_ip,
        max_preauth_connections=args.max_preauth_connections,
        max_preauth_connections_per_ip=args.max_preauth_connections_per_ip,
        handshake_timeout_s=args.handshake_timeout,
        auth_timeout_s=args.auth_timeout,
        idle_timeout_s=args.idle_timeout,
        device_rate=args.device_rate,
        ip_rate=args.ip_rate,
        unauthenticated_ip_rate=args.connect_rate,
        expiry_interval_s=args.expiry_interval,
    )


def _storage(args: argparse.Namespace, limits: Limits) -> RelayStorage:
    if args.database:
        url = args.database
        if "://" in url and not url.startswith(("postgresql://", "postgres://")):
            raise UsageError("--database must be a postgresql:// URL (or a libpq conninfo)")
        if "://" not in url and "=" not in url:
            raise UsageError("--database must be a postgresql:// URL (or a libpq conninfo)")
        from keybound.relay.storage import postgres

        backend: RelayStorage = postgres.PostgresStorage(args.database, limits)
        return backend
    from keybound.relay.storage.sqlite import SqliteStorage

    return SqliteStorage(args.data / "relay.sqlite3", limits)


def _tls(args: argparse.Namespace, host: str) -> tuple[ssl.SSLContext | None, str | None]:
    chosen = sum([bool(args.tls_cert or args.tls_key), args.dev_tls, args.insecure_loopback])
    if chosen != 1:
        raise UsageError(
            "choose exactly one of --tls-cert/--tls-key, --dev-tls or --insecure-loopback"
        )
    if args.insecure_loopback:
        if not _is_loopback(host):
            raise UsageError(
                f"plain ws:// is only allowed on a loopback address, not {host!r}: "
                "use --tls-cert/--tls-key or --dev-tls to listen on the network"
            )
        return None, None
    if args.dev_tls:
        args.data.mkdir(parents=True, exist_ok=True)
        cert, key = ensure_dev_certificate(args.data, [host])
    else:
        if not (args.tls_cert and args.tls_key):
            raise UsageError("--tls-cert and --tls-key go together")
        cert, key = args.tls_cert, args.tls_key
    try:
        return server_context(cert, key), fingerprint(cert)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


async def serve(args: argparse.Namespace) -> int:
    host, port = _host_port(args.listen, "--listen")
    metrics_addr = _host_port(args.metrics, "--metrics") if args.metrics else None
    ssl_context, tls_fingerprint = _tls(args, host)
    args.data.mkdir(parents=True, exist_ok=True)
    config = config_from(args)
    metrics = RelayMetrics()
    core = RelayCore(_storage(args, config.storage), config, metrics)
    log = logging.getLogger(LOGGER_NAME)
    await core.start()
    server = RelayServer(core, host, port, ssl_context=ssl_context)
    metrics_server: MetricsServer | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        bound = await server.start()
        scheme = "wss" if ssl_context else "ws"
        shown = f"[{host}]" if ":" in host else host
        if tls_fingerprint:
            print(f"tls-fingerprint sha256 {tls_fingerprint}", flush=True)
        if metrics_addr is not None:
            metrics_server = MetricsServer(metrics, lambda: core.healthy)
            mport = await metrics_server.start(*metrics_addr)
            print(f"metrics http://{metrics_addr[0]}:{mport}", flush=True)
        # Everything allocated so far (modules, config, caches) lives as long as
        # the process: keep the cyclic collector from rescanning it in every
        # full collection, which otherwise stalls all connections for 10-20 ms.
        gc.freeze()
        print(f"listening {scheme}://{shown}:{bound}", flush=True)
        log_event(log, "started", listen=f"{host}:{bound}", tls=bool(ssl_context))
        await stop.wait()
        log_event(log, "stopping")
        core.healthy = False
        await server.shutdown()
    finally:
        if metrics_server is not None:
            await metrics_server.close()
        await core.close()
        log_event(log, "stopped")
    return 0


def _raise_open_files_limit() -> None:
    """Each connection is a file descriptor: use all the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    _raise_open_files_limit()
    limit_tls_read_buffer()
    try:
        loop_name, factory = event_loop.loop_factory(args.event_loop)
        log_event(logging.getLogger(LOGGER_NAME), "event_loop", loop=loop_name)
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(serve(args))
    except (UsageError, event_loop.LoopUnavailable) as exc:
        print(f"keybound-relay: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # address in use, permission denied, unreadable files
        print(f"keybound-relay: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"keybound-relay: storage: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
