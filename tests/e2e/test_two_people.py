"""Two people chat from the command line: init, invite, contacts both ways, messages both
ways (a listener and `history`), receipts, the daemon socket, exit codes, and a relay
that never sees a name, a PIN or a message in clear."""

from __future__ import annotations

import os
import socket
import stat
import tempfile
from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import PIN, Person, befriend, has_message, has_receipt, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]  # many processes

SECRET_WORDS = ("marmalade-sunrise-7", "quietly-orbiting-ferret")


def test_two_people_chat_through_a_pinned_relay(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory(tls=True)
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bertrand", tmp_path, virtual_card, slot=4)
    try:
        alice.init(relay.url, "--dev-tls")
        bob.init(relay.url, "--tls-fingerprint", relay.fingerprint or "")
        assert alice.identity != bob.identity
        assert stat.S_IMODE(alice.profile.stat().st_mode) == 0o700
        befriend(alice, bob)
        contacts = alice.run("contact", "list", "--json").lines()
        assert [c["name"] for c in contacts] == ["bertrand"]
        assert contacts[0]["identity_id"] == bob.identity
        assert contacts[0]["verification"] == "unverified"

        # verifying: both sides see the same safety number
        shown_a = alice.run("contact", "verify", "bertrand", "--yes").out
        shown_b = bob.run("contact", "verify", "alice", "--yes").out
        number = [ln for ln in shown_a.splitlines() if ln.startswith("    ")]
        assert len(number) == 3 and number == [
            ln for ln in shown_b.splitlines() if ln.startswith("    ")
        ]
        assert alice.run("contact", "list", "--json").lines()[0]["verification"] == "verified"
        refused = alice.run("contact", "verify", "bertrand", expect=1)  # no terminal, no --yes
        assert "--yes" in refused.err

        # alice listens; bob writes; alice answers through her listener's socket
        listener = alice.listen()
        assert (alice.profile / "daemon.sock").exists()
        mode = stat.S_IMODE((alice.profile / "daemon.sock").stat().st_mode)
        assert mode == 0o600
        follower = alice.listen()  # a second `listen` follows the first through its socket
        first = bob.run("send", "alice", f"hello alice, {SECRET_WORDS[0]}").out.strip()
        event = listener.wait(has_message(f"hello alice, {SECRET_WORDS[0]}"), what="bob's text")
        assert follower.wait(has_message(event["body"]), what="the same, followed") == event
        assert follower.terminate() == 0
        assert event["sender"] == bob.identity and event["sender_name"] == "bertrand"
        assert event["message_id"] == first and not event["outgoing"]

        reply = alice.run(
            "send", "bertrand", f"hi bertrand, {SECRET_WORDS[1]}", pins=None
        ).out.strip()
        # bob reads (a process of his own, not listening): takes it in, marks it read
        history = bob.history("alice", 50, "--mark-read")
        assert [m["body"] for m in history] == [
            f"hello alice, {SECRET_WORDS[0]}",
            f"hi bertrand, {SECRET_WORDS[1]}",
        ]
        assert history[0]["outgoing"] and history[0]["status"] in ("sent", "delivered", "read")
        assert history[1]["message_id"] == reply and history[1]["sender"] == alice.identity
        listener.wait(has_receipt(reply, "delivered"), what="the delivery receipt")
        listener.wait(has_receipt(reply, "read"), what="the read receipt")
        mine = alice.history("bertrand")  # through the daemon
        assert [m["body"] for m in mine][-1] == f"hi bertrand, {SECRET_WORDS[1]}"
        assert mine[-1]["status"] == "read"
        assert mine[0]["sender_name"] == "bertrand"

        found = alice.run("search", "marmalade", "--json", pins=None).lines()
        assert [h["message_id"] for h in found] == [first]

        # exit codes a script relies on
        assert "There is no contact or group named" in bob.run("send", "nobody", "x", expect=1).err
        assert "Nothing to send" in bob.run("send", "alice", expect=2).err
        usage = bob.run("send", expect=2)
        assert "usage:" in usage.err
        wrong = bob.run("history", "alice", pins=["000000"], expect=3)
        assert "Wrong PIN" in wrong.err and "Traceback" not in wrong.err
        no_pins = bob.run("history", "alice", pins=[], expect=3)
        assert "PIN" in no_pins.err
        nobody = Person("nobody", tmp_path / "nobody", alice.card)
        assert "no Keybound account" in nobody.run("history", "bertrand", expect=1).err
        bob.run("history", "alice", pins=[PIN] * 3)  # the right PIN resets the counter

        # the relay is down: sending queues (exit 4), and the message goes out later
        relay.kill()
        queued = bob.run("send", "alice", "written while the relay was down", "--timeout", "3",
                         expect=4)  # fmt: skip
        assert "kept" in queued.err and len(queued.out.strip()) == 32
        relay.start()
        bob.run("history", "alice")  # a later command reconnects and sends it
        listener.wait(has_message("written while the relay was down"), 60, "the queued text")

        # the socket is for this user only; SIGTERM stops the listener cleanly
        assert _peer_refused(alice.profile / "daemon.sock")
        assert listener.terminate() == 0
        assert not (alice.profile / "daemon.sock").exists()
        status = alice.run("status", "--json", pins=None).lines()
        assert status == [{"running": False}]
    finally:
        alice.stop_listeners()

    # the relay's files and logs hold no plaintext, names or PINs
    relay.stop()
    needles = [*SECRET_WORDS, "alice", "bertrand", PIN, "written while the relay"]
    leaks = _scan(relay.data, needles)
    printed = "\n".join(relay.stdout_lines)
    leaks += [f"{n!r} on the relay's stdout" for n in needles if n in printed]
    assert not leaks, leaks


def _peer_refused(sock: Path) -> bool:
    """Another uid that reaches the socket is still turned away (SO_PEERCRED): a forked
    child drops to ``nobody`` and connects through a hard link in a world-open dir."""
    if os.getuid() != 0:
        return True  # cannot switch users without root; the 0600 mode keeps others out
    link = Path(tempfile.mkdtemp(prefix="kb-sock-")) / "d.sock"
    os.chmod(link.parent, 0o755)  # noqa: S103 (nobody must reach the link)
    os.link(sock, link)
    os.chmod(sock, 0o666)  # noqa: S103 (same inode: only the uid check refuses)
    try:
        answers = [_as_nobody(link) for _ in range(3)]
    finally:
        os.chmod(sock, 0o600)
        link.unlink()
        link.parent.rmdir()
    replies = [a for a in answers if a.startswith("{")]
    assert replies, answers  # at least one attempt got through to the server
    for reply in replies:
        assert '"ok":false' in reply and "Only the user running Keybound" in reply, reply
    return True


def _as_nobody(link: Path) -> str:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no pytest machinery from here on
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(str(link))  # the refusal comes before any request is read
            os.write(write_end, s.makefile("rb").readline())
        except BaseException as exc:
            os.write(write_end, repr(exc).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out


def _scan(root: Path, needles: list[str]) -> list[str]:
    leaks = []
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.name.endswith((".db", ".sqlite", ".sqlite3")) for p in files) or files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            for form in (needle.encode(), needle.encode("utf-16-le")):
                if form in data:
                    leaks.append(f"{needle!r} in {path.name}")
    return leaks
