"""The controller in-process, with the real workload runtime: an image it has no implementation
for leaves the pod Pending, with a Warning Event saying so (and no process is started)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from istiotui.local import api_tls
from istiotui.local.cluster import LocalCluster
from istiotui.local.controller import Controller
from istiotui.local.defaulting import on_create
from istiotui.local.runtime import NullRuntime
from istiotui.local.state import StateDir
from istiotui.local.store import Store
from istiotui.local.workloads.runtime import WorkloadRuntime
from istiotui.mesh.kinds import by_kind

DEPLOY, POD, EVENT = by_kind("apps", "Deployment"), by_kind("", "Pod"), by_kind("", "Event")


async def test_unknown_image_leaves_the_pod_pending(tmp_path: Path) -> None:
    assert DEPLOY and POD and EVENT
    store = Store()
    runtime = WorkloadRuntime(tmp_path)
    assert not runtime.supports("docker.io/example/no-such-service:1.0")
    controller = Controller(store, tmp_path / "logs", runtime)
    await controller.start()
    try:
        deploy = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "mystery", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "mystery"}},
                "template": {
                    "metadata": {"labels": {"app": "mystery"}},
                    "spec": {
                        "containers": [
                            {"name": "m", "image": "docker.io/example/no-such-service:1.0"}
                        ]
                    },
                },
            },
        }
        store.create(DEPLOY, "default", on_create(store, DEPLOY, deploy, "default"))
        await controller.settled()
        (pod,) = store.items(POD, "default")
        assert pod["metadata"]["name"].startswith("mystery-")
        assert pod["status"]["phase"] == "Pending" and "containerStatuses" not in pod["status"]
        warnings = [e for e in store.items(EVENT, "default") if e["type"] == "Warning"]
        assert [e["message"] for e in warnings] == [
            'image "docker.io/example/no-such-service:1.0" has no local implementation in '
            "istiotui; the pod stays Pending"
        ]
        assert warnings[0]["involvedObject"]["name"] == pod["metadata"]["name"]
        status = store.get(DEPLOY, "default", "mystery")["status"]
        assert status["replicas"] == 1 and "readyReplicas" not in status
        await asyncio.sleep(0)  # nothing else queued
        assert runtime.readiness(pod) == {}
    finally:
        await controller.stop()


async def test_writes_wait_for_the_after_write_hooks(tmp_path: Path) -> None:
    """The data plane's seam: every write that changed the store awaits the hooks first."""
    cluster = LocalCluster(StateDir(tmp_path / "state"), port=0)
    await cluster.start()
    seen: list[str] = []

    async def hook() -> None:
        await asyncio.sleep(0.01)
        seen.append(str(cluster.store.rv))

    cluster.api.ctx.after_write.append(hook)
    url = f"{cluster.url}/api/v1/namespaces/default/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "h"}}
    try:
        owner = {"Authorization": f"Bearer {cluster.api.ctx.owner_token}"}
        trust = aiohttp.TCPConnector(ssl=api_tls.client_context(cluster.state.root))
        async with aiohttp.ClientSession(headers=owner, connector=trust) as http:
            async with http.post(url + "?dryRun=All", json=body) as resp:
                assert resp.status == 201
            assert seen == []  # nothing changed, nothing to wait for
            async with http.post(url, json=body) as resp:
                created = await resp.json()
            assert seen == [created["metadata"]["resourceVersion"]]
            async with http.delete(f"{url}/h") as resp:
                assert resp.status == 200
            assert len(seen) == 2
    finally:
        await cluster.stop()


async def test_a_pod_relabelled_leaves_one_service_for_another(tmp_path: Path) -> None:
    """A pod change reconciles the Services that select it now and those that did before."""
    svc_kind, eps_kind = by_kind("", "Service"), by_kind("", "Endpoints")
    assert svc_kind and eps_kind and POD
    store = Store()
    controller = Controller(store, tmp_path / "logs")  # no runtime: pods are marked running
    await controller.start()
    try:
        for name in ("blue", "green", "other"):
            svc = {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
            }
            store.create(svc_kind, "default", on_create(store, svc_kind, svc, "default"))
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default", "labels": {"app": "blue"}},
            "spec": {"containers": [{"name": "c", "image": "curlimages/curl"}]},
        }
        store.create(POD, "default", on_create(store, POD, pod, "default"))
        await controller.settled()

        def addresses(name: str) -> list[str]:
            eps = store.find(eps_kind, "default", name) or {}
            return [
                a["targetRef"]["name"]
                for subset in eps.get("subsets") or []
                for key in ("addresses", "notReadyAddresses")
                for a in subset.get(key) or []
            ]

        assert addresses("blue") == ["p"] and addresses("green") == []
        moved = store.get(POD, "default", "p")
        moved["metadata"]["labels"] = {"app": "green"}
        store.update(POD, "default", moved, check_rv=False)
        await controller.settled()
        assert addresses("blue") == [] and addresses("green") == ["p"]
        assert addresses("other") == []
    finally:
        await controller.stop()


