"""`istiotui explain` on the lab's own steps, each explanation confirmed by sending the request.

The explanations are read from the local Envoy's real configuration dump (restricted to the
proxy), and `--send` checks them against what the same proxy then did (its access log line).
This module runs after the lab's walk (test_lab_on_local_cluster.py; conftest.py orders them)
on the same cluster: a step already done there is played again (its cleanup, then its actions)
so the cluster is in that step's state; a step not done yet is reached as usual. Alone, it
reaches each step from a fresh cluster.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from istiotui.lab.explain import Proxy, Sent, explain_request, next_hops, send
from istiotui.lab.plan import StepFailed
from istiotui.lab.walk import runs_on
from istiotui.mesh.explain import Explanation

from .conftest import LabRun

pytestmark = pytest.mark.slow
PUSH_WAIT = 30.0  # seconds for a change to reach Envoy (pilot compile + file swap)
_played: dict[str, int] = {}  # how far this module has played the lab (index in lab order)


def at(lab_run: LabRun, step_id: str) -> None:
    """Bring the cluster to `step_id` by playing every step from the last one played here."""
    order = list(lab_run.lab.steps())
    ids = [s.id for s in order]
    start = _played.get("pos", ids.index(step_id) - 1) + 1
    for step in order[start : ids.index(step_id) + 1]:
        if not runs_on(step, lab_run.session.cluster):
            continue
        if step.id in lab_run.done:
            for action in step.cleanup:  # what a later section removed is simply not there
                try:
                    lab_run.executor.run([action])
                except StepFailed as exc:
                    if "not found" not in str(exc):
                        raise
            lab_run.executor.run(step.actions)
        else:
            lab_run.reach(step.id)
    _played["pos"] = ids.index(step_id)


def explained(
    lab_run: LabRun,
    url: str,
    from_ref: str | None,
    namespace: str = "default",
    headers: dict[str, str] | None = None,
    until: Callable[[Explanation], bool] = lambda e: True,
) -> tuple[Proxy, Explanation]:
    """The explanation once `until` holds of it (a change takes a moment to reach Envoy)."""
    deadline = time.monotonic() + PUSH_WAIT
    while True:
        proxy, e = explain_request(lab_run.session, url, dict(headers or {}), from_ref=from_ref,
                                   namespace=namespace, lab=lab_run.lab)  # fmt: skip
        if until(e) or time.monotonic() > deadline:
            return proxy, e
        time.sleep(0.5)


def sent(lab_run: LabRun, proxy: Proxy, e: Explanation, url: str) -> Sent:
    result = send(lab_run.session, proxy, e, url)
    assert result.line is not None, result.notes
    return result


REVIEWS = "http://reviews:9080/reviews/0"
RATINGS = "http://ratings:9080/ratings/0"


def cluster(port: int, subset: str, host: str) -> str:
    return f"outbound|{port}|{subset}|{host}"


def reviews(subset: str) -> str:
    return cluster(9080, subset, "reviews.bookinfo.svc.cluster.local")


def test_a_subset_without_destination_rule_is_nc(lab_run: LabRun) -> None:
    at(lab_run, "routing-all-v1")
    dr = lab_run.session.objects.get("networking.istio.io/v1", "DestinationRule", "reviews",
                                     "bookinfo")  # fmt: skip
    assert dr is not None
    lab_run.session.objects.delete(dr)
    try:
        proxy, e = explained(lab_run, REVIEWS, "deploy/productpage-v1", "bookinfo",
                             until=lambda e: e.flag == "NC")  # fmt: skip
        assert e.flag == "NC", e
        assert "subset v1" in e.reason and "DestinationRule" in e.reason
        assert e.destinations[0].cluster == reviews("v1") and not e.destinations[0].exists
        result = sent(lab_run, proxy, e, REVIEWS)
        assert result.status == 503 and result.line is not None
        assert result.line.flags == "NC" and result.predicted is True
    finally:
        lab_run.executor.run(lab_run.lab.step("routing-destination-rules").actions)
    _, e = explained(lab_run, REVIEWS, "deploy/productpage-v1", "bookinfo",
                     until=lambda e: e.flag is None)  # fmt: skip
    assert e.flag is None and e.destinations[0].exists


def test_all_v1_from_productpage(lab_run: LabRun) -> None:
    at(lab_run, "routing-all-v1")
    proxy, e = explained(lab_run, REVIEWS, "deploy/productpage-v1", "bookinfo",
                         until=lambda e: e.clusters == [reviews("v1")])  # fmt: skip
    assert e.listener == "0.0.0.0_9080" and e.route_config == "9080"
    assert e.virtual_host == "reviews.bookinfo.svc.cluster.local:9080"
    assert e.domain == "reviews:9080"  # the short name a client in bookinfo uses, with its port
    assert e.virtual_service == "bookinfo/reviews" and e.rule == 0
    assert e.source is not None and "virtual-service-all-v1.yaml:" in e.source
    assert [d.weight for d in e.destinations] == [100]
    assert any("reviews-v1-" in ep for ep in e.destinations[0].endpoints)
    result = sent(lab_run, proxy, e, REVIEWS)
    assert result.status == 200 and result.version == "v1" and result.predicted is True
    assert next_hops(lab_run.session, e) == []  # reviews is no gateway: the walk ends there


def test_ingress_path_match_and_nr_through_the_command(
    lab_run: LabRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at(lab_run, "routing-all-v1")
    from istiotui.cli.main import main

    for key, value in lab_run.env.items():
        monkeypatch.setenv(key, value)
    code = main(["explain", "--local", "http://localhost:8080/productpage", "-o", "json", "--send"])
    body = json.loads(capsys.readouterr().out)
    assert code == 0
    assert body["proxy"].startswith("istio-ingressgateway-") and body["listener"] == "0.0.0.0_8080"
    assert body["route_config"] == "http.8080"
    assert body["virtual_service"] == "bookinfo/bookinfo" and body["rule"] == 0
    assert body["route"]["match"] == ["path exact '/productpage'"]
    assert [d["cluster"] for d in body["destinations"]] == [
        cluster(9080, "", "productpage.bookinfo.svc.cluster.local")
    ]
    assert body["destinations"][0]["weight"] == 100 and body["destinations"][0]["endpoints"]
    assert body["next_hops"] == []
    assert body["sent"]["status"] == 200 and body["sent"]["predicted"] is True

    code = main(["explain", "--local", "http://localhost:8080/headers", "-o", "json", "--send"])
    body = json.loads(capsys.readouterr().out)
    assert body["response_flag"] == "NR" and body["destinations"] == []
    assert "GET /headers" in body["reason"]
    assert body["sent"]["status"] == 404 and body["sent"]["response_flags"] == "NR"
    assert code == 0


def test_jason_goes_to_v2_by_his_header(lab_run: LabRun) -> None:
    at(lab_run, "routing-jason-v2")
    jason = {"end-user": "jason"}
    proxy, e = explained(lab_run, REVIEWS, "deploy/productpage-v1", "bookinfo", jason,
                         until=lambda e: e.clusters == [reviews("v2")])  # fmt: skip
    assert e.route_index == 0 and e.rule == 0
    assert any("header end-user exact 'jason'" in clause for clause in e.why)
    result = sent(lab_run, proxy, e, REVIEWS)
    assert result.version == "v2" and result.predicted is True

    proxy, e = explained(lab_run, REVIEWS, "deploy/productpage-v1", "bookinfo")
    assert e.clusters == [reviews("v1")] and e.rule == 1
    assert "end-user" in e.skipped[0].failed and "absent" in e.skipped[0].failed
    assert sent(lab_run, proxy, e, REVIEWS).version == "v1"


def test_the_delay_for_jason(lab_run: LabRun) -> None:
    at(lab_run, "fault-delay-jason")
    _, e = explained(lab_run, RATINGS, "deploy/reviews-v2", "bookinfo", {"end-user": "jason"},
                     until=lambda e: "fault" in e.policies)  # fmt: skip
    assert e.policies["fault"] == {"delay": {"fixed": "7s", "percent": 100.0}}
    assert e.virtual_service == "bookinfo/ratings" and e.rule == 0
    _, anonymous = explained(lab_run, RATINGS, "deploy/reviews-v2", "bookinfo")
    assert "fault" not in anonymous.policies


def test_the_abort_for_jason(lab_run: LabRun) -> None:
    at(lab_run, "fault-abort-jason")
    jason = {"end-user": "jason"}
    proxy, e = explained(lab_run, RATINGS, "deploy/reviews-v2", "bookinfo", jason,
                         until=lambda e: "abort" in e.policies.get("fault", {}))  # fmt: skip
    assert e.policies["fault"] == {"abort": {"http_status": 500, "percent": 100.0}}
    result = sent(lab_run, proxy, e, RATINGS)
    assert result.status == 500 and result.line is not None and result.line.flags == "FI"


def test_fifty_fifty(lab_run: LabRun) -> None:
    at(lab_run, "shift-50-v3")
    proxy, e = explained(lab_run, REVIEWS, "deploy/productpage-v1", "bookinfo",
                         until=lambda e: len(e.destinations) == 2)  # fmt: skip
    assert [(d.cluster, d.weight) for d in e.destinations] == [
        (reviews("v1"), 50), (reviews("v3"), 50)
    ]  # fmt: skip
    result = sent(lab_run, proxy, e, REVIEWS)
    assert result.predicted is True and result.version in ("v1", "v3")


def test_the_breakers_limits(lab_run: LabRun) -> None:
    at(lab_run, "cb-deploy-fortio")
    url = "http://httpbin:8000/get"

    def limited(e: Explanation) -> bool:
        return bool(e.destinations and e.destinations[0].policies)

    proxy, e = explained(lab_run, url, "deploy/fortio-deploy", until=limited)
    [dest] = e.destinations
    assert dest.destination_rule == "default/httpbin"
    assert dest.policies["connection_pool"] == {"max_connections": 1, "max_pending_requests": 1}
    assert dest.policies["outlier_detection"]["consecutive_5xx"] == 1
    assert e.virtual_service is None  # no VirtualService: the service's default route
    assert sent(lab_run, proxy, e, url).predicted is True


def test_the_mirror(lab_run: LabRun) -> None:
    at(lab_run, "mirror-to-v2")
    url = "http://httpbin:8000/headers"
    host = "httpbin.default.svc.cluster.local"
    proxy, e = explained(lab_run, url, "deploy/curl", until=lambda e: "mirror" in e.policies)
    assert e.clusters == [cluster(8000, "v1", host)]
    assert e.policies["mirror"] == [{"cluster": cluster(8000, "v2", host), "percent": 100.0}]
    result = sent(lab_run, proxy, e, url)
    assert result.version == "v1" and result.predicted is True


def test_the_ingress_host_and_paths(lab_run: LabRun) -> None:
    at(lab_run, "ingress-virtual-service")
    host = {"host": "httpbin.example.com"}
    url = "http://localhost:8080/status/200"
    proxy, e = explained(lab_run, url, None, headers=host, until=lambda e: e.flag is None)
    assert e.domain == "httpbin.example.com" and e.why == ["path prefix '/status'"]
    assert e.virtual_service == "default/httpbin" and e.rule == 0
    assert e.clusters == [cluster(8000, "", "httpbin.default.svc.cluster.local")]
    assert sent(lab_run, proxy, e, url).status == 200

    url = "http://localhost:8080/headers"
    proxy, e = explained(lab_run, url, None, headers=host)
    assert e.flag == "NR" and "/headers" in e.reason
    result = sent(lab_run, proxy, e, url)
    assert result.status == 404 and result.line is not None and result.line.flags == "NR"


def _sockets(dump: dict) -> dict[str, list[tuple[str, int]]]:
    """Each cluster's endpoint sockets, as the dump gives them."""
    out: dict[str, list[tuple[str, int]]] = {}
    for section in dump.get("configs") or []:
        for entry in section.get("dynamic_active_clusters") or []:
            c = entry["cluster"]
            for locality in (c.get("load_assignment") or {}).get("endpoints") or []:
                for lb in locality.get("lb_endpoints") or []:
                    sock = lb["endpoint"]["address"]["socket_address"]
                    out.setdefault(c["name"], []).append((sock["address"], sock["port_value"]))
    return out


