"""Checks on DestinationRules: their subsets, their hosts, their circuit-breaker limits."""

from __future__ import annotations

from collections.abc import Iterator

from istiotui.mesh.analysis import findings as F
from istiotui.mesh.analysis.index import Index, fqdn, name_of, namespace_of, selects
from istiotui.mesh.analysis.scope import clashes

# The lab trips the breaker with fortio at -c 2 and -c 3.
LAB_FORTIO_CONCURRENCY = 3


def _finding(dr: dict, check: F.Check, path: str, **params: object) -> F.Finding:
    return F.Finding(check, "DestinationRule", namespace_of(dr), name_of(dr), path, dict(params))


def check_destination_rules(index: Index) -> Iterator[F.Finding]:
    owners: dict[str, list[dict]] = {}
    for dr in index.kind("DestinationRule"):
        spec = dr.get("spec") or {}
        host = spec.get("host", "")
        full = fqdn(host, namespace_of(dr))
        earlier = owners.setdefault(full, [])
        other = next((o for o in earlier if clashes(o, dr)), None)
        earlier.append(dr)
        if other is not None:
            yield _finding(
                dr,
                F.DUPLICATE_DR_HOST,
                "spec.host",
                host=host,
                other=f"{namespace_of(other)}/{name_of(other)}",
            )
        yield from _subsets(index, dr, full, host)
        yield from _breaker(dr, spec.get("trafficPolicy") or {}, "spec.trafficPolicy")


def _subsets(index: Index, dr: dict, full: str, host: str) -> Iterator[F.Finding]:
    workloads = index.service_workloads(full)
    # An empty subset only hurts when traffic is sent to it: Istio's own samples declare
    # subsets (v2-mysql, …) that nothing routes to, and that is fine.
    routed = index.routed_subsets
    for i, subset in enumerate((dr.get("spec") or {}).get("subsets") or []):
        labels = subset.get("labels") or {}
        name = subset.get("name", "")
        if not labels:
            # The egress gateway's `cnn` subset is label-less on purpose; say it as a warning.
            yield _finding(dr, F.SUBSET_NO_LABELS, f"spec.subsets[{i}]", subset=name)
        elif (
            full in index.services
            and (full, name) in routed
            and not any(selects(labels, w.labels) for w in workloads)
        ):
            shown = ", ".join(f"{k}={v}" for k, v in labels.items())
            yield _finding(
                dr,
                F.SUBSET_NO_PODS,
                f"spec.subsets[{i}].labels",
                subset=name,
                labels=shown,
                host=host,
            )
        if subset.get("trafficPolicy"):
            yield from _breaker(dr, subset["trafficPolicy"], f"spec.subsets[{i}].trafficPolicy")


def _breaker(dr: dict, policy: dict, path: str) -> Iterator[F.Finding]:
    pool = policy.get("connectionPool") or {}
    tcp, http = pool.get("tcp") or {}, pool.get("http") or {}
    connections = tcp.get("maxConnections")
    pending = http.get("http1MaxPendingRequests")
    if connections is None or pending is None:
        return  # no breaker meant to trip (defaults are effectively unlimited)
    room = connections + pending
    max_requests = http.get("http2MaxRequests")
    if room >= LAB_FORTIO_CONCURRENCY and (
        max_requests is None or max_requests >= LAB_FORTIO_CONCURRENCY
    ):
        yield _finding(
            dr,
            F.BREAKER_UNTRIPPABLE,
            f"{path}.connectionPool",
            connections=connections,
            pending=pending,
            room=room,
            concurrency=LAB_FORTIO_CONCURRENCY,
        )