class _SlowToStop(NullRuntime):
    """Pods stop only when the test opens the gate, as a container inside its grace period."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.starts: list[str] = []

    async def start(self, pod: dict, pod_ip: str, log_dir: Path) -> None:
        self.starts.append(pod["metadata"]["name"])
        await super().start(pod, pod_ip, log_dir)

    async def stop(self, pod: dict) -> None:
        await self.gate.wait()
        await super().stop(pod)


async def test_a_pod_still_stopping_holds_up_nothing_but_its_own_name(tmp_path: Path) -> None:
    """The lab deletes httpbin-v1/v2 and applies httpbin.yaml at once: while the old pods stop,
    the Service already lists only the new pod (on an address of its own), and a pod re-created
    under a stopping pod's name starts only once that one is gone."""
    svc_kind, eps_kind = by_kind("", "Service"), by_kind("", "Endpoints")
    assert svc_kind and eps_kind and POD and DEPLOY
    store = Store()
    runtime = _SlowToStop()
    runtime.gate.set()
    controller = Controller(store, tmp_path / "logs", runtime)
    await controller.start()

    def deploy(name: str, labels: dict[str, str]) -> None:
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "httpbin", "image": "kennethreitz/httpbin"}]},
                },
            },
        }
        store.create(DEPLOY, "default", on_create(store, DEPLOY, body, "default"))

    def pods() -> dict[str, str]:
        return {
            p["metadata"]["name"]: (p.get("status") or {}).get("podIP", "")
            for p in store.items(POD, "default")
        }

    def ready_addresses() -> list[str]:
        eps = store.find(eps_kind, "default", "httpbin") or {}
        return [a["ip"] for s in eps.get("subsets") or [] for a in s.get("addresses") or []]

    async def until(check, what: str) -> None:
        async def poll() -> None:
            while not check():
                await asyncio.sleep(0.01)

        try:
            await asyncio.wait_for(poll(), 5)
        except TimeoutError:
            raise AssertionError(f"never: {what}; pods {pods()}") from None

    try:
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "httpbin", "namespace": "default"},
            "spec": {"selector": {"app": "httpbin"}, "ports": [{"port": 8000}]},
        }
        store.create(svc_kind, "default", on_create(store, svc_kind, svc, "default"))
        deploy("httpbin-v1", {"app": "httpbin", "version": "v1"})
        deploy("httpbin-v2", {"app": "httpbin", "version": "v2"})
        await controller.settled()
        old_ips = set(pods().values())
        assert len(old_ips) == 2 and all(old_ips)

        runtime.gate.clear()  # from here on, no pod finishes stopping
        store.delete(DEPLOY, "default", "httpbin-v1")
        store.delete(DEPLOY, "default", "httpbin-v2")
        deploy("httpbin", {"app": "httpbin"})
        await until(lambda: len(ready_addresses()) == 1, "the Service lists the new pod alone")
        ((new, ip),) = pods().items()
        assert new.startswith("httpbin-") and ip not in old_ips, (new, ip, old_ips)
        assert ready_addresses() == [ip]

        # The same Deployment again: the same pod name, whose start waits for the old stop.
        store.delete(DEPLOY, "default", "httpbin")
        deploy("httpbin", {"app": "httpbin"})
        await until(lambda: list(pods()) == [new], "the pod re-created under its old name")
        await asyncio.sleep(0.2)
        assert runtime.starts.count(new) == 1, "started while its namesake was still stopping"
        runtime.gate.set()
        await controller.settled()
        assert runtime.starts.count(new) == 2
        assert ready_addresses() == [pods()[new]]
    finally:
        runtime.gate.set()
        await controller.stop()


class _SlowToStart(NullRuntime):
    """Starts finish only when the test opens the gate (images being pulled, a slow app)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.addresses: dict[str, str] = {}

    async def start(self, pod: dict, pod_ip: str, log_dir: Path) -> None:
        self.addresses[pod["metadata"]["name"]] = pod_ip
        await self.gate.wait()
        await super().start(pod, pod_ip, log_dir)


async def test_a_pod_deleted_while_it_starts_keeps_its_address_until_it_is_stopped(
    tmp_path: Path,
) -> None:
    """Its start runs on (it is stopped when the start ends): the next pod must not be given the
    same address meanwhile, where its processes are about to listen."""
    assert POD
    store = Store()
    runtime = _SlowToStart()
    controller = Controller(store, tmp_path / "logs", runtime)
    await controller.start()

    def pod(name: str) -> dict:
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "kennethreitz/httpbin"}]},
        }
        return on_create(store, POD, body, "default")

    async def started(name: str) -> None:
        while name not in runtime.addresses:
            await asyncio.sleep(0.01)

    try:
        store.create(POD, "default", pod("a"))
        await asyncio.wait_for(started("a"), 5)
        store.delete(POD, "default", "a")
        store.create(POD, "default", pod("b"))
        await asyncio.wait_for(started("b"), 5)
        assert runtime.addresses["b"] != runtime.addresses["a"], runtime.addresses
        runtime.gate.set()
        await controller.settled()
        assert runtime.readiness(store.get(POD, "default", "b")) == {"c": True}
        assert runtime.readiness({"metadata": {"name": "a", "namespace": "default"}}) == {}
    finally:
        runtime.gate.set()
        await controller.stop()