def test_the_exec_dump_is_that_proxys_part_of_the_one_envoy(lab_run: LabRun) -> None:
    """`pilot-agent request GET config_dump` through exec (the one path, as on a real cluster)
    holds what the local Envoy's own dump holds for that proxy, under Istio's names, with the
    endpoints at the ports the pods declare (httpbin's 80, bound at 10080 here)."""
    at(lab_run, "ingress-virtual-service")
    import urllib.request

    from istiotui.cluster.proxy_dump import exec_config_dump
    from istiotui.local.addresses import bind_port
    from istiotui.mesh.explain import parse_dump, restrict

    [pod] = lab_run.session.objects.list("v1", "Pod", "istio-system", "app=istio-ingressgateway")
    name = pod["metadata"]["name"]
    api = lab_run.session.connection.api_client
    mine = exec_config_dump(api, "istio-system", name, timeout=60)
    assert lab_run.envoy_admin is not None
    with urllib.request.urlopen(f"{lab_run.envoy_admin}/config_dump?include_eds") as resp:
        direct = restrict(json.loads(resp.read()), f"{name}.istio-system")
    ours, envoys = parse_dump(mine), parse_dump(direct)
    assert set(ours.clusters) == set(envoys.clusters) and ours.clusters
    assert [x["name"] for x in ours.listeners] == [x["name"] for x in envoys.listeners]
    shown, bound = _sockets(mine), _sockets(direct)
    assert shown.keys() == bound.keys()
    for cluster_name, sockets in shown.items():
        assert [(a, bind_port(a, p)) for a, p in sockets] == bound[cluster_name], cluster_name
    httpbin = cluster(8000, "", "httpbin.default.svc.cluster.local")
    assert {p for _, p in shown[httpbin]} == {80} and {p for _, p in bound[httpbin]} == {10080}


