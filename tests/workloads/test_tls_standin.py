"""The TLS stand-in for edition.cnn.com, reached with SNI through a pod's (pass-through) sidecar."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from istiotui.local.addresses import bind_port, sidecar_ip
from istiotui.local.workloads import launcher, local_ca, tls_standin
from istiotui.local.workloads.tls_standin import InProcess
from workloads.conftest import BLOCK, client_pod
from workloads.forwarder import tcp_relay

pytestmark = pytest.mark.asyncio(loop_scope="session")

STANDIN = (f"127.30.{BLOCK}.1", 443)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def standin(root: Path) -> AsyncIterator[InProcess]:
    # Served from the test's own process, as the local cluster serves it from the server's.
    running = await tls_standin.start_in_process(root, STANDIN[0], STANDIN[1])
    pod = client_pod(root)
    # The sidecar passes TLS through untouched; here a byte relay stands where it listens. Both
    # 443s are bound where an ordinary user may, as every privileged port of the cluster.
    relay = None
    sidecar = sidecar_ip(pod.pod_ip)
    try:
        relay = await tcp_relay(sidecar, bind_port(sidecar, 443), (STANDIN[0], bind_port(*STANDIN)))
        yield running
    finally:
        if relay is not None:
            relay.close()
            await relay.wait_closed()
        await running.stop()


async def test_curl_reaches_the_standin_with_sni_and_verifies_it(
    root: Path, standin: InProcess
) -> None:
    pod = client_pod(root)
    bundle = local_ca.ca_bundle_path(root)
    assert bundle.exists()
    spec = launcher.ContainerSpec(**{**pod.__dict__, "ca_bundle": bundle})
    result = await launcher.exec_command(
        spec, ["curl", "-sSL", "-o", "/dev/null", "-D", "-", "https://edition.cnn.com/politics"]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    page = await launcher.exec_command(spec, ["curl", "-sS", "https://edition.cnn.com/politics"])
    assert b"local stand-in" in page.stdout
    log = standin.log_path.read_text()
    assert '"GET /politics HTTP/1.1" 200' in log


async def test_an_untrusted_ca_fails_verification(root: Path, standin: InProcess) -> None:
    # Without the local CA bundle the certificate is not trusted: curl's exit code 60.
    result = await launcher.exec_command(
        client_pod(root), ["curl", "-sS", "https://edition.cnn.com/politics"]
    )
    assert result.returncode == 60, result
    assert b"SSL certificate problem" in result.stderr


async def test_the_certificate_names_the_host(root: Path, standin: InProcess) -> None:
    # Asking for another name through the same path fails hostname verification.
    bundle = local_ca.ca_bundle_path(root)
    spec = launcher.ContainerSpec(**{**client_pod(root).__dict__, "ca_bundle": bundle})
    result = await launcher.exec_command(spec, ["curl", "-sS", "https://www.example.com/"])
    assert result.returncode == 60, result
    # The CA and the certificate are made once and reused.
    first = local_ca.ensure_server_cert(root, "edition.cnn.com").cert.read_bytes()
    assert local_ca.ensure_server_cert(root, "edition.cnn.com").cert.read_bytes() == first


async def test_a_handshake_the_sidecar_refuses_is_exit_35(root: Path) -> None:
    # As with REGISTRY_ONLY: the sidecar accepts the connection and closes it during TLS.
    async def refuse(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    pod = client_pod(root, k=21)
    sidecar = sidecar_ip(pod.pod_ip)
    server = await asyncio.start_server(refuse, sidecar, bind_port(sidecar, 443))
    try:
        result = await launcher.exec_command(pod, ["curl", "-sS", "https://edition.cnn.com/"])
    finally:
        server.close()
        await server.wait_closed()
    assert result.returncode == 35, result
    assert b"curl: (35)" in result.stderr


async def test_the_docs_give_the_address_the_stand_in_listens_on() -> None:
    """docs/workloads.md states where the stand-in listens; it is what the cluster computes."""
    from istiotui.local.addresses import standin_ip

    docs = (Path(__file__).resolve().parents[2] / "docs" / "workloads.md").read_text()
    assert f"API port 6443 →\n**{standin_ip(6443)}:443**" in docs
    assert "127.30.0.1" not in docs
