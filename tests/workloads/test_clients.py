"""The curl- and fortio-compatible clients, run "inside" pods through launcher.exec_command."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from istiotui.local.addresses import sidecar_ip
from istiotui.local.workloads import launcher
from workloads.conftest import EchoServer, client_pod, ip
from workloads.forwarder import Forwarder

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def run(root: Path, *argv: str, sidecar: bool = False) -> launcher.ExecResult:
    # The clients' own behaviour, writing into this test's files: outside exec's sandbox (the
    # fallback, where the curl image's commands run as this user; see test_exec_sandbox).
    pod = client_pod(root, sidecar=sidecar)
    if argv[0] == "fortio":  # fortio's own image: the curl image has no fortio
        pod = replace(pod, container="fortio", image="fortio/fortio")
    return await launcher.exec_command(pod, list(argv), timeout=60, sandbox=False)


async def test_curl_silent_body(root: Path, echo_server: EchoServer) -> None:
    result = await run(root, "curl", "-s", f"{echo_server.url}/get?x=1")
    assert result.returncode == 0, result
    body = json.loads(result.stdout)
    assert body["url"] == "/get?x=1"
    assert body["headers"]["User-Agent"].startswith("curl/")
    assert body["headers"]["Accept"] == "*/*"
    assert "Accept-Encoding" not in body["headers"]
    assert result.stderr == b""


async def test_curl_head_with_host_header_both_spellings(
    root: Path, echo_server: EchoServer
) -> None:
    for flag in (["-HHost:httpbin.example.com"], ["-H", "Host: httpbin.example.com"]):
        echo_server.hosts.clear()
        result = await run(
            root, "/usr/bin/curl", "-s", "-I", *flag, f"{echo_server.url}/status/200"
        )
        assert result.returncode == 0, result
        head = result.stdout.decode()
        assert head.startswith("HTTP/1.1 200 OK\r\n")
        assert head.endswith("\r\n\r\n")
        assert "status" not in head  # -I prints no body
        assert echo_server.hosts == ["httpbin.example.com"]


async def test_curl_dump_header_write_out_and_output_file(
    root: Path, echo_server: EchoServer, tmp_path: Path
) -> None:
    out = tmp_path / "body"
    result = await run(
        root, "curl", "-sS", "-o", str(out), "-D", "-", "-w", "code=%{http_code}\\n",
        f"{echo_server.url}/status/418",
    )  # fmt: skip
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("HTTP/1.1 418 I'm a Teapot\r\n") or text.startswith("HTTP/1.1 418 ")
    assert text.endswith("\r\n\r\ncode=418\n")
    assert out.read_text() == "status\n"


async def test_curl_follows_redirects_with_L(root: Path, echo_server: EchoServer) -> None:
    result = await run(
        root, "curl", "-sSL", "-o", "/dev/null", "-D", "-", f"{echo_server.url}/redirect"
    )
    assert result.returncode == 0
    heads = re.findall(r"HTTP/1.1 (\d+)", result.stdout.decode())
    assert heads == ["302", "200"]


async def test_curl_exit_codes(root: Path, echo_server: EchoServer) -> None:
    refused = await run(root, "curl", "-sS", f"http://{ip(51)}:8080/")
    assert refused.returncode == 7
    assert b"curl: (7) Failed to connect" in refused.stderr
    quiet = await run(root, "curl", "-s", f"http://{ip(51)}:8080/")
    assert quiet.returncode == 7 and quiet.stderr == b""

    # Without a sidecar a name goes to the node address (DNS and kube-proxy live in the
    # one Envoy, which these tests do not run: nothing listens there).
    no_sidecar = await run(root, "curl", "-sS", "http://httpbin:8000/headers")
    assert no_sidecar.returncode == 7
    assert b"Failed to connect to httpbin port 8000" in no_sidecar.stderr

    slow = await run(root, "curl", "-sS", "--max-time", "0.5", f"{echo_server.url}/slow")
    assert slow.returncode == 28 and b"timed out" in slow.stderr

    failed = await run(root, "curl", "-sSf", f"{echo_server.url}/status/404")
    assert failed.returncode == 22 and b"returned error: 404" in failed.stderr
    assert failed.stdout == b""

    code = await run(root, "curl", "-s", "-w", "%{http_code}", f"http://{ip(51)}:8080/")
    assert code.stdout == b"000"

    usage = await run(root, "curl", "--frobnicate", echo_server.url)
    assert usage.returncode == 2 and b"is unknown" in usage.stderr


async def test_requests_leave_through_the_pods_sidecar(root: Path, echo_server: EchoServer) -> None:
    forwarder = Forwarder(routes={"echo:8080": echo_server.url.removeprefix("http://")})
    pod = client_pod(root, sidecar=True)
    await forwarder.listen(sidecar_ip(pod.pod_ip), 8080)
    try:
        curl = await launcher.exec_command(pod, ["curl", "-sS", "http://echo:8080/get"])
        fortio = await launcher.exec_command(
            pod, ["/usr/bin/fortio", "curl", "-quiet", "http://echo:8080/get"]
        )
    finally:
        await forwarder.close()
    assert curl.returncode == 0, curl
    assert fortio.returncode == 0, fortio
    assert [s.host for s in forwarder.seen] == ["echo:8080", "echo:8080"]
    assert {s.sidecar for s in forwarder.seen} == {sidecar_ip(pod.pod_ip)}
    # fortio curl: headers on stderr, body on stdout, as fortio does.
    assert fortio.stderr.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(fortio.stdout)["headers"]["Host"] == "echo:8080"


async def test_fortio_curl_non_200_exits_1(root: Path, echo_server: EchoServer) -> None:
    result = await run(root, "fortio", "curl", f"{echo_server.url}/status/503")
    assert result.returncode == 1
    assert b"Error status 503" in result.stderr


async def test_fortio_load_counts_codes_and_keeps_connections(
    root: Path, echo_server: EchoServer
) -> None:
    echo_server.connections.clear()
    echo_server.mixed_calls = 0
    result = await run(
        root, "fortio", "load", "-c", "2", "-qps", "0", "-n", "20", "-loglevel", "Warning",
        "-json", "-", f"{echo_server.url}/mixed",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    text = result.stderr.decode()
    assert "Code 200 : 15 (75.0 %)" in text
    assert "Code 503 : 5 (25.0 %)" in text
    # A worker keeps its connection after a 200 and opens a new one after anything else, as
    # fortio does: each 503 costs a socket unless it was that worker's last call.
    sockets = int(re.search(r"^Sockets used: (\d+) \(for perfect keepalive, would be 2\)$",
                            text, re.M).group(1))  # type: ignore[union-attr]  # fmt: skip
    assert 2 + 5 - 2 <= sockets <= 2 + 5
    assert len(echo_server.connections) == sockets  # what the server saw
    assert f"IP addresses distribution:\n{ip(50)}:8080: {sockets}\n" in text
    per_worker = re.findall(
        rf"^\[(\d)\] +(\d+) socket used, resolved to {re.escape(ip(50))}:8080, "
        r"connection timing : count (\d+) ",
        text,
        re.M,
    )
    assert [w for w, _, _ in per_worker] == ["0", "1"]
    assert sum(int(n) for _, n, _ in per_worker) == sockets
    assert all(n == count for _, n, count in per_worker)
    assert re.search(r"^Error cases : count 5 avg ", text, re.M)
    assert "Uniform: false, Jitter: false, Catchup allowed: true\n" in text
    assert re.search(r"^All done 20 calls \(plus 0 warmup\) [\d.]+ ms avg, [\d.]+ qps$", text, re.M)
    for p in ("50", "75", "90", "99", "99.9"):
        assert re.search(rf"^# target {re.escape(p)}% [\d.e-]+$", text, re.M), p
    # Warnings as fortio 1.6x writes them: one JSON object per line.
    logged = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert logged[0]["msg"] == "Log level is now 3 Warning (was 2 Info)"
    warnings = [e for e in logged if e["level"] == "warn"]
    assert len(warnings) == 5
    assert all(
        (e["msg"], e["code"], e["status"], e["file"]) == ("Non ok http code", 503,
                                                           "HTTP/1.1 503", "http_client.go")
        and e["thread"] in (0, 1) and isinstance(e["ts"], float)
        for e in warnings
    )  # fmt: skip

    data = json.loads(result.stdout)
    assert data["RetCodes"] == {"200": 15, "503": 5}
    assert data["DurationHistogram"]["Count"] == 20
    assert sum(b["Count"] for b in data["DurationHistogram"]["Data"]) == 20
    assert [p["Percentile"] for p in data["DurationHistogram"]["Percentiles"]] == [
        50, 75, 90, 99, 99.9,
    ]  # fmt: skip
    assert data["NumThreads"] == 2 and data["Exactly"] == 20
    assert data["SocketCount"] == sockets and data["RequestedQPS"] == "max"
    assert data["IPCountMap"] == {f"{ip(50)}:8080": sockets}


async def test_fortio_load_json_file_and_paced_duration(
    root: Path, echo_server: EchoServer, tmp_path: Path
) -> None:
    target = tmp_path / "result.json"
    result = await run(
        root, "fortio", "load", "-c", "1", "-qps", "20", "-t", "0.5s", "-json", str(target),
        f"{echo_server.url}/get",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(target.read_text())
    # 20 qps for half a second: about 10 calls, never more than the schedule allows.
    assert 5 <= data["DurationHistogram"]["Count"] <= 10
    assert "Successfully wrote" in result.stderr.decode()


async def test_fortio_reports_connection_errors_as_code_minus_one(root: Path) -> None:
    result = await run(root, "fortio", "load", "-c", "1", "-qps", "0", "-n", "3",
                       f"http://{ip(51)}:8080/")  # fmt: skip
    assert result.returncode == 0
    assert "Code  -1 : 3 (100.0 %)" in result.stderr.decode()


async def test_fortio_bad_flag(root: Path) -> None:
    result = await run(root, "fortio", "load", "-bogus", "1", "http://x/")
    assert result.returncode == 1 and b"flag provided but not defined: -bogus" in result.stderr


async def test_curl_verbose_shows_both_directions(root: Path, echo_server: EchoServer) -> None:
    result = await run(root, "curl", "-sv", "-o", "/dev/null", f"{echo_server.url}/get")
    assert result.returncode == 0
    err = result.stderr.decode()
    assert "> GET /get HTTP/1.1\n" in err and "> User-Agent: curl/" in err
    assert "< HTTP/1.1 200 OK\n" in err
