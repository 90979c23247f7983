"""The local cluster's controllers: Deployments → pods, pods → running containers (through a
`PodRuntime`), Services → Endpoints, with Events for what happened.

Pod names are deterministic, `<deployment>-<template hash>-<suffix>` as on a real cluster, with
both parts derived from namespace, name and the pod template (so two runs give the same names).
Pods are owned by their Deployment directly (this cluster serves no ReplicaSets); the
`pod-template-hash` label is set as a ReplicaSet would. A changed template replaces the pods.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from pathlib import Path

from istiotui.local import events
from istiotui.local.addresses import pod_ip
from istiotui.local.defaulting import KUBERNETES_SERVICE_IP, NODE_NAME, on_create
from istiotui.local.podstatus import pod_status_for
from istiotui.local.runtime import NullRuntime, PodRuntime
from istiotui.local.selectors import match_expressions
from istiotui.local.store import Change, Store
from istiotui.mesh.kinds import by_kind
from istiotui.mesh.labels import selects

log = logging.getLogger(__name__)

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_POLL = 0.5
DEPLOY, POD, SVC = by_kind("apps", "Deployment"), by_kind("", "Pod"), by_kind("", "Service")
EPS, NS, SA = by_kind("", "Endpoints"), by_kind("", "Namespace"), by_kind("", "ServiceAccount")
assert DEPLOY and POD and SVC and EPS and NS and SA


def _encode(data: str, length: int) -> str:
    n = int.from_bytes(hashlib.sha256(data.encode()).digest()[:16], "big")
    out = ""
    for _ in range(length):
        n, r = divmod(n, len(_ALPHABET))
        out += _ALPHABET[r]
    return out


def template_hash(namespace: str, name: str, template: dict) -> str:
    return _encode(f"{namespace}/{name}/" + json.dumps(template, sort_keys=True), 10)


def pod_suffix(namespace: str, name: str, thash: str, n: int) -> str:
    return _encode(f"{namespace}/{name}/{thash}/{n}", 5)


def _owner(deploy: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deploy["metadata"]["name"],
        "uid": deploy["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


class Controller:
    def __init__(self, store: Store, logs_dir: Path, runtime: PodRuntime | None = None) -> None:
        self.store = store
        self.logs_dir = logs_dir
        self.runtime: PodRuntime = runtime or NullRuntime()
        self._queue: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        self._pending: set[tuple[str, str, str]] = set()
        self._started: dict[tuple[str, str], dict] = {}
        # Pods whose containers are starting: each start runs beside the work queue, so pods
        # start together instead of one after the other.
        self._starting: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._starting_pods: dict[tuple[str, str], dict] = {}  # as scheduled (with its podIP)
        # Pods gone from the store whose containers are still stopping (up to their grace
        # period each), beside the work queue as the kubelet does it: stopping inline held every
        # other change (the next Service's endpoints, the next pod) until the old pod had exited.
        # Their IPs stay taken until then, as their processes still listen on them.
        self._stopping: dict[tuple[str, str], tuple[asyncio.Task[None], str]] = {}
        self._warned: set[tuple[str, str]] = set()
        self._tasks: list[asyncio.Task] = []
        self._idle = asyncio.Event()
        store.listen(self._on_change)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._ensure_kubernetes_service()
        for kind, tag in ((NS, "ns"), (DEPLOY, "deploy"), (POD, "pod"), (SVC, "svc")):
            for obj in self.store.items(kind):
                self._enqueue(tag, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self._tasks = [asyncio.create_task(self._work()), asyncio.create_task(self._poll())]

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._starting.values()]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        # Stops under way finish (each has its grace period); cancelled half-way they would
        # leave processes the runtime no longer knows about.
        if self._stopping:
            await asyncio.wait([task for task, _ in self._stopping.values()])
        await self.runtime.close()
        self._started.clear()

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the work queue is empty (tests and `apply` callers use it)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # --- queueing --------------------------------------------------------------------------

    def _enqueue(self, tag: str, namespace: str, name: str) -> None:
        key = (tag, namespace, name)
        if key not in self._pending:
            self._pending.add(key)
            self._idle.clear()
            self._queue.put_nowait(key)

    def _on_change(self, change: Change) -> None:
        meta = change.new["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        kind = change.kind.kind
        if kind == "Deployment":
            self._enqueue("deploy", ns, name)
        elif kind == "Pod":
            self._enqueue("pod", ns, name)
            for ref in meta.get("ownerReferences") or []:
                if ref.get("kind") == "Deployment":
                    self._enqueue("deploy", ns, ref["name"])
            # Only the Services that select it (by its labels now or before): enqueueing every
            # Service of the namespace made each pod change cost a scan of every pod per Service.
            labels = [meta.get("labels") or {}]
            if change.old is not None:
                labels.append((change.old.get("metadata") or {}).get("labels") or {})
            for svc in self.store.items(SVC, ns):
                selector = (svc.get("spec") or {}).get("selector")
                if selector and any(
                    selects(selector, found, empty_selects_all=False) for found in labels
                ):
                    self._enqueue("svc", ns, svc["metadata"]["name"])
        elif kind == "Service":
            self._enqueue("svc", ns, name)
        elif kind in ("Namespace", "ServiceAccount"):
            self._enqueue("ns", "", ns or name)

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            self._pending.discard(key)
            tag, ns, name = key
            try:
                if tag == "deploy":
                    self._sync_deployment(ns, name)
                elif tag == "pod":
                    await self._sync_pod(ns, name)
                elif tag == "ns":
                    self._sync_namespace(name)
                else:
                    self._sync_endpoints(ns, name)
            except Exception:
                log.exception("reconciling %s %s/%s", tag, ns, name)
            self._maybe_idle()

    def _maybe_idle(self) -> None:
        if self._queue.empty() and not self._starting and not self._stopping:
            self._idle.set()

    def proxies_live(self, ips: frozenset[str]) -> None:
        """The data plane made these pod IPs live: their sidecars are ready now, so their pods'
        status is written at once instead of at the next poll."""
        for ns, name in list(self._started):
            pod = self.store.find(POD, ns, name)
            if pod is not None and (pod.get("status") or {}).get("podIP") in ips:
                self._write_status(pod)

    async def _poll(self) -> None:
        """Readiness comes from the runtime (processes answering): poll it."""
        while True:
            await asyncio.sleep(_POLL)
            for ns, name in list(self._started):
                pod = self.store.find(POD, ns, name)
                if pod is not None:
                    self._write_status(pod)

    # --- deployments -----------------------------------------------------------------------

    def _sync_deployment(self, ns: str, name: str) -> None:
        deploy = self.store.find(DEPLOY, ns, name)
        owned = [
            p
            for p in self.store.items(POD, ns)
            if any(
                r.get("kind") == "Deployment" and r.get("name") == name
                for r in p["metadata"].get("ownerReferences") or []
            )
        ]
        if deploy is None:
            for p in owned:
                self.store.delete(POD, ns, p["metadata"]["name"])
            return
        uid = deploy["metadata"]["uid"]
        # Pods of an earlier Deployment of this name (deleted and created again before this
        # ran) have no owner left: the garbage collector's, deleted like the owner's own.
        orphans = [
            p for p in owned if all(r.get("uid") != uid for r in p["metadata"]["ownerReferences"])
        ]
        for p in orphans:
            self.store.delete(POD, ns, p["metadata"]["name"])
        owned = [p for p in owned if p not in orphans]
        template = deploy["spec"].get("template", {})
        thash = template_hash(ns, name, template)
        rs_name = f"{name}-{thash}"
        current = [
            p for p in owned if p["metadata"].get("labels", {}).get("pod-template-hash") == thash
        ]
        stale = [p for p in owned if p not in current]
        want = int(deploy["spec"].get("replicas", 1))
        for p in stale:
            self.store.delete(POD, ns, p["metadata"]["name"])
        if stale:
            old_rs = stale[0]["metadata"]["name"].rsplit("-", 1)[0]
            self._scaled(deploy, f"Scaled down replica set {old_rs} to 0 from {len(stale)}")
        if len(current) < want:
            taken = {p["metadata"]["name"] for p in self.store.items(POD, ns)}
            n = 0
            for _ in range(want - len(current)):
                while (pname := f"{rs_name}-{pod_suffix(ns, name, thash, n)}") in taken:
                    n += 1
                taken.add(pname)
                current.append(self._create_pod(deploy, template, thash, pname))
            self._scaled(deploy, f"Scaled up replica set {rs_name} to {want}")
        elif len(current) > want:
            for p in sorted(current, key=lambda p: p["metadata"]["name"])[want:]:
                self.store.delete(POD, ns, p["metadata"]["name"])
            current = sorted(current, key=lambda p: p["metadata"]["name"])[:want]
            self._scaled(deploy, f"Scaled down replica set {rs_name} to {want}")
        self._deployment_status(deploy, current)

    def _scaled(self, deploy: dict, message: str) -> None:
        events.record(
            self.store, deploy, "Normal", "ScalingReplicaSet", message, "deployment-controller"
        )

    def _create_pod(self, deploy: dict, template: dict, thash: str, pname: str) -> dict:
        ns = deploy["metadata"]["namespace"]
        tmeta = template.get("metadata", {})
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pname,
                "namespace": ns,
                "labels": {**(tmeta.get("labels") or {}), "pod-template-hash": thash},
                "ownerReferences": [_owner(deploy)],
            },
            "spec": json.loads(json.dumps(template.get("spec", {}))),
        }
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = dict(tmeta["annotations"])
        pod = on_create(self.store, POD, pod, ns)
        return self.store.create(POD, ns, pod)

    def _deployment_status(self, deploy: dict, pods: list[dict]) -> None:
        ready = sum(1 for p in pods if _pod_ready(p))
        want = int(deploy["spec"].get("replicas", 1))
        status: dict = {
            "observedGeneration": deploy["metadata"].get("generation", 1),
            "replicas": len(pods),
            "updatedReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
        }
        if len(pods) - ready:
            status["unavailableReplicas"] = len(pods) - ready
        status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
        old = deploy.get("status") or {}
        available = "True" if ready >= want else "False"
        conds = {c["type"]: c for c in old.get("conditions") or []}
        now = self.store.clock()
        if available == "True":
            avail = ("MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            avail = ("MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        progressed = f'ReplicaSet "{deploy["metadata"]["name"]}" has successfully progressed.'
        for ctype, value, reason, msg in (
            ("Available", available, *avail),
            ("Progressing", "True", "NewReplicaSetAvailable", progressed),
        ):
            prev = conds.get(ctype)
            changed = prev is None or prev.get("status") != value
            conds[ctype] = {
                "type": ctype,
                "status": value,
                "reason": reason,
                "message": msg,
                "lastUpdateTime": now if changed else prev.get("lastUpdateTime", now),
                "lastTransitionTime": now if changed else prev.get("lastTransitionTime", now),
            }
        status["conditions"] = [conds["Available"], conds["Progressing"]]
        if status != old:
            self.store.update(DEPLOY, deploy["metadata"]["namespace"], {**deploy, "status": status},
                              subresource="status", check_rv=False)  # fmt: skip

    # --- pods ------------------------------------------------------------------------------

    async def _sync_pod(self, ns: str, name: str) -> None:
        pod = self.store.find(POD, ns, name)
        key = (ns, name)
        if pod is None:
            last = self._started.pop(key, None)
            self._warned.discard(key)
            if last is not None:
                self._stop_later(key, last)
            return
        if key in self._starting:
            return  # the start reconciles the pod again when it ends
        if key in self._started:
            if self._started[key]["metadata"]["uid"] != pod["metadata"]["uid"]:
                self._stop_later(key, self._started.pop(key))
            else:
                self._write_status(pod)
                return
        images = [c.get("image", "") for c in pod["spec"].get("containers", [])]
        missing = [i for i in images if not self.runtime.supports(i)]
        pod = self._schedule(pod)
        if missing:
            if key not in self._warned:
                self._warned.add(key)
                events.record(self.store, pod, "Warning", "Failed",
                              f'image "{missing[0]}" has no local implementation in istiotui; '
                              "the pod stays Pending", "kubelet")  # fmt: skip
            return
        self._idle.clear()
        self._starting[key] = asyncio.create_task(self._start(pod), name=f"start {ns}/{name}")
        self._starting_pods[key] = pod

    def _stop_later(self, key: tuple[str, str], pod: dict) -> None:
        before = self._stopping.get(key)
        ip = (pod.get("status") or {}).get("podIP", "")

        async def stop() -> None:
            if before is not None:  # the same name deleted twice: one stop after the other
                await asyncio.wait([before[0]])
            try:
                await self.runtime.stop(pod)
            except Exception:
                log.exception("stopping pod %s/%s", *key)

        self._idle.clear()
        task = asyncio.create_task(stop(), name=f"stop {key[0]}/{key[1]}")
        self._stopping[key] = (task, ip)

        def done(_: asyncio.Task[None]) -> None:
            if self._stopping.get(key, (None, ""))[0] is task:
                del self._stopping[key]
            self._maybe_idle()

        task.add_done_callback(done)

    async def _start(self, pod: dict) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        key = (ns, name)
        try:
            # A pod of the same name (a Deployment's names are stable) may still be stopping:
            # the runtime knows containers by pod name, so it must be gone first. `wait`, not
            # `await`: cancelling this start must not cancel that stop.
            if (stopping := self._stopping.get(key)) is not None:
                await asyncio.wait([stopping[0]])
            await self.runtime.start(pod, pod["status"]["podIP"], self.logs_dir / ns / name)
        except RuntimeError as exc:
            events.record(self.store, pod, "Warning", "Failed", str(exc), "kubelet")
            self._maybe_idle()
            return
        except Exception:
            log.exception("starting pod %s/%s", ns, name)
            self._maybe_idle()
            return
        finally:
            self._starting.pop(key, None)
            self._starting_pods.pop(key, None)
        self._started[key] = pod
        # What the kubelet reports for each container, init containers first, in its words.
        for c in [*(pod["spec"].get("initContainers") or []), *pod["spec"].get("containers", [])]:
            image = c.get("image", "")
            for reason, message in (
                ("Pulled", f'Container image "{image}" already present on machine'),
                ("Created", f"Created container: {c['name']}"),
                ("Started", f"Started container {c['name']}"),
            ):
                events.record(self.store, pod, "Normal", reason, message, "kubelet")
        # Its status, from the pod as it is now (it may have changed, or gone, meanwhile).
        # Queued before the controller may say it is idle: `settled()` covers the status too.
        self._enqueue("pod", ns, name)
        self._maybe_idle()

    def _schedule(self, pod: dict) -> dict:
        """Bind the pod to the node and give it a stable pod IP (the lowest free one)."""
        status = pod.get("status") or {}
        if status.get("podIP") and pod["spec"].get("nodeName"):
            return pod
        used = {p.get("status", {}).get("podIP") for p in self.store.items(POD)}
        used |= {ip for _, ip in self._stopping.values()}
        # A pod deleted while its start runs is stopped only once the start ends: its address
        # is not free before then either.
        used |= {(p["status"] or {}).get("podIP") for p in self._starting_pods.values()}
        index = 1
        while pod_ip(index) in used:
            index += 1
        now = self.store.clock()
        pod = {**pod, "spec": {**pod["spec"], "nodeName": NODE_NAME}}
        pod = self.store.update(POD, pod["metadata"]["namespace"], pod, check_rv=False)
        status = {
            **status,
            "phase": "Pending",
            "podIP": pod_ip(index),
            "podIPs": [{"ip": pod_ip(index)}],
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "startTime": now,
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now}],
        }
        where = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        message = f"Successfully assigned {where} to {NODE_NAME}"
        events.record(self.store, pod, "Normal", "Scheduled", message, "default-scheduler")
        return self.store.update(POD, pod["metadata"]["namespace"], {**pod, "status": status},
                                 subresource="status", check_rv=False)  # fmt: skip

    def _write_status(self, pod: dict) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if key not in self._started:
            return
        states = getattr(self.runtime, "container_states", None)  # a runtime that restarts
        status = pod_status_for(
            pod,
            self.runtime.readiness(pod),
            self.store.clock(),
            states(pod) if states is not None else None,
        )
        if status != pod.get("status"):
            self.store.update(
                POD, key[0], {**pod, "status": status}, subresource="status", check_rv=False
            )

    # --- namespaces ---------------------------------------------------------------------------

    def _sync_namespace(self, name: str) -> None:
        """Every namespace has a `default` service account, as the token controller makes it."""
        if self.store.find(NS, "", name) is None or self.store.find(SA, name, "default"):
            return
        sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}
        self.store.create(SA, name, sa)

    # --- services --------------------------------------------------------------------------

    def _ensure_kubernetes_service(self) -> None:
        if self.store.find(SVC, "default", "kubernetes") is None:
            svc = {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": KUBERNETES_SERVICE_IP,
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                    "targetPort": 6443}]},
            }  # fmt: skip
            self.store.create(SVC, "default", on_create(self.store, SVC, svc, "default"))

    def _sync_endpoints(self, ns: str, name: str) -> None:
        svc = self.store.find(SVC, ns, name)
        eps = self.store.find(EPS, ns, name)
        if svc is None:
            if eps is not None:
                self.store.delete(EPS, ns, name)
            return
        selector = svc["spec"].get("selector")
        if not selector:
            return
        ready, not_ready = [], []
        pods = [
            p
            for p in self.store.items(POD, ns)
            if selects(selector, p["metadata"].get("labels"), empty_selects_all=False)
        ]
        for p in pods:
            ip = p.get("status", {}).get("podIP")
            if not ip:
                continue
            address = {
                "ip": ip,
                "nodeName": NODE_NAME,
                "targetRef": {"kind": "Pod", "namespace": ns, "name": p["metadata"]["name"],
                              "uid": p["metadata"]["uid"]},
            }  # fmt: skip
            (ready if _pod_ready(p) else not_ready).append(address)
        ports = []
        for sp in svc["spec"].get("ports") or []:
            port = {"port": _target_port(sp, pods), "protocol": sp.get("protocol", "TCP")}
            if sp.get("name"):
                port["name"] = sp["name"]
            ports.append(port)
        subset: dict = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        body = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": dict(svc["metadata"].get("labels") or {}),
            },
        }
        if subset:
            body["subsets"] = [{**subset, "ports": ports}]
        if eps is None:
            self.store.create(EPS, ns, body)
        elif (
            eps.get("subsets") != body.get("subsets")
            or eps["metadata"].get("labels") != body["metadata"]["labels"]
        ):
            eps = {**eps, "subsets": body.get("subsets")} if body.get("subsets") else {
                k: v for k, v in eps.items() if k != "subsets"}  # fmt: skip
            eps["metadata"]["labels"] = body["metadata"]["labels"]
            self.store.update(EPS, ns, eps, check_rv=False)


def _pod_ready(pod: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions") or []
    )


def _target_port(service_port: dict, pods: list[dict]) -> int:
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for p in pods:
        for c in p["spec"].get("containers", []):
            for cp in c.get("ports") or []:
                if cp.get("name") == target:
                    return int(cp["containerPort"])
    return int(service_port.get("port", 0))


__all__ = ["Controller", "match_expressions", "pod_suffix", "template_hash"]