def test_the_egress_route_through_the_gateway(lab_run: LabRun) -> None:
    at(lab_run, "egress-virtual-service")
    url = "https://edition.cnn.com/politics"
    gateway = "istio-egressgateway.istio-system.svc.cluster.local"
    proxy, e = explained(lab_run, url, "deploy/curl", until=lambda e: e.rule is not None)
    assert e.sni == ["edition.cnn.com"] and e.rule_kind == "tls" and e.rule == 0
    assert e.virtual_service == "default/direct-cnn-through-egress-gateway"
    assert e.clusters == [cluster(443, "cnn", gateway)]
    result = sent(lab_run, proxy, e, url)
    assert result.status == 200 and result.predicted is True

    _, hop = explained(lab_run, url, "deploy/istio-egressgateway", "istio-system")
    assert hop.listener == "0.0.0.0_8443" and hop.rule == 1
    assert hop.clusters == [cluster(443, "", "edition.cnn.com")]

    # The same hop, followed from the sidecar's explanation without a second --from.
    [(gateway, followed)] = next_hops(lab_run.session, e, lab_run.lab)
    assert gateway.pod.startswith("istio-egressgateway-") and gateway.namespace == "istio-system"
    assert followed.listener == hop.listener and followed.rule == hop.rule
    assert followed.clusters == hop.clusters and followed.sni == ["edition.cnn.com"]


