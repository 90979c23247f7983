"""Pure parts of the workloads: the image table, outbound resolution, argument parsing, stats."""

from __future__ import annotations

import sys

import pytest

from istiotui.local.workloads import curl_args, images, outbound, restarts
from istiotui.local.workloads.fortio_stats import Histogram, go_duration

POD = "127.10.0.5"


@pytest.mark.parametrize(
    ("image", "service"),
    [
        ("docker.io/istio/examples-bookinfo-productpage-v1:1.20.2", "productpage"),
        ("istio/examples-bookinfo-details-v1:1.20.2", "details"),
        ("docker.io/istio/examples-bookinfo-ratings-v1", "ratings"),
        ("docker.io/istio/examples-bookinfo-reviews-v2:1.20.2@sha256:abc123", "reviews"),
    ],
)
def test_bookinfo_images(image: str, service: str) -> None:
    kind, module = f"bookinfo-{service}", f"bookinfo_{service}"
    impl = images.resolve(image, POD)
    assert impl.kind == kind
    assert impl.argv == [
        sys.executable, "-m", f"istiotui.local.workloads.{module}", "--bind", POD, "--port", "9080",
    ]  # fmt: skip
    assert impl.readiness == images.Readiness(9080)


def test_reviews_versions_carry_their_env() -> None:
    env = {
        v: images.resolve(f"istio/examples-bookinfo-reviews-{v}:1", POD).env
        for v in ("v1", "v2", "v3")
    }
    assert env == {
        "v1": {"ENABLE_RATINGS": "false"},
        "v2": {"ENABLE_RATINGS": "true", "STAR_COLOR": "black"},
        "v3": {"ENABLE_RATINGS": "true", "STAR_COLOR": "red"},
    }


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "docker.io/istio/examples-bookinfo-ratings-v2:1.20.2",
        "istio/examples-bookinfo-reviews-v4",
        "busybox:1.36",
    ],
)
def test_unknown_images(image: str) -> None:
    with pytest.raises(images.UnknownImage, match="no local implementation"):
        images.resolve(image, POD)


def test_httpbin_commands_are_rebound_to_the_pod_ip() -> None:
    lab = images.resolve(
        "docker.io/kennethreitz/httpbin", POD,
        ["gunicorn", "--access-logfile", "-", "-b", "0.0.0.0:80", "httpbin:app"],
    )  # fmt: skip
    assert lab.argv == [
        sys.executable, "-m", "gunicorn", "--preload", "--access-logfile", "-", "-b",
        f"{POD}:10080", "httpbin:app",
    ]  # fmt: skip  # port 80, bound where an ordinary user may
    assert lab.readiness == images.Readiness(80)
    sample = images.resolve(
        "docker.io/kong/httpbin",
        POD,
        ["gunicorn", "-b", "[::]:8080", "httpbin:app", "-k", "gevent"],
    )
    assert sample.argv is not None and sample.argv[4:] == ["-b", f"{POD}:8080", "httpbin:app"]
    default = images.resolve("mccutchen/go-httpbin:v2.15.0", POD)
    assert default.readiness == images.Readiness(8080)
    with pytest.raises(images.UnsupportedCommand, match="gunicorn only"):
        images.resolve("kennethreitz/httpbin", POD, ["python", "app.py"])


def test_client_images() -> None:
    curl = images.resolve("curlimages/curl", POD, ["/bin/sleep", "3650d"])
    assert curl.argv is not None and curl.argv[0].endswith("sleep") and curl.argv[1:] == ["3650d"]
    assert curl.readiness is None
    fortio = images.resolve("fortio/fortio:latest_release", POD)
    assert fortio.argv is not None and fortio.argv[-2:] == ["-http-port", f"{POD}:8080"]
    assert images.resolve("docker.io/istio/proxyv2:1.24.0", POD).argv is None
    assert images.resolve("auto", POD).kind == "proxy"
    assert images.exec_argv(["/usr/bin/fortio", "load", "x"])[1:] == [
        "-m", "istiotui.local.workloads.fortio", "load", "x",
    ]  # fmt: skip
    assert images.exec_argv(["env"]) == ["env"]


def test_outbound_resolution() -> None:
    env = {outbound.SIDECAR_ENV: "127.20.0.5", outbound.POD_IP_ENV: POD}
    target = outbound.resolve("http://reviews:9080/reviews/0", env)
    assert (target.connect_host, target.connect_port, target.host_header) == (
        "127.20.0.5", 9080, "reviews:9080",
    )  # fmt: skip
    assert target.connect_url == "http://127.20.0.5:9080/reviews/0"
    tls = outbound.resolve("https://edition.cnn.com/politics", env)
    assert (tls.port, tls.connect_port, tls.server_hostname, tls.host_header) == (
        443, 10443, "edition.cnn.com", "edition.cnn.com",
    )  # fmt: skip  # the sidecar's 443 listener is bound at 10443
    assert outbound.request_kwargs(tls)["server_hostname"] == "edition.cnn.com"
    plain = outbound.resolve("httpbin/headers?a=1", env)
    assert plain.host_header == "httpbin" and plain.path == "/headers?a=1"
    direct = outbound.resolve("http://127.0.0.1:8080/productpage", env)
    assert not direct.via_sidecar and direct.connect_host == "127.0.0.1"
    assert outbound.resolve("http://localhost:9080/", env).connect_host == POD
    with pytest.raises(outbound.UnresolvableHost, match="httpbin"):
        outbound.resolve("http://httpbin:8000/get", {})  # no pod at all: nothing resolves
    # A pod without a sidecar: the node address, where DNS and kube-proxy are played.
    node = outbound.resolve("http://httpbin.default:8000/get", {outbound.POD_IP_ENV: POD})
    assert node.via_node and not node.via_sidecar
    assert (node.connect_host, node.connect_port, node.host_header) == (
        "127.10.0.0", 8000, "httpbin.default:8000")  # fmt: skip
    assert node.unresolved({"x-istiotui-unresolved-host": "1"}) and not target.unresolved({})
    with pytest.raises(outbound.OutboundError, match="ftp"):
        outbound.resolve("ftp://x/", env)
    kwargs = outbound.request_kwargs(target, {"host": "other", "x": "1"})
    assert kwargs["headers"] == {"Host": "other", "x": "1"}


