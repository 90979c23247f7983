"""Every result the lab promises, reproduced on the embedded local cluster with real traffic.

The tests run in the lab's order against one cluster: each carries out the steps before it that
are not done yet, then judges its own step from real probes (the scenarios state the counts and
bounds; FACTS.md and the issue give the numbers they were chosen from).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from istiotui.cluster import proxy_stats as sources
from istiotui.local.pilot.stats import proxy_stats
from istiotui.mesh.summary import istio_version
from istiotui.mesh.traffic_graph import delta, find

from .conftest import LabRun, assert_passed

pytestmark = pytest.mark.slow
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed here")


def kubectl(lab_run: LabRun, *args: str) -> str:
    """kubectl (1.32 on this machine) against the lab's cluster, as a learner runs it."""
    assert KUBECTL is not None
    env = {"KUBECONFIG": str(lab_run.state / "kubeconfig"), "PATH": "/usr/bin:/bin",
           "HOME": str(lab_run.state)}  # fmt: skip
    proc = subprocess.run([KUBECTL, *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def rows(text: str) -> dict[str, list[str]]:
    """kubectl's table by its first column (columns split on runs of two or more spaces)."""
    lines = [re.split(r"\s{2,}", ln.strip()) for ln in text.splitlines()[1:] if ln.strip()]
    return {cells[0]: cells for cells in lines}


@needs_kubectl
def test_the_install_leaves_istiod_and_the_gateways_as_istioctl_does(lab_run: LabRun) -> None:
    lab_run.reach("istio-egress-gateway")  # before the ingress Service is made ClusterIP
    pods = rows(kubectl(lab_run, "get", "pods", "-n", "istio-system"))
    istiod = [cells for name, cells in pods.items() if name.startswith("istiod-")]
    assert len(istiod) == 1 and istiod[0][1:3] == ["1/1", "Running"], pods
    image = kubectl(lab_run, "get", "deploy", "istiod", "-n", "istio-system", "-o",
                    "jsonpath={.spec.template.spec.containers[0].image}")  # fmt: skip
    assert image == "docker.io/istio/pilot:1.24.0"
    # What the TUI's header reads (the istiod Deployment's image), from the live cluster.
    deployments = lab_run.session.objects.list("apps/v1", "Deployment", "istio-system")
    assert istio_version(deployments) == "1.24.0"

    services = rows(kubectl(lab_run, "get", "svc", "-n", "istio-system"))
    ingress, egress = services["istio-ingressgateway"], services["istio-egressgateway"]
    assert ingress[1] == "LoadBalancer" and ingress[3] == "<pending>"
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", ingress[2]), ingress
    assert re.fullmatch(r"15021:3\d{4}/TCP,80:3\d{4}/TCP,443:3\d{4}/TCP", ingress[4]), ingress
    assert egress[1] == "ClusterIP" and egress[3] == "<none>" and egress[4] == "80/TCP,443/TCP"
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", egress[2]), egress
    assert services["istiod"][1] == "ClusterIP"
    # istioctl keeps what it installed in istio-system, and nothing elsewhere.
    operators = kubectl(
        lab_run,
        "get",
        "istiooperators",
        "-A",
        "-o",
        "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}",
    )
    assert sorted(operators.split()) == [
        "istio-system/egress", "istio-system/ingress", "istio-system/installed-state",
    ]  # fmt: skip
    # The lab's `kubectl edit` to ClusterIP: the node ports go with the type, as on a cluster.
    lab_run.reach("istio-ingress-clusterip")
    ingress = rows(kubectl(lab_run, "get", "svc", "-n", "istio-system"))["istio-ingressgateway"]
    assert ingress[1:2] + ingress[3:5] == ["ClusterIP", "<none>", "15021/TCP,80/TCP,443/TCP"]


def test_the_graph_shows_bookinfo_from_the_sidecars(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("observability-traffic"))
    report = lab_run.verify("observability-graph")
    assert_passed(report)
    added = report.outcomes[0].graph_added
    assert added is not None and "each istio-proxy" not in added.source
    # The same graph read the way a real cluster is read (exec `pilot-agent request GET stats`
    # in each istio-proxy) and from the local Envoy's admin at once: nothing is sent meanwhile.
    s = lab_run.session
    assert lab_run.envoy_admin is not None
    by_admin = sources.collect(s.objects, sources.AdminSource(lab_run.envoy_admin), "bookinfo")
    exec_source = sources.ExecSource(s.connection.api_client)
    by_exec = sources.collect(s.objects, exec_source, "bookinfo")
    assert [(e.key, e.requests, e.errors) for e in by_exec.edges] == [
        (e.key, e.requests, e.errors) for e in by_admin.edges
    ]
    # The local Envoy has no Istio stats filter: `stats/prometheus` holds no istio_requests_total,
    # so the Envoy cluster stats were read, and the graph says so; the proxies that counted
    # requests are known as plain from then on (one exec fewer each).
    assert by_exec.source == sources.ENVOY_LABEL
    assert any(k.startswith("productpage-v1-") for k in exec_source.plain), exec_source.plain
    again = sources.collect(s.objects, exec_source, "bookinfo")
    assert [(e.key, e.requests) for e in again.edges] == [
        (e.key, e.requests) for e in by_exec.edges
    ]
    pages = sum(e.requests for e in find(by_exec, "productpage", "details"))
    assert pages >= 200  # both steps' 100 pages, cumulative since the proxies started
    reviews = find(by_exec, "productpage", "reviews")
    assert {e.destination.version for e in reviews} == {"v1", "v2", "v3"}
    assert sum(e.requests for e in reviews) == pages
    assert not find(by_exec, "reviews/v1", "ratings")
    # Latency quantiles exist once Envoy has merged its histograms (its stats flush, 5 s).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        timed = find(sources.collect(s.objects, sources.AdminSource(lab_run.envoy_admin)),
                     "productpage", "reviews")  # fmt: skip
        if all(e.p50_ms is not None for e in timed):
            break
        time.sleep(0.5)
    assert all(e.p50_ms is not None and e.p99_ms is not None for e in timed), timed
    assert all(0 < e.p50_ms <= e.p99_ms for e in timed)  # type: ignore[operator]
    # The CLI: the JSON the issue states, read from the same proxies.
    env = {**os.environ, **lab_run.env}
    out = subprocess.run(
        [sys.executable, "-m", "istiotui", "graph", "-n", "bookinfo", "-o", "json", "--local"],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    doc = json.loads(out.stdout)
    edge = next(
        e for e in doc["edges"]
        if e["source"]["app"] == "productpage" and e["destination"]["app"] == "details"
    )  # fmt: skip
    assert edge["source"] == {"namespace": "bookinfo", "app": "productpage", "version": "v1"}
    assert {"requests", "errors", "p50_ms", "p99_ms", "flags"} <= set(edge)
    assert edge["requests"] >= pages and edge["errors"] == 0 and edge["flags"] == {}
    assert {"namespace": "bookinfo", "app": "ratings", "version": "v1", "kind": "workload"} in doc[
        "nodes"
    ]


def test_without_virtual_services_every_reviews_version_answers(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("routing-round-robin"))


def test_all_v1_gives_only_v1(lab_run: LabRun) -> None:
    report = lab_run.verify("routing-all-v1")
    assert_passed(report)
    assert report.outcomes[0].run.summary.classes == {"v1": 30}


def test_the_labs_grep_prints_the_reviews_pod_name(lab_run: LabRun) -> None:
    lab_run.reach("routing-all-v1")
    (pod,) = lab_run.session.objects.list("v1", "Pod", "bookinfo", "app=reviews,version=v1")
    name = pod["metadata"]["name"]
    # The lab's port-forward (kubectl's own, on a free local port) and its loop, with the real
    # curl and grep, through the ingress gateway.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KUBECONFIG": str(lab_run.state / "kubeconfig")}
    forward = subprocess.Popen(
        ["kubectl", "port-forward", "svc/istio-ingressgateway", "-n", "istio-system", f"{port}:80"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert forward.stdout is not None
        first = forward.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> 8080"
        assert f"127.0.0.1:{port}" in first, first
        url = f"http://localhost:{port}/productpage"
        loop = f'for i in {{1..6}}; do curl -s "{url}" | grep -o "reviews-v.*"; done'
        out = subprocess.run(["bash", "-c", loop], capture_output=True, text=True, timeout=120)
    finally:
        forward.terminate()
        forward.wait(10)
    # Bookinfo 1.20's page names the pod under each of its two reviews, alone on its line.
    assert out.stdout.splitlines() == [name] * 12, out.stdout


def test_jason_sees_v2_with_black_stars_and_others_v1(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("routing-jason-v2"))


def test_seven_second_delay_breaks_the_page_after_about_six(lab_run: LabRun) -> None:
    report = lab_run.verify("fault-delay-jason")
    assert_passed(report)
    p50 = report.outcomes[0].run.summary.percentile(50)
    assert p50 is not None and 5.5 <= p50 <= 7.5


def test_abort_shows_ratings_unavailable_at_once(lab_run: LabRun) -> None:
    before = lab_run.session.graph("bookinfo")
    assert_passed(lab_run.verify("fault-abort-jason"))
    # The graph shows the aborts where they happen, reviews v2 (jason's) → ratings, flagged FI
    # and counted as 5xx though no request reached ratings: read from the sidecar's access log,
    # which Envoy flushes within a second of the request.
    deadline = time.monotonic() + 15
    while True:
        added = delta(lab_run.session.graph("bookinfo"), before)
        aborted = find(added, "reviews/v2", "ratings")
        if (aborted and aborted[0].flags.get("FI")) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert aborted and aborted[0].flags.get("FI", 0) > 0, added.edges
    assert aborted[0].errors >= aborted[0].flags["FI"]
    assert not find(added, "reviews/v1", "ratings")
    assert_passed(lab_run.verify("fault-cleanup"))


def test_fifty_fifty_then_all_v3(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("shift-all-v1"))
    report = lab_run.verify("shift-50-v3")
    assert_passed(report)
    assert report.outcomes[0].run.summary.total >= 200
    assert_passed(lab_run.verify("shift-v3"))


def test_circuit_breaker_trips_with_three_connections(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("cb-fortio-curl"))
    assert_passed(lab_run.verify("cb-fortio-c3"))
    assert_passed(lab_run.verify("cb-fortio-c1"))
    objects = lab_run.session.objects
    fortio = objects.list("v1", "Pod", "default", "app=fortio")[0]["metadata"]["name"]
    proxy_log = objects.logs("default", fortio, "istio-proxy")
    assert re.search(r'" 503 UO ', proxy_log), proxy_log[-2000:]
    # httpbin's container port 80 is bound at 10080 (no root needed); the log shows the 80.
    assert re.search(r'"127\.[\d.]+:80" outbound\|8000\|\|httpbin\.default', proxy_log), proxy_log[
        -2000:
    ]
    assert ":10080" not in proxy_log
    # The fortio sidecar's own stats, as `pilot-agent request GET stats` would show them.
    admin = f"{lab_run.envoy_admin}/stats"
    with urllib.request.urlopen(admin, timeout=5) as resp:
        stats = proxy_stats(resp.read().decode(), f"{fortio}.default")
    overflow = re.search(
        r"cluster\.outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local\."
        r"upstream_rq_pending_overflow: (\d+)",
        stats,
    )
    assert overflow is not None, stats[:2000]
    assert int(overflow.group(1)) > 0


def test_the_ingress_gateway_is_a_source_like_any_other(lab_run: LabRun) -> None:
    lab_run.reach("shift-v3")
    before = lab_run.session.graph("bookinfo")
    report = lab_run.verify("shift-v3")  # its pages come through the ingress gateway
    added = delta(lab_run.session.graph("bookinfo"), before)
    ingress = find(added, "istio-ingressgateway", "productpage")
    assert ingress and ingress[0].source.namespace == "istio-system"
    assert sum(e.requests for e in ingress) == report.outcomes[0].run.summary.total


@needs_kubectl
def test_pilot_agent_in_istio_proxy_answers_for_that_sidecar(lab_run: LabRun) -> None:
    report = lab_run.verify("cb-proxy-stats")
    assert_passed(report)
    load = report.outcomes[0]
    n503 = load.run.summary.statuses.get(503, 0)
    stat = "cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_pending_overflow"
    assert n503 > 0 and load.stats_added == {stat: n503}
    fortio = lab_run.session.objects.list("v1", "Pod", "default", "app=fortio")[0]
    name = fortio["metadata"]["name"]

    def agent(*args: str) -> str:
        return kubectl(lab_run, "exec", name, "-c", "istio-proxy", "--", "pilot-agent", *args)

    # Another proxy's id in front of an Istio name would mean the shared Envoy leaked through.
    foreign = re.compile(r"[a-z0-9-]+\.[a-z0-9-]+\|(?:outbound|inbound|PassthroughCluster)")
    stats = agent("request", "GET", "stats")
    overflow = re.search(
        r"^cluster\.outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local\."
        r"upstream_rq_pending_overflow: (\d+)$", stats, re.M,
    )  # fmt: skip
    assert overflow is not None and int(overflow.group(1)) >= n503
    assert foreign.search(stats) is None
    clusters = agent("request", "GET", "clusters")
    assert "outbound|8000||httpbin.default.svc.cluster.local::" in clusters
    assert foreign.search(clusters) is None
    listeners = agent("request", "GET", "listeners")
    assert re.search(r"^0\.0\.0\.0_8000::", listeners, re.M), listeners
    assert json.loads(agent("request", "GET", "server_info"))["state"] == "LIVE"
    dump = agent("request", "GET", "config_dump")
    assert "outbound|8000||httpbin.default.svc.cluster.local" in dump
    assert foreign.search(dump) is None
    json.loads(dump)
    # Only the proxy's image has pilot-agent; nothing may change the Envoy every pod shares.
    env = {"KUBECONFIG": str(lab_run.state / "kubeconfig"), "PATH": "/usr/bin:/bin",
           "HOME": str(lab_run.state)}  # fmt: skip
    assert KUBECTL is not None
    argv = [KUBECTL, "exec", name, "-c", "fortio", "--", "pilot-agent", "request", "GET", "stats"]
    app = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert app.returncode != 0 and "executable file not found" in app.stdout + app.stderr
    post = subprocess.run([KUBECTL, "exec", name, "-c", "istio-proxy", "--", "pilot-agent",
                           "request", "POST", "quitquitquit"], capture_output=True, text=True,
                          env=env, timeout=60)  # fmt: skip
    assert post.returncode != 0 and "shared by every pod" in post.stderr
    # The graph says the same: fortio → httpbin with the breaker's UO flag.
    edge = find(lab_run.session.graph("default"), "fortio", "httpbin")
    assert edge and edge[0].flags.get("UO", 0) >= n503 and edge[0].errors >= n503


@needs_kubectl
def test_fortio_reports_sockets_and_warnings_as_fortio_does(lab_run: LabRun) -> None:
    lab_run.reach("cb-fortio-c3")
    fortio = lab_run.session.objects.list("v1", "Pod", "default", "app=fortio")[0]
    out = subprocess.run(
        [KUBECTL or "kubectl", "exec", fortio["metadata"]["name"], "-c", "fortio", "--",
         "/usr/bin/fortio", "load", "-c", "3", "-qps", "0", "-n", "30", "-loglevel", "Warning",
         "http://httpbin:8000/get"],
        capture_output=True, text=True, timeout=120,
        env={"KUBECONFIG": str(lab_run.state / "kubeconfig"), "PATH": "/usr/bin:/bin",
             "HOME": str(lab_run.state)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    found = re.search(r"^Code 503 : (\d+) ", text, re.M)
    n503 = int(found.group(1)) if found else 0
    assert n503 > 0, text
    sockets = int(re.search(r"^Sockets used: (\d+) \(for perfect keepalive, would be 3\)$",
                            text, re.M).group(1))  # type: ignore[union-attr]  # fmt: skip
    # Each 503 costs the worker its connection (but the last call of a worker opens nothing).
    assert n503 <= sockets <= 3 + n503, text
    distribution = text.split("IP addresses distribution:\n", 1)[1].split("\nCode ", 1)[0]
    assert sum(int(line.rsplit(": ", 1)[1]) for line in distribution.splitlines()) == sockets
    warnings = [json.loads(ln) for ln in text.splitlines() if ln.startswith('{"ts":')]
    non_ok = [w for w in warnings if w["msg"] == "Non ok http code"]
    assert len(non_ok) == n503 and all(w["code"] == 503 for w in non_ok)


def test_probe_command_from_a_pod(lab_run: LabRun, capsys, monkeypatch) -> None:
    from istiotui.cli import exit_codes
    from istiotui.cli.main import main

    for key, value in lab_run.env.items():
        monkeypatch.setenv(key, value)  # `--local` attaches to this cluster
    lab_run.reach("cb-deploy-fortio")
    pods = lab_run.session.objects.list("v1", "Pod", "default", "app=fortio")
    fortio = pods[0]["metadata"]["name"]
    argv = ["probe", "http://httpbin:8000/get", "--from", f"default/{fortio}", "-n", "5"]
    assert main([*argv, "--local"]) == 0
    assert "Code 200 : 5 (100.0 %)" in capsys.readouterr().out
    code = main(["probe", "http://httpbin:8000/get", "--from", "default/nope", "--local"])
    assert code == exit_codes.FAILED
    assert "no pod nope in namespace default" in capsys.readouterr().err


def test_no_request_reaches_httpbin_before_the_learners(lab_run: LabRun) -> None:
    lab_run.reach("mirror-deploy-curl")
    objects = lab_run.session.objects
    for version in ("v1", "v2"):
        pod = objects.list("v1", "Pod", "default", f"app=httpbin,version={version}")[0]
        log = objects.logs("default", pod["metadata"]["name"], "httpbin")
        # gunicorn's access log: only requests somebody sent (none yet; no probe is declared).
        assert '"GET ' not in log, log[-2000:]


def test_mirroring_copies_every_request_to_v2(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("mirror-all-v1"))
    report = lab_run.verify("mirror-to-v2")
    assert_passed(report)
    mirrored = next(o for o in report.outcomes if o.probe.id == "mirrored")
    assert mirrored.log_lines_added is not None
    assert mirrored.log_lines_added >= mirrored.run.summary.total
    # The copies carry Host `httpbin-shadow:8000`; httpbin echoes the headers of /headers, so
    # v2's answers to the copies are longer than v1's to the originals — what the lab points at.
    objects = lab_run.session.objects

    def sizes(version: str) -> list[int]:
        pod = objects.list("v1", "Pod", "default", f"app=httpbin,version={version}")[0]
        text = objects.logs("default", pod["metadata"]["name"], "httpbin")
        return [int(m) for m in re.findall(r'"GET /headers HTTP/1.1" 200 (\d+)', text)]

    v1, v2 = sizes("v1"), sizes("v2")
    assert v1 and v2
    assert min(v2) > max(v1), (v1[-5:], v2[-5:])


def test_the_graph_draws_mirrored_copies_apart(lab_run: LabRun) -> None:
    lab_run.reach("mirror-to-v2")
    graph = lab_run.session.graph("default")
    mirrored = [e for e in find(graph, "curl", "httpbin/v2") if e.mirrored]
    assert mirrored and mirrored[0].requests >= 10
    assert not [e for e in find(graph, "curl", "httpbin/v2") if not e.mirrored]
    assert [e for e in find(graph, "curl", "httpbin/v1") if not e.mirrored]


def test_ingress_gateway_routes_status_and_delay_only(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("ingress-virtual-service"))


def test_egress_goes_through_the_gateway_only_with_the_virtual_service(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("egress-service-entry"))
    assert_passed(lab_run.verify("egress-virtual-service"))


def test_analyze_lays_files_over_the_live_cluster(
    lab_run: LabRun, tmp_path, capsys, monkeypatch
) -> None:
    from istiotui.cli.main import main

    for key, value in lab_run.env.items():
        monkeypatch.setenv(key, value)  # `--local` attaches to this cluster
    lab_run.reach("routing-all-v1")
    typo = tmp_path / "reviews-v9.yaml"
    typo.write_text(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: reviews, namespace: bookinfo}\n"
        "spec:\n  hosts: [reviews]\n  http:\n  - route:\n"
        "    - destination: {host: reviews, subset: v9}\n"
    )
    assert main(["analyze", "--local", "--lang", "en"]) == 0
    assert main(["analyze", "--local", "--lang", "en", str(typo)]) == 79
    out = capsys.readouterr().out
    assert "Error [IT0101] (VirtualService bookinfo/reviews " in out
    assert f"{typo}:1:" in out