def test_proxy_config_of_the_curl_pod(
    lab_run: LabRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at(lab_run, "egress-virtual-service")
    from istiotui.cli.main import main

    for key, value in lab_run.env.items():
        monkeypatch.setenv(key, value)
    assert main(["proxy-config", "--local", "deploy/curl", "clusters", "-o", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["proxy"].startswith("curl-") and body["proxy"].endswith(".default")
    by_name = {row["cluster"]: row for row in body["clusters"]}
    cnn = by_name[cluster(443, "cnn", "istio-egressgateway.istio-system.svc.cluster.local")]
    assert cnn["destination_rule"] == "default/egressgateway-for-cnn" and cnn["endpoints"] == 1
    assert not any(name.startswith(body["proxy"]) for name in by_name)  # Istio's own names


def test_proxy_status_after_the_lab(
    lab_run: LabRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at(lab_run, "egress-virtual-service")
    from istiotui.cli.main import main

    for key, value in lab_run.env.items():
        monkeypatch.setenv(key, value)
    deadline = time.monotonic() + PUSH_WAIT
    while True:  # the last step's push may still be on its way
        assert main(["proxy-status", "--local", "-o", "json"]) == 0
        rows = json.loads(capsys.readouterr().out)["proxies"]
        states = {row[k] for row in rows for k in ("cds", "lds", "eds", "rds")}
        if states == {"SYNCED"} or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert states == {"SYNCED"}, rows
    names = {row["name"] for row in rows}
    assert any(n.startswith("curl-") and n.endswith(".default") for n in names)
    assert {row["istiod"].split("-", 1)[0] for row in rows} == {"istiod"}  # from istiod's syncz
    assert any(n.startswith("istio-egressgateway-") for n in names)
    proxied = {  # istiod knows the pods with a proxy, nothing of how this machine stands in
        f"{p['metadata']['name']}.{p['metadata']['namespace']}"
        for p in lab_run.session.objects.list("v1", "Pod", None)
        if any(c["name"] == "istio-proxy" for c in p["spec"]["containers"])
        and p.get("status", {}).get("phase") == "Running"
    }
    assert names == proxied


async def test_the_explain_screen_shows_the_walk(lab_run: LabRun) -> None:
    at(lab_run, "egress-virtual-service")
    from textual.app import App
    from textual.widgets import Static

    from istiotui.ui.screens.explain import ExplainScreen, ExplainTarget

    [pod] = lab_run.session.objects.list("v1", "Pod", "default", "app=curl")
    target = ExplainTarget("https://edition.cnn.com/politics", {},
                           f"default/{pod['metadata']['name']}")  # fmt: skip

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(ExplainScreen(lab_run.session, lab_run.lab, target))

    app = Host()
    async with app.run_test() as pilot:
        deadline = time.monotonic() + PUSH_WAIT
        text = ""
        while time.monotonic() < deadline:
            await pilot.pause(0.2)
            text = str(app.screen.query_one("#explain-out", Static).content)
            if text != "…":
                break
        assert "outbound|443|cnn|istio-egressgateway" in text, text
        assert "next hop      istio-egressgateway-" in text, text  # followed on
        await pilot.press("ctrl+o")  # the Proxies screen, on the curl pod's configuration
        from textual.widgets import DataTable

        from istiotui.ui.screens.proxies import ProxyScreen

        await _until(pilot, lambda: isinstance(app.screen, ProxyScreen), "the Proxies screen")
        clusters = app.screen.query_one("#proxies-clusters", DataTable)
        await _until(pilot, lambda: clusters.row_count > 0, "the curl pod's clusters")
        assert app.screen.proxy == f"{pod['metadata']['name']}.default"
        cells = [str(c) for i in range(clusters.row_count) for c in clusters.get_row_at(i)]
        assert "default/egressgateway-for-cnn" in cells


def test_istiod_answers_syncz_only_and_only_istiod_has_pilot_discovery(lab_run: LabRun) -> None:
    """`pilot-discovery request GET /debug/syncz` through exec, as on a real cluster: the local
    istiod answers it in istiod's shape; other debug paths are refused, and a sidecar's
    container has no pilot-discovery."""
    at(lab_run, "egress-virtual-service")
    from istiotui.cluster import exec as pod_exec
    from istiotui.cluster.proxy_dump import exec_syncz
    from istiotui.mesh.proxy_sync import parse_syncz

    api = lab_run.session.connection.api_client
    [istiod] = lab_run.session.objects.list("v1", "Pod", "istio-system", "app=istiod")
    name = istiod["metadata"]["name"]
    entries = parse_syncz(exec_syncz(api, "istio-system", name))
    curl = next(e for e in entries if e["proxy"].startswith("curl-"))
    assert curl["proxy"].endswith(".default") and curl["cluster_sent"]
    configz = ["pilot-discovery", "request", "GET", "/debug/configz"]
    refused = pod_exec.run(api, "istio-system", name, configz, "discovery")
    assert refused.code == 1 and "/debug/syncz" in refused.stderr
    [pod] = lab_run.session.objects.list("v1", "Pod", "default", "app=curl")
    syncz = ["pilot-discovery", "request", "GET", "/debug/syncz"]
    missing = pod_exec.run(api, "default", pod["metadata"]["name"], syncz, "istio-proxy")
    assert missing.code == 127


class _Host:
    """A bare app that shows one screen and records its workers' crashes."""

    @staticmethod
    def make(screen: object) -> object:
        from textual.app import App
        from textual.worker import Worker, WorkerState

        class Host(App[None]):
            def __init__(self) -> None:
                super().__init__()
                self.crashes: list[BaseException] = []

            def on_mount(self) -> None:
                self.push_screen(screen)

            def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
                if event.state == WorkerState.ERROR and event.worker.error is not None:
                    self.crashes.append(event.worker.error)

        return Host()


async def _until(pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PUSH_WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await pilot.pause(0.2)


async def test_the_proxies_screen_status_then_a_proxys_configuration(lab_run: LabRun) -> None:
    """`o` without a pod: every proxy's sync state; Enter on one: its configuration, at 80×24."""
    at(lab_run, "egress-virtual-service")
    from textual.widgets import DataTable, TabbedContent

    from istiotui.ui.screens.proxies import ProxyScreen

    app = _Host.make(ProxyScreen(lab_run.session))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        status = screen.query_one("#proxies-status", DataTable)
        await _until(pilot, lambda: status.row_count > 0, "the status rows")

        def curl_states() -> list[str]:
            key = next(k.value for k in status.rows if str(k.value).startswith("curl-"))
            return [str(c) for c in status.get_row(key)[1:5]]

        deadline = time.monotonic() + PUSH_WAIT
        while curl_states() != ["SYNCED"] * 4 and time.monotonic() < deadline:
            await pilot.press("r")  # the last step's push may still be on its way
            await pilot.pause(1.0)
        assert curl_states() == ["SYNCED"] * 4
        curl = next(str(k.value) for k in status.rows if str(k.value).startswith("curl-"))
        assert status.get_row(curl)[5].startswith("istiod-")  # the istiod that answered

        status.move_cursor(row=status.get_row_index(curl))
        await pilot.press("enter")
        clusters = screen.query_one("#proxies-clusters", DataTable)
        await _until(pilot, lambda: clusters.row_count > 0, "the curl pod's clusters")
        assert screen.query_one(TabbedContent).active == "listeners"
        assert screen.proxy == curl
        rows = {str(clusters.get_row_at(i)[0]): clusters.get_row_at(i)
                for i in range(clusters.row_count)}  # fmt: skip
        cnn = rows[cluster(443, "cnn", "istio-egressgateway.istio-system.svc.cluster.local")]
        assert "default/egressgateway-for-cnn" in [str(c) for c in cnn]
        await pilot.press("4")
        assert screen.query_one(TabbedContent).active == "clusters" and clusters.has_focus
    assert not app.crashes


async def test_the_proxies_screen_on_a_pod_without_a_proxy_says_why(lab_run: LabRun) -> None:
    at(lab_run, "egress-virtual-service")
    from textual.widgets import Static

    from istiotui.ui.screens.proxies import ProxyScreen

    [istiod] = lab_run.session.objects.list("v1", "Pod", "istio-system", "app=istiod")
    pod = f"istio-system/{istiod['metadata']['name']}"
    app = _Host.make(ProxyScreen(lab_run.session, pod=pod))
    async with app.run_test(size=(80, 24)) as pilot:
        note = app.screen.query_one("#proxies-note", Static)
        await _until(pilot, lambda: "istio-proxy" in str(note.content), "the reason")
        assert f"proxy-config {pod}" in str(note.content)
    assert not app.crashes
