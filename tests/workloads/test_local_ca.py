"""The local CA's certificates, made by a short-lived child so that the caller never loads
cryptography (no cluster is started here)."""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from istiotui.local import api_tls
from istiotui.local.workloads import local_ca

STANDIN = local_ca.ServerCert("edition.cnn.com", "edition.cnn.com", ("edition.cnn.com",))


def names(cert: Path) -> set[tuple[str, str]]:
    decoded = ssl._ssl._test_decode_cert(str(cert))  # type: ignore[attr-defined]
    return set(decoded["subjectAltName"])


def test_the_child_makes_the_ca_and_every_certificate_and_the_caller_loads_no_cryptography(
    tmp_path: Path,
) -> None:
    # A process of its own: pytest's may have imported cryptography already.
    script = (
        "import sys; from pathlib import Path\n"
        "from istiotui.local import api_tls\n"
        "from istiotui.local.workloads import local_ca\n"
        f"local_ca.ensure_in_child(Path({str(tmp_path)!r}), [api_tls.certificate('127.0.0.7'),\n"
        "    local_ca.ServerCert('edition.cnn.com', 'edition.cnn.com', ('edition.cnn.com',))])\n"
        "print(sorted(m for m in sys.modules if m.startswith('cryptography')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
    tls = local_ca.tls_dir(tmp_path)
    assert names(tls / "apiserver-127.0.0.7.crt") == {
        ("DNS", "localhost"),
        ("IP Address", "127.0.0.7"),
    }
    assert names(tls / "edition.cnn.com.crt") == {("DNS", "edition.cnn.com")}
    for key in ("ca.key", "apiserver-127.0.0.7.key", "edition.cnn.com.key"):
        assert (tls / key).stat().st_mode & 0o777 == 0o600
    # Signed by the CA it made: a client trusting that CA alone accepts the API's certificate.
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tls / "apiserver-127.0.0.7.crt", tls / "apiserver-127.0.0.7.key")
    client = api_tls.client_context(tmp_path)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(incoming, outgoing, server_hostname="localhost")
    s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):  # a handshake over memory, both sides in turn
        for side in (c, s):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        s_in.write(outgoing.read())
        incoming.write(s_out.read())
    assert c.getpeercert()["subject"] == ((("commonName", api_tls.COMMON_NAME),),)


def test_nothing_is_made_again_once_everything_exists(tmp_path: Path) -> None:
    wanted = [api_tls.certificate("127.0.0.8"), STANDIN]
    local_ca.ensure_in_child(tmp_path, wanted)
    tls = local_ca.tls_dir(tmp_path)
    before = {p.name: p.read_bytes() for p in tls.iterdir()}
    local_ca.ensure_in_child(tmp_path, wanted)
    assert {p.name: p.read_bytes() for p in tls.iterdir()} == before
    # One more certificate is made with the CA that is there.
    local_ca.ensure_in_child(tmp_path, [*wanted, api_tls.certificate("127.0.0.9")])
    assert (tls / "ca.crt").read_bytes() == before["ca.crt"]
    assert names(tls / "apiserver-127.0.0.9.crt") >= {("IP Address", "127.0.0.9")}


def test_a_child_that_fails_says_where(tmp_path: Path) -> None:
    root = tmp_path / "not-a-dir"
    root.write_text("")
    with pytest.raises(local_ca.CertificateError, match=r"not-a-dir/tls: .*Error"):
        local_ca.ensure_in_child(root, [STANDIN])


def test_a_child_that_does_not_answer_in_time_says_where(tmp_path: Path) -> None:
    # A start-up error the server reports as such, not a TimeoutExpired traceback.
    with pytest.raises(local_ca.CertificateError, match=r"/tls: no answer in 0 s"):
        local_ca.ensure_in_child(tmp_path, [STANDIN], timeout=0.001)
