"""Where a probe's requests leave from. The one place that knows the difference between clusters.

- `ingress`: from outside the mesh through the ingress gateway. Local cluster: the gateway pod's
  own address and target port (what the lab's `kubectl port-forward svc/istio-ingressgateway
  8080:80` reaches too). Real cluster: a port-forward (through the API, no kubectl) to the
  ingress gateway's pod, on a free local port.
- `pod`: from inside the mesh, from a client pod (curl, fortio). Local cluster: every name
  resolves to that pod's sidecar address, as iptables capture would make it on a node. Real
  cluster: the requests are made by `curl` (or `fortio load`) exec'ed in that pod, and come back
  as the same `Response` records the probe engine makes, so verdicts cannot tell the difference.
- `port-forward`: straight to a Service's pod, as `kubectl port-forward svc/…` does (no sidecar
  on the way in). Local cluster: the pod's own address and target port. Real cluster: a
  port-forward to that pod's target port.

Callers run a probe with `probe(spec, target)`: the engine for targets it can reach, an exec in
the client pod for `ExecTarget`s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from istiotui.cluster import exec as pod_exec
from istiotui.cluster.errors import ClusterError
from istiotui.cluster.kind import ClusterKind
from istiotui.cluster.portforward import PortForward
from istiotui.traffic import commands
from istiotui.traffic.classify import classifier
from istiotui.traffic.engine import ProbeRun, ProbeSpec, Target, run_probe
from istiotui.traffic.login import form_data, login_url, refusal
from istiotui.traffic.stats import Response, summarise

# (namespace, label selector) → pods, as the cluster layer lists them.
PodLister = Callable[[str, str], list[dict]]
ServiceGetter = Callable[[str, str], dict | None]
INGRESS_NAMESPACE, INGRESS_SERVICE, INGRESS_PORT = "istio-system", "istio-ingressgateway", 80
EXEC_GRACE = 30.0  # on top of the probe's own timeouts, for the exec round trips


class VantageUnavailable(Exception):
    """The probe cannot leave from where the step asks; the message says why."""


@dataclass(frozen=True)
class ExecTarget(Target):
    """In-mesh probes on a real cluster: sent by a command run in the client pod."""

    namespace: str = ""
    pod: str = ""
    container: str | None = None
    tool: Literal["curl", "fortio"] = "curl"
    api_client: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Vantages:
    cluster: ClusterKind
    list_pods: PodLister
    get_service: ServiceGetter
    # Local cluster only (the wiring layer passes istiotui.local.addresses' plan):
    sidecar_of: Callable[[str], str] | None = None  # pod IP → its sidecar's address
    # (address, declared port) → the port its process really listens on (80 → 10080)
    bind_port: Callable[[str, int], int] | None = field(default=None, compare=False)
    ca_file: str | None = None  # the local TLS stand-in's CA, for https from pods
    # Real clusters: the connection's kubernetes ApiClient, for exec and port-forward.
    api_client: Any = field(default=None, compare=False, repr=False)
    _forwards: dict[tuple[str, str, int], PortForward] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Tunnels opened for the learner on a port of their choosing (`kubectl port-forward` kept
    # open by the app), by local port.
    _tunnels: dict[int, PortForward] = field(default_factory=dict, compare=False, repr=False)

    def ingress_target(self) -> Target:
        if self.cluster == ClusterKind.LOCAL:
            try:
                return self._pod_address(INGRESS_NAMESPACE, INGRESS_SERVICE, INGRESS_PORT)
            except VantageUnavailable as exc:
                hint = "(is Istio's ingress gateway installed?)"
                raise VantageUnavailable(f"ingress gateway: {exc} {hint}") from None
        if self.api_client is None:
            raise VantageUnavailable(
                "probing through the ingress gateway of a real cluster needs a port-forward: "
                "run `kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80`"
                " and probe http://127.0.0.1:8080"
            )
        try:
            return Target(self._forward(INGRESS_NAMESPACE, INGRESS_SERVICE, INGRESS_PORT).url)
        except VantageUnavailable as exc:
            hint = "(is Istio's ingress gateway installed?)"
            raise VantageUnavailable(f"ingress gateway: {exc} {hint}") from None

    def pod_target(self, namespace: str, selector: str, container: str | None = None) -> Target:
        pod = self._ready_pod(namespace, selector)
        if not any(c.get("name") == "istio-proxy" for c in pod["spec"].get("containers", [])):
            raise VantageUnavailable(
                f"pod {namespace}/{pod['metadata']['name']} has no sidecar (1/1): its requests "
                "would not go through the mesh. Label the namespace istio-injection=enabled and "
                "restart the deployment."
            )
        if self.cluster == ClusterKind.LOCAL and self.sidecar_of is not None:
            return Target(
                resolve_to=self.sidecar_of(pod["status"]["podIP"]),
                ca_file=self.ca_file,
                bind_port=self.bind_port,
            )
        if self.api_client is None:
            raise VantageUnavailable(
                f"in-mesh probes from {namespace}/{selector} on a real cluster run through "
                "exec, and this session has no API client to exec with"
            )
        apps = [c for c in pod["spec"]["containers"] if c.get("name") != "istio-proxy"]
        chosen = next((c for c in apps if c.get("name") == container), None) if container else None
        if container and chosen is None:
            raise VantageUnavailable(f"pod {pod['metadata']['name']} has no container {container}")
        chosen = chosen or apps[0]
        tool: Literal["curl", "fortio"] = (
            "fortio" if "fortio" in chosen.get("image", "") else "curl"
        )
        return ExecTarget(
            namespace=namespace,
            pod=pod["metadata"]["name"],
            container=chosen["name"],
            tool=tool,
            api_client=self.api_client,
        )

    def port_forward_target(self, namespace: str, service: str, port: int) -> Target:
        if self.cluster == ClusterKind.LOCAL:
            return self._pod_address(namespace, service, port)
        if self.api_client is None:
            raise VantageUnavailable(
                f"run `kubectl port-forward svc/{service} -n {namespace} {port}:{port}` and probe "
                f"http://127.0.0.1:{port}"
            )
        return Target(self._forward(namespace, service, port).url)

    def _pod_address(self, namespace: str, service: str, port: int) -> Target:
        """Local cluster: straight to a ready pod of the Service, at its target port."""
        svc = self.get_service(namespace, service)
        if svc is None:
            raise VantageUnavailable(f"no Service {namespace}/{service}")
        pod, target_port = self._service_pod(namespace, svc, port)
        address = pod["status"]["podIP"]
        if self.bind_port is not None:
            target_port = self.bind_port(address, target_port)
        return Target(f"http://{address}:{target_port}")

    def open_tunnel(self, namespace: str, service: str, port: int, local_port: int) -> str:
        """`kubectl port-forward svc/SERVICE -n NAMESPACE LOCAL:PORT`, served through the API as
        kubectl does it, on both kinds of cluster; its local URL. Closed by `close_tunnel` or
        `close`."""
        if self.api_client is None:
            raise VantageUnavailable("this session has no API client to port-forward with")
        if local_port in self._tunnels:
            return self._tunnels[local_port].url
        resolve, target_port = self._service_forward(namespace, service, port)
        try:
            forward = PortForward(self.api_client, resolve, target_port, local_port=local_port)
        except OSError as exc:
            raise VantageUnavailable(
                f"cannot listen on 127.0.0.1:{local_port}: {exc.strerror or exc} (is another "
                "port-forward holding it? stop it, or forward another local port)"
            ) from None
        self._tunnels[local_port] = forward.start()
        return forward.url

    def close_tunnel(self, local_port: int) -> bool:
        forward = self._tunnels.pop(local_port, None)
        if forward is not None:
            forward.close()
        return forward is not None

    def close(self) -> None:
        """Stop the port-forwards and tunnels this session opened."""
        while self._forwards:
            self._forwards.popitem()[1].close()
        while self._tunnels:
            self._tunnels.popitem()[1].close()

    def _forward(self, namespace: str, service: str, port: int) -> PortForward:
        key = (namespace, service, port)
        if key in self._forwards:
            return self._forwards[key]
        resolve, target_port = self._service_forward(namespace, service, port)
        forward = PortForward(self.api_client, resolve, target_port).start()
        self._forwards[key] = forward
        return forward

    def _service_forward(
        self, namespace: str, service: str, port: int
    ) -> tuple[Callable[[], tuple[str, str]], int]:
        """What `kubectl port-forward svc/…` does first: the Service's target port, and a resolver
        of the pod to carry each connection to."""
        svc = self.get_service(namespace, service)
        if svc is None:
            raise VantageUnavailable(f"no Service {namespace}/{service} to port-forward to")
        _, target_port = self._service_pod(namespace, svc, port)

        def resolve() -> tuple[str, str]:
            # Asked again for every connection: a replaced pod is followed.
            return namespace, self._service_pod(namespace, svc, port)[0]["metadata"]["name"]

        return resolve, target_port

    def _service_pod(self, namespace: str, svc: dict, port: int) -> tuple[dict, int]:
        """A ready pod behind the Service and the pod port its `port` maps to."""
        selector = ",".join(f"{k}={v}" for k, v in (svc["spec"].get("selector") or {}).items())
        pod = self._ready_pod(namespace, selector)
        entry = next((p for p in svc["spec"].get("ports") or [] if p.get("port") == port), None)
        if entry is None:
            name = svc["metadata"]["name"]
            raise VantageUnavailable(f"Service {namespace}/{name} has no port {port}")
        target = entry.get("targetPort", port)
        if isinstance(target, int):
            return pod, target
        for c in pod["spec"].get("containers", []):
            for p in c.get("ports") or []:
                if p.get("name") == target:
                    return pod, int(p["containerPort"])
        raise VantageUnavailable(
            f"pod {pod['metadata']['name']} declares no container port named {target!r}"
        )

    def _ready_pod(self, namespace: str, selector: str) -> dict:
        pods = [
            p
            for p in self.list_pods(namespace, selector)
            if (p.get("status") or {}).get("phase") == "Running"
            and (p.get("status") or {}).get("podIP")
        ]
        if not pods:
            raise VantageUnavailable(f"no running pod matches {selector} in {namespace}")
        return sorted(pods, key=lambda p: p["metadata"]["name"])[0]


async def probe(
    spec: ProbeSpec, target: Target, on_response: Callable[[Response], None] | None = None
) -> ProbeRun:
    """Run a probe from wherever `target` says: the engine, or an exec in a client pod."""
    if isinstance(target, ExecTarget):
        return await _ExecProbe(spec, target, on_response).run()
    return await run_probe(spec, target, on_response)


class _ExecProbe:
    """One probe sent by curl or fortio exec'ed in a client pod; its records become the same
    `Response`s the engine makes, in the order they land."""

    def __init__(
        self, spec: ProbeSpec, target: ExecTarget, on_response: Callable[[Response], None] | None
    ) -> None:
        self.spec, self.target, self.on_response = spec, target, on_response
        self.classify = classifier(spec.classify)
        self.url = target.url(spec.url)
        self.headers = dict(spec.headers)
        if spec.host:
            self.headers["Host"] = spec.host
        self.responses: list[Response] = []
        self.started = time.perf_counter()

    async def run(self) -> ProbeRun:
        if self.target.tool == "fortio":
            await self._fortio()
        else:
            if self.spec.user:
                self.headers["Cookie"] = await asyncio.to_thread(self._login, self.spec.user)
            await self._curl()
        elapsed = time.perf_counter() - self.started
        return ProbeRun(self.responses, summarise(self.responses, elapsed))

    def _take(self, record: commands.Record) -> None:
        body, got = record.body, record.headers
        klass = self.classify(record.status, got, body, record.latency)
        resp = Response(record.status, record.latency, klass, record.error, got, body)
        self.responses.append(resp)
        if self.on_response is not None:
            self.on_response(resp)

    def _exec(
        self, argv: list[str], timeout: float, on_stdout: Callable[[str], None] | None = None
    ) -> pod_exec.ExecResult:
        t = self.target
        try:
            result = pod_exec.run(
                t.api_client,
                t.namespace,
                t.pod,
                argv,
                t.container,
                timeout=timeout,
                on_stdout=on_stdout,
            )
        except ClusterError as exc:
            raise VantageUnavailable(str(exc)) from None
        if result.code in (126, 127):
            raise VantageUnavailable(
                f"pod {t.namespace}/{t.pod} cannot run {argv[0]}: {result.stderr.strip()}"
            )
        return result

    async def _fortio(self) -> None:
        spec = self.spec
        if spec.user:
            raise VantageUnavailable("fortio cannot log in: use a curl pod for a logged-in probe")
        argv = commands.fortio_argv(
            self.url,
            count=spec.count,
            concurrency=spec.concurrency,
            qps=spec.qps,
            timeout=spec.timeout,
            headers=self.headers,
            keepalive=spec.keepalive,
        )
        budget = spec.timeout * spec.count / spec.concurrency + EXEC_GRACE
        result = await asyncio.to_thread(self._exec, argv, budget)
        for record in commands.parse_fortio(result.stdout):
            self._take(record)

    async def _curl(self) -> None:
        spec = self.spec
        if spec.qps > 0:
            # One request per exec, started on the probe's schedule.
            sem = asyncio.Semaphore(spec.concurrency)

            async def paced(i: int) -> None:
                delay = self.started + i / spec.qps - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                async with sem:
                    await self._batch(1)

            await asyncio.gather(*(paced(i) for i in range(spec.count)))
        else:
            shares = [spec.count // spec.concurrency] * spec.concurrency
            for i in range(spec.count % spec.concurrency):
                shares[i] += 1
            await asyncio.gather(*(self._batch(n) for n in shares if n))

    async def _batch(self, n: int) -> None:
        """n requests in one curl; each lands as its record is printed."""
        loop = asyncio.get_running_loop()
        pending = ""
        mine: list[int] = []  # this exec's places in `responses`

        def land(record: commands.Record) -> None:
            mine.append(len(self.responses))
            self._take(record)

        def feed(chunk: str) -> None:  # in the exec's thread
            nonlocal pending
            records, pending = commands.parse_curl(pending + chunk)
            for record in records:
                loop.call_soon_threadsafe(land, record)

        spec = self.spec
        argv = commands.curl_argv(
            [self.url] * n,
            method=spec.method,
            headers=self.headers,
            timeout=spec.timeout,
            keepalive=spec.keepalive,
        )
        result = await asyncio.to_thread(self._exec, argv, spec.timeout * n + EXEC_GRACE, feed)
        await asyncio.sleep(0)  # let the records queued by `feed` land
        # curl's reasons arrive on stderr, in order: give each failed request its own.
        reasons = iter(ln for ln in result.stderr.splitlines() if ln.startswith("curl:"))
        for i in mine:
            old = self.responses[i]
            if old.status is None:
                self.responses[i] = Response(None, old.latency, old.klass, next(reasons, old.error))

    def _login(self, user: str) -> str:
        """Log in through productpage's form from the pod; the session cookie to send after."""
        spec = self.spec
        url = login_url(self.target.base_url, self.url)
        argv = commands.curl_argv([url], method="POST", headers=self.headers, timeout=spec.timeout)
        argv[1:1] = ["-d", form_data(user)]
        result = self._exec(argv, spec.timeout + EXEC_GRACE)
        records, _ = commands.parse_curl(result.stdout)
        cookie = next(
            (
                value.split(";", 1)[0]
                for r in records
                for name, value in r.headers.items()
                if name.lower() == "set-cookie"
            ),
            None,
        )
        status = records[0].status if records else None
        refused = refusal(user, f"{url} from pod {self.target.pod}", status, cookie is not None)
        if refused is not None:
            raise refused
        assert cookie is not None
        return cookie
