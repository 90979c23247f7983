"""Exec served by the local API over WebSocket: the kubernetes client (istiotui.cluster.exec, the
probes' commands from istiotui.traffic.commands) and kubectl 1.32 run commands in pods, the local
way (curl and fortio are this project's clients)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from kubernetes import client

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.errors import ClusterError
from istiotui.traffic import commands
from real.helpers import CURL_IMAGE, FORTIO_IMAGE, listener, pod_manifest, running_pod, wait_for


@pytest.fixture
def curl_pod(api: client.ApiClient, namespace: str) -> dict:
    return running_pod(api, namespace, pod_manifest("curl", CURL_IMAGE))


def test_exec_curl_reaches_a_listener_and_streams_stdout(
    api: client.ApiClient, namespace: str, curl_pod: dict
) -> None:
    ip = curl_pod["status"]["podIP"]
    seen: list[str] = []
    with listener(ip, "web-1") as port:
        result = pod_exec.run(
            api, namespace, "curl", ["curl", "-sS", f"http://{ip}:{port}/hello"], "curl",
            on_stdout=seen.append,
        )  # fmt: skip
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "served_by": "web-1", "path": "/hello", "host": f"{ip}:{port}"
    }  # fmt: skip
    assert "".join(seen) == result.stdout


def test_exec_exit_codes_and_unknown_commands(
    api: client.ApiClient, namespace: str, curl_pod: dict
) -> None:
    ip = curl_pod["status"]["podIP"]
    with listener(ip, "x") as port:
        pass  # a port that was just closed: nothing listens there now
    refused = pod_exec.run(api, namespace, "curl", ["curl", "-sS", f"http://{ip}:{port}/"])
    assert refused.code == 7  # curl's "failed to connect"
    assert "curl: (7)" in refused.stderr

    missing = pod_exec.run(api, namespace, "curl", ["no-such-tool", "--help"])
    assert missing.code == 127
    assert missing.stderr == 'exec: "no-such-tool": executable file not found in $PATH\n'


def test_exec_refusals_are_cluster_errors(
    api: client.ApiClient, namespace: str, curl_pod: dict
) -> None:
    with pytest.raises(ClusterError) as gone:
        pod_exec.run(api, namespace, "no-such-pod", ["curl", "--version"])
    assert gone.value.status == 404
    assert 'pods "no-such-pod" not found' in str(gone.value)
    with pytest.raises(ClusterError) as bad:
        pod_exec.run(api, namespace, "curl", ["curl", "--version"], container="nope")
    assert bad.value.status == 400
    assert "container nope is not valid for pod curl" in str(bad.value)


def test_curl_probe_records_from_many_requests(
    api: client.ApiClient, namespace: str, curl_pod: dict
) -> None:
    ip = curl_pod["status"]["podIP"]
    with listener(ip, "web-2") as port:
        base = f"http://{ip}:{port}"
        urls = [f"{base}/a?status=200", f"{base}/b?status=503", f"http://{ip}:1/closed"]
        argv = commands.curl_argv(urls, headers={"Host": "httpbin.example"}, timeout=5)
        result = pod_exec.run(api, namespace, "curl", argv)
    records, rest = commands.parse_curl(result.stdout, result.stderr)
    assert rest == ""
    assert [r.status for r in records] == [200, 503, None]
    assert records[0].headers["x-served-by"] == "web-2"
    assert json.loads(records[1].body)["host"] == "httpbin.example"
    assert records[2].error is not None and records[2].error.startswith("curl: (7)")
    assert all(r.latency >= 0 for r in records)


def test_fortio_load_json_from_a_fortio_pod(api: client.ApiClient, namespace: str) -> None:
    pod = running_pod(api, namespace, pod_manifest("fortio", FORTIO_IMAGE))
    ip = pod["status"]["podIP"]
    with listener(ip, "web-3") as port:
        argv = commands.fortio_argv(
            f"http://{ip}:{port}/get?status=503", count=12, concurrency=3, qps=0, timeout=5
        )
        result = pod_exec.run(api, namespace, "fortio", argv, "fortio")
    assert result.code == 0, result.stderr
    records = commands.parse_fortio(result.stdout)
    assert [r.status for r in records] == [503] * 12


# -- kubectl 1.32, as the lab types it ------------------------------------------------------


def _kubectl(kubectl: str, env: dict[str, str], *args: str, stdin: str | None = None):
    return subprocess.run(
        [kubectl, *args], env=env, capture_output=True, text=True, input=stdin, timeout=60
    )


def test_kubectl_exec_deploy_curl_verbatim(
    api: client.ApiClient, namespace: str, kubectl: str, kubectl_env: dict[str, str]
) -> None:
    labels = {"app": "curl"}
    template = pod_manifest("curl", CURL_IMAGE, labels)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "curl"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": template["spec"]},
        },
    }
    client.AppsV1Api(api).create_namespaced_deployment(namespace, deployment)
    core = client.CoreV1Api(api)

    def pod_ip() -> str | None:
        pods = core.list_namespaced_pod(namespace, label_selector="app=curl").items
        ready = [p for p in pods if p.status.phase == "Running" and p.status.pod_ip]
        return ready[0].status.pod_ip if ready else None

    ip = wait_for(pod_ip, "the curl deployment's pod")
    with listener(ip, "httpbin-v1") as port:
        done = _kubectl(
            kubectl, kubectl_env, "-n", namespace, "exec", "deploy/curl", "-c", "curl", "--",
            "curl", "-sS", f"http://{ip}:{port}/headers",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["served_by"] == "httpbin-v1"


def test_kubectl_exec_exit_status_stdin_and_errors(
    namespace: str, curl_pod: dict, kubectl: str, kubectl_env: dict[str, str]
) -> None:
    ns = ["-n", namespace]
    failed = _kubectl(
        kubectl, kubectl_env, *ns, "exec", "curl", "--", "sh", "-c", "echo hi; exit 3"
    )
    assert (failed.returncode, failed.stdout) == (3, "hi\n")
    assert "command terminated with exit code 3" in failed.stderr

    piped = _kubectl(kubectl, kubectl_env, *ns, "exec", "-i", "curl", "--", "cat", stdin="a\nb\n")
    assert (piped.returncode, piped.stdout) == (0, "a\nb\n")

    missing = _kubectl(kubectl, kubectl_env, *ns, "exec", "curl", "--", "no-such-tool")
    assert missing.returncode == 127
    assert 'exec: "no-such-tool": executable file not found in $PATH' in missing.stderr

    gone = _kubectl(kubectl, kubectl_env, *ns, "exec", "nope", "--", "true")
    assert gone.returncode == 1
    assert 'pods "nope" not found' in gone.stderr


def test_a_client_that_leaves_stops_the_command(
    api: client.ApiClient, namespace: str, curl_pod: dict
) -> None:
    from kubernetes.stream import stream

    private = client.ApiClient(api.configuration)
    resp = stream(
        client.CoreV1Api(private).connect_get_namespaced_pod_exec, "curl", namespace,
        command=["sh", "-c", "echo started; exec sleep 61.25"], stdout=True, stderr=True,
        stdin=False, tty=False, _preload_content=False,
    )  # fmt: skip
    try:
        resp.update(timeout=5)
        wait_for(lambda: resp.readline_stdout(timeout=1), "the command to start")
        # Found by its command line: inside exec's sandbox `$$` is a pid of its own namespace.
        pid = wait_for(lambda: _pid_of(b"sleep\x0061.25"), "the command's process")
    finally:
        resp.close()
        private.close()
    wait_for(lambda: not _alive(pid), f"exec'ed process {pid} gone after the client left")


def _pid_of(cmdline: bytes) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().rstrip(b"\0").endswith(cmdline):
                    return int(entry.name)
            except OSError:
                continue
    return None


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):  # ESRCH: it exited while read
        return False
    return "State:\tZ" not in status