def test_curl_argument_parsing() -> None:
    opts = curl_args.parse(["-sSLo", "/dev/null", "-D", "-", "https://edition.cnn.com/politics"])
    assert (opts.silent, opts.show_error, opts.location) == (True, True, True)
    assert (opts.output, opts.dump_header, opts.urls) == (
        "/dev/null",
        "-",
        ["https://edition.cnn.com/politics"],
    )
    opts = curl_args.parse(
        ["-s", "-I", "-HHost:httpbin.example.com", "-w", "%{http_code}", "--max-time", "2.5", "u"]
    )
    assert opts.head and opts.headers == ["Host:httpbin.example.com"] and opts.max_time == 2.5
    for bad in (["--nope", "u"], ["-Z", "u"], ["-s"], ["--max-time", "soon", "u"], ["u", "-o"]):
        with pytest.raises(curl_args.UsageError):
            curl_args.parse(bad)


def test_histogram_percentiles_and_buckets() -> None:
    hist = Histogram()
    for i in range(1, 101):
        hist.record(i / 1000)  # 1 ms … 100 ms
    buckets = hist.buckets()
    assert sum(b["Count"] for b in buckets) == 100
    assert buckets[0]["Start"] == 0.001 and buckets[-1]["End"] == 0.1
    assert buckets[-1]["Percent"] == 100.0
    # Interpolated inside semi-log buckets: close to the true percentile, never outside the data.
    assert hist.percentile(50) == pytest.approx(0.050, abs=0.005)
    assert hist.percentile(90) == pytest.approx(0.090, abs=0.01)
    assert 0.099 <= hist.percentile(99.9) <= 0.1
    lines = hist.text("Aggregated Function Time", [50, 99.9])
    assert lines[0].startswith("Aggregated Function Time : count 100 avg 0.0505 +/- 0.02887")
    assert lines[2].startswith(">= 0.001 <= ")
    assert lines[3].startswith("> ")
    assert lines[-1].startswith("# target 99.9% ")


def test_go_durations() -> None:
    assert go_duration(0.0598524) == "59.8524ms"
    assert go_duration(5.059691387) == "5.059691387s"
    assert go_duration(60.5) == "1m0.5s"


def test_restart_backoff_doubles_from_ten_seconds_up_to_the_cap() -> None:
    backoff = restarts.BackOff()
    key, now, waits = "ns/pod/app", 1000.0, []
    for _ in range(7):  # crash right after each restart
        wait = backoff.wait_after_exit(key, now, now)
        waits.append(wait)
        now += wait
        backoff.restarted(key, now)
        now += 1.0  # it runs a second, then crashes again
    assert waits == [0.0, 10.0, 20.0, 40.0, 80.0, 80.0, 80.0]
    assert [seconds for _, seconds in backoff.schedule] == waits
    # Counted from the exit: a container found dead late waits only what is left.
    assert backoff.wait_after_exit(key, now, now + 30.0) == 50.0
    # A container that ran more than twice the cap since its last restart starts over.
    backoff.restarted(key, now + 80.0)
    later = now + 80.0 + 2 * restarts.MAX_BACKOFF + 1
    assert backoff.wait_after_exit(key, later, later) == 0.0
    backoff.restarted(key, later)
    assert backoff.wait_after_exit(key, later + 1, later + 1) == 10.0


def test_restart_policy_exit_codes_and_kubelet_words() -> None:
    assert restarts.restarts(None, 0) and restarts.restarts("Always", 0)
    assert restarts.restarts("OnFailure", 137) and not restarts.restarts("OnFailure", 0)
    assert not restarts.restarts("Never", 1)
    assert restarts.exit_code(-9) == 137 and restarts.exit_code(3) == 3
    assert restarts.terminated(137, "a", "b", "id")["terminated"]["reason"] == "Error"
    assert restarts.terminated(0, "a", "b", "id")["terminated"]["reason"] == "Completed"
    assert restarts.backoff_message(80, "ratings", "p", "default", "u") == (
        "back-off 1m20s restarting failed container=ratings pod=p_default(u)"
    )
    assert restarts.backoff_event("ratings", "p", "default", "u") == (
        "Back-off restarting failed container ratings in pod p_default(u)"
    )


def test_pilot_agent_outside_istio_proxy_says_why_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Its error goes where a shell's `2>` and `kubectl exec`'s error stream expect it, not into
    # the output a script would parse.
    from istiotui.local.workloads import pilot_agent

    monkeypatch.delenv("POD_NAME", raising=False)
    monkeypatch.delenv("POD_NAMESPACE", raising=False)
    code = pilot_agent.main(["--admin", "http://127.0.0.1:1", "request", "GET", "stats"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "POD_NAME and POD_NAMESPACE are not set" in err
