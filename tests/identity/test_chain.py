"""Chain verification: the happy path and every way a chain can lie."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from keybound.errors import (
    BrokenChain,
    DeviceNotCertified,
    IdentityFork,
    IdentityRollback,
    IdentitySignatureInvalid,
    UnknownSigner,
    WrongIdentity,
)
from keybound.identity.chain import DeviceStatus, check_device, device_status, extend, verify_chain
from keybound.identity.document import (
    DeviceCertificate,
    SignedDocument,
    attach_signature,
    build_genesis,
    build_next,
    document_hash,
    signing_bytes,
)
from keybound.identity.testing import SoftwareDevice, SoftwareToken, software_chain

from .helpers import NOW, SoftwareFido2


@dataclass
class Story:
    """Genesis, add token, add device, remove device, remove token: five documents."""

    t0: SoftwareToken = field(default_factory=lambda: SoftwareToken("card"))
    t1: SoftwareFido2 = field(default_factory=SoftwareFido2)
    d0: SoftwareDevice = field(default_factory=lambda: SoftwareDevice(b"laptop"))
    d1: SoftwareDevice = field(default_factory=lambda: SoftwareDevice(b"desktop"))
    docs: list[SignedDocument] = field(default_factory=list)

    def __post_init__(self) -> None:
        root = self.t0.entry.token_id
        c0, c1 = self.d0.certificate(root, NOW), self.d1.certificate(root, NOW)
        g = self.t0.sign_document(build_genesis([self.t0.entry], [c0], NOW))
        d1 = self.t1.cosign(
            self.t0.sign_document(build_next(g, NOW + 1, tokens=[self.t0.entry, self.t1.entry]))
        )
        d2 = self.t1.sign_document(build_next(d1, NOW + 2, devices=[c0, c1]))
        d3 = self.t0.sign_document(build_next(d2, NOW + 3, devices=[c1]))
        d4 = self.t1.sign_document(build_next(d3, NOW + 4, tokens=[self.t1.entry]))
        self.docs = [g, d1, d2, d3, d4]


@pytest.fixture(scope="module")
def story() -> Story:
    return Story()


def test_happy_path(story: Story) -> None:
    v = verify_chain(story.docs, None, NOW)
    assert v.identity_id == document_hash(story.docs[0])
    assert (v.version, v.head) == (4, document_hash(story.docs[4]))
    assert [t.token_id for t in v.tokens] == [story.t1.entry.token_id]
    assert v.root_token == story.t0.entry.token_id
    assert [(d.device_id, d.curve25519) for d in v.devices] == [(b"desktop", story.d1.curve25519)]
    assert {d.identity_id for d in v.devices} == {v.identity_id}
    assert [d.device_id for d in v.removed_devices] == [b"laptop"]
    # any order, with duplicates, gives the same answer
    assert verify_chain(story.docs[::-1] + story.docs[:2], None, NOW) == v
    # every prefix verifies too, and its state is what the prefix says
    v2 = verify_chain(story.docs[:3], None, NOW)
    assert {d.device_id for d in v2.devices} == {b"laptop", b"desktop"}
    assert len(v2.tokens) == 2


def test_device_status(story: Story) -> None:
    v = verify_chain(story.docs, None, NOW)
    assert device_status(v, device_id=b"desktop") is DeviceStatus.ACTIVE
    assert device_status(v, curve25519=story.d0.curve25519) is DeviceStatus.REMOVED
    assert device_status(v, device_id=b"desktop", curve25519=story.d0.curve25519) is (
        DeviceStatus.UNKNOWN
    )
    assert device_status(v, device_id=b"phone") is DeviceStatus.UNKNOWN
    assert check_device(v, curve25519=story.d1.curve25519).mailbox == story.d1.mailbox
    with pytest.raises(DeviceNotCertified, match="removed") as err:
        check_device(v, device_id=b"laptop")
    assert err.value.status == "removed"
    with pytest.raises(ValueError, match="device_id or curve25519"):
        device_status(v)


def test_extend_matches_full_verification(story: Story) -> None:
    full = verify_chain(story.docs, None, NOW)
    step = verify_chain(story.docs[:1], None, NOW)
    for i in range(1, 5):
        step = extend(step, story.docs[: i + 1], NOW)  # old documents are skipped
    assert step == full
    assert extend(full, [], NOW) == full
    with pytest.raises(BrokenChain, match="missing"):
        extend(verify_chain(story.docs[:2], None, NOW), story.docs[3:], NOW)


def test_removed_token_cannot_sign(story: Story) -> None:
    late = story.t0.sign_document(build_next(story.docs[4], NOW + 5, tokens=[story.t0.entry]))
    with pytest.raises(UnknownSigner, match="Version 5"):
        verify_chain([*story.docs, late], None, NOW)
    stranger = SoftwareToken()
    other = stranger.sign_document(build_next(story.docs[4], NOW + 5))
    with pytest.raises(UnknownSigner):
        verify_chain([*story.docs, other], None, NOW)


def test_forged_documents(story: Story) -> None:
    body = build_next(story.docs[4], NOW + 5, tokens=[story.t1.entry, SoftwareToken().entry])
    other_sig = story.t1.sign(b"something else")
    forged = attach_signature(body, story.t1.entry.public_key, other_sig)
    with pytest.raises(IdentitySignatureInvalid, match="Version 5"):
        verify_chain([*story.docs, forged], None, NOW)
    # the genesis must be signed by its first token
    t = SoftwareToken()
    g = build_genesis([story.t0.entry, t.entry], [], NOW)
    with pytest.raises(UnknownSigner):
        verify_chain([t.sign_document(g)], None, NOW)


def test_device_self_signature_is_checked(story: Story) -> None:
    root = story.t0.entry.token_id
    good = SoftwareDevice(b"tablet").certificate(root, NOW)
    thief = replace(good, device_id=b"thief", signature=story.docs[0].body.devices[0].signature)
    body = build_next(story.docs[4], NOW + 5, devices=[thief])
    with pytest.raises(IdentitySignatureInvalid, match="not signed by its device"):
        verify_chain([*story.docs, story.t1.sign_document(body)], None, NOW)
    # a certificate made for another identity's root token does not carry over
    foreign = SoftwareDevice(b"foreign").certificate(b"\x07" * 32, NOW)
    body = build_next(story.docs[4], NOW + 5, devices=[foreign])
    with pytest.raises(IdentitySignatureInvalid):
        verify_chain([*story.docs, story.t1.sign_document(body)], None, NOW)


def test_rollback(story: Story) -> None:
    pinned = verify_chain(story.docs, None, NOW).pinned
    with pytest.raises(IdentityRollback) as err:
        verify_chain(story.docs[:3], pinned, NOW)
    assert (err.value.offered, err.value.pinned) == (2, 4)
    assert verify_chain(story.docs, pinned, NOW).version == 4


def test_fork_two_signed_versions(story: Story) -> None:
    rival = story.t1.sign_document(build_next(story.docs[3], NOW + 9, devices=[]))
    with pytest.raises(IdentityFork) as err:
        verify_chain([*story.docs, rival], None, NOW)
    assert err.value.version == 4
    # against a pin: the offered chain diverges from the head seen before
    pinned = verify_chain(story.docs, None, NOW).pinned
    with pytest.raises(IdentityFork):
        verify_chain([*story.docs[:4], rival], pinned, NOW)
    with pytest.raises(IdentityFork):
        extend(verify_chain(story.docs, None, NOW), [rival], NOW)
    # an earlier pin that the rival still agrees with is no fork: it is a valid chain
    early = verify_chain(story.docs[:3], None, NOW).pinned
    assert verify_chain([*story.docs[:4], rival], early, NOW).head == document_hash(rival)


def test_junk_is_a_bad_signature_not_a_fork(story: Story) -> None:
    junk = replace(story.docs[4], signature=story.docs[3].signature)
    with pytest.raises(IdentitySignatureInvalid):
        verify_chain([*story.docs[:4], junk], None, NOW)
    rival = replace(junk, body=replace(junk.body, created=NOW + 99))
    with pytest.raises(IdentitySignatureInvalid):
        verify_chain([*story.docs, rival], None, NOW)
    with pytest.raises(IdentitySignatureInvalid):
        extend(verify_chain(story.docs, None, NOW), [rival], NOW)
    # a damaged copy next to the good one does not decide, whatever the order
    good = verify_chain(story.docs, None, NOW)
    assert verify_chain([*story.docs[:4], junk, story.docs[4]], None, NOW) == good
    assert verify_chain([junk, *story.docs], None, NOW) == good


def test_broken_links(story: Story) -> None:
    with pytest.raises(BrokenChain, match="first document"):
        verify_chain(story.docs[1:], None, NOW)
    with pytest.raises(BrokenChain, match="missing"):
        verify_chain([story.docs[0], story.docs[2]], None, NOW)
    wrong_prev = replace(story.docs[2].body, previous=b"\x00" * 32)
    doc = story.t1.sign_document(wrong_prev)
    with pytest.raises(BrokenChain, match="does not follow"):
        verify_chain([*story.docs[:2], doc], None, NOW)


def test_wrong_identity(story: Story) -> None:
    other = software_chain(2)
    pinned = verify_chain(story.docs, None, NOW).pinned
    with pytest.raises(WrongIdentity):
        verify_chain(other, pinned, NOW)
    with pytest.raises(WrongIdentity):
        verify_chain([*story.docs, other[0]], None, NOW)
    # with a pin, another identity's genesis in the pile is ignored
    assert verify_chain([*story.docs, other[0]], pinned, NOW).version == 4


def test_expiry() -> None:
    token = SoftwareToken()
    root = token.entry.token_id
    short = SoftwareDevice(b"short").certificate(root, NOW, expires=NOW + 100)
    forever = SoftwareDevice(b"forever").certificate(root, NOW)
    chain = [token.sign_document(build_genesis([token.entry], [short, forever], NOW))]
    before = verify_chain(chain, None, NOW + 99)
    assert [d.device_id for d in before.devices] == [b"short", b"forever"]
    after = verify_chain(chain, None, NOW + 100)
    assert [d.device_id for d in after.devices] == [b"forever"]
    assert [d.device_id for d in after.expired_devices] == [b"short"]
    assert device_status(after, device_id=b"short") is DeviceStatus.EXPIRED
    assert device_status(before, device_id=b"short", now=NOW + 100) is DeviceStatus.EXPIRED
    with pytest.raises(DeviceNotCertified, match="expired"):
        check_device(after, device_id=b"short")


def test_software_chain_for_the_benchmark() -> None:
    chain = software_chain(100)
    v = verify_chain(chain, None, NOW)
    assert (v.version, len(v.devices), len(v.removed_devices)) == (99, 4, 96)
    assert signing_bytes(chain[5]) != signing_bytes(chain[6])


def test_unsigned_certificate_is_refused_by_the_chain() -> None:
    token = SoftwareToken()
    bare = DeviceCertificate(
        b"d", b"\x01" * 32, b"\x02" * 32, "wss://r/x", NOW, signature=b"\0" * 64
    )
    doc = token.sign_document(build_genesis([token.entry], [bare], NOW))
    with pytest.raises(IdentitySignatureInvalid):
        verify_chain([doc], None, NOW)
