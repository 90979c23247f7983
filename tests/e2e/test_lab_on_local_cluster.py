"""Every result the lab promises, reproduced on the embedded local cluster with real traffic.

The tests run in the lab's order against one cluster: each carries out the steps before it that
are not done yet, then judges its own step from real probes (the scenarios state the counts and
bounds; FACTS.md and the issue give the numbers they were chosen from).
"""

from __future__ import annotations

import re
import urllib.request

import pytest

from istiotui.local.pilot.stats import proxy_stats

from .conftest import LabRun, assert_passed

pytestmark = pytest.mark.slow


def test_without_virtual_services_every_reviews_version_answers(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("routing-round-robin"))


def test_all_v1_gives_only_v1(lab_run: LabRun) -> None:
    report = lab_run.verify("routing-all-v1")
    assert_passed(report)
    assert report.outcomes[0].run.summary.classes == {"v1": 30}


def test_jason_sees_v2_with_black_stars_and_others_v1(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("routing-jason-v2"))


def test_seven_second_delay_breaks_the_page_after_about_six(lab_run: LabRun) -> None:
    report = lab_run.verify("fault-delay-jason")
    assert_passed(report)
    p50 = report.outcomes[0].run.summary.percentile(50)
    assert p50 is not None and 5.5 <= p50 <= 7.5


def test_abort_shows_ratings_unavailable_at_once(lab_run: LabRun) -> None:
    assert_passed(lab_run.verify("fault-abort-jason"))
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


def test_probe_command_from_a_pod(lab_run: LabRun, capsys, monkeypatch) -> None:
    from istiotui.cli.main import main

    for key, value in lab_run.env.items():
        monkeypatch.setenv(key, value)  # `--local` attaches to this cluster
    lab_run.reach("cb-deploy-fortio")
    pods = lab_run.session.objects.list("v1", "Pod", "default", "app=fortio")
    fortio = pods[0]["metadata"]["name"]
    argv = ["probe", "http://httpbin:8000/get", "--from", f"default/{fortio}", "-n", "5"]
    assert main([*argv, "--local"]) == 0
    assert "Code 200 : 5 (100.0 %)" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no pod nope in namespace default"):
        main(["probe", "http://httpbin:8000/get", "--from", "default/nope", "--local"])


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
