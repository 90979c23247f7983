"""The embedded local cluster as one object: store, API server, controller and data plane.

Seams for what runs behind the API: `runtime` (a PodRuntime, see istiotui.local.runtime) and
`api.ctx.after_write`, coroutines awaited after every write that changed the store, before the
API answers (the data plane waits there for Envoy to take the new configuration).

`data_plane=True` (what `istiotui local up` runs) plugs in the real parts: pods run as local
processes (the workloads' runtime), the local pilot compiles the store into the one Envoy, the
lab's IstioOperator files install gateways, and a TLS stand-in plays the lab's external host.
Without it the API stands alone (pods marked running, no processes): what the API's tests use.
"""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import TYPE_CHECKING

from istiotui.local import addresses, api_tls, kubeconfig
from istiotui.local.apiserver import ApiServer
from istiotui.local.controller import Controller
from istiotui.local.envoy_bootstrap import ADMIN_HOST
from istiotui.local.runtime import PodRuntime
from istiotui.local.state import StateDir
from istiotui.local.store import Store
from istiotui.local.workloads import local_ca

if TYPE_CHECKING:
    from istiotui.local.workloads.tls_standin import InProcess


class LocalCluster:
    def __init__(
        self,
        state: StateDir,
        host: str = "127.0.0.1",
        port: int = 6443,
        runtime: PodRuntime | None = None,
        data_plane: bool = False,
    ) -> None:
        self.state = state.ensure()
        self.store = Store(state.store_file)
        with_data_plane = data_plane and runtime is None
        # Made by a short-lived child (when missing): cryptography never lives in this process.
        local_ca.ensure_in_child(state.root, _certificates(host, with_data_plane))
        # TLS: kubectl sends the kubeconfig's token to a TLS server only (see api_tls).
        self.api = ApiServer(
            self.store, state.logs, host, port, tls=api_tls.server_context(state.root, host)
        )
        credentials = kubeconfig.credentials(state.kubeconfig)
        self.api.ctx.owner_token = credentials.token
        # What `up` should tell the user about the state it found (written to server.json).
        self.notes: list[str] = [credentials.note] if credentials.note else []
        self.dataplane = None
        self.installer = None
        self._standin: InProcess | None = None  # the external host's stand-in (tls_standin)
        self.zygote = None  # the workloads' pre-imported parent (see workloads.zygote)
        if with_data_plane:
            runtime = self._plug_data_plane()
        self.controller = Controller(self.store, state.logs, runtime)
        if self.dataplane is not None:
            self.dataplane.on_live.append(self.controller.proxies_live)

    def _plug_data_plane(self) -> PodRuntime:
        # Imported here: the API alone (its tests, kubectl checks) needs none of Envoy's parts.
        from istiotui.local.dataplane import DataPlane
        from istiotui.local.installer import GatewayInstaller
        from istiotui.local.pilot.model import PilotOptions
        from istiotui.local.workloads.runtime import WorkloadRuntime
        from istiotui.local.workloads.zygote_client import Zygote

        options = PilotOptions(log_dir=self.state.logs)
        self.dataplane = DataPlane(
            self.store, self.state.root, options, addresses.envoy_admin_port()
        )
        self.installer = GatewayInstaller(self.store)
        self.api.ctx.after_write.append(self.dataplane.settle)
        self.zygote = Zygote()
        return WorkloadRuntime(
            self.state.root,
            proxy_ready=self.dataplane.proxy_ready,
            on_event=self._kubelet_event,
            zygote=self.zygote,
        )

    def _kubelet_event(self, pod: dict, type_: str, reason: str, message: str) -> None:
        # The runtime restarts crashed containers; what it did is told as the kubelet tells it.
        from istiotui.local import events

        events.record(self.store, pod, type_, reason, message, "kubelet")

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def envoy_admin(self) -> str | None:
        """Envoy's admin URL (its port is chosen at start), or None without a data plane."""
        return self.dataplane.envoy.admin_url if self.dataplane is not None else None

    async def start(self) -> None:
        """Listen first (a port in use fails before anything else starts), then reconcile.
        Whatever fails half-way stops what had started before the error goes on."""
        await self.api.start()
        try:
            await self._start_behind_the_api()
        except BaseException:
            await self.stop()
            raise

    async def _start_behind_the_api(self) -> None:
        kubeconfig.write(
            self.state.kubeconfig,
            self.url,
            self.api.ctx.owner_token,
            api_tls.ca_pem(self.state.root),
        )
        if self.dataplane is not None and self.installer is not None:
            if self.dataplane.envoy.requested_admin_port:  # a setting named it: say if it is busy
                _check_free(
                    ADMIN_HOST,
                    self.dataplane.envoy.requested_admin_port,
                    "ISTIOTUI_ENVOY_ADMIN_PORT",
                )
            from istiotui.local.workloads import launcher, tls_standin

            if self.zygote is not None:
                await self.zygote.start()  # it imports while Envoy starts
            # Known once the API listens (its port may have been 0): one stand-in per cluster,
            # served from this process (see tls_standin).
            bind, port = addresses.standin_ip(self.api.port), tls_standin.PORT
            self.dataplane.options = replace(
                self.dataplane.options, external_hosts={tls_standin.HOSTNAME: (bind, port)}
            )
            self._standin = await tls_standin.start_in_process(self.state.root, bind, port)
            await self.dataplane.start()
            launcher.write_pilot_agent(self.state.root, self.dataplane.envoy.admin_url)
            launcher.write_pilot_discovery(
                self.state.root, self.dataplane.envoy.admin_url, self.dataplane.envoy.dir
            )
            self.installer.start()
        await self.controller.start()

    async def stop(self) -> None:
        await self.api.stop()
        await self.controller.stop()
        if self.dataplane is not None:
            await self.dataplane.stop()
        if self._standin is not None:
            await self._standin.stop()
            self._standin = None
        if self.zygote is not None:
            await self.zygote.stop()
        self.store.flush()


def _certificates(host: str, data_plane: bool) -> list[local_ca.ServerCert]:
    """The API's certificate and, with a data plane, the TLS stand-in's (made before it starts,
    so that the stand-in never loads cryptography either)."""
    certs = [api_tls.certificate(host)]
    if data_plane:
        from istiotui.local.workloads import tls_standin

        host = tls_standin.HOSTNAME
        certs.append(local_ca.ServerCert(host, host, (host,)))
    return certs


def _check_free(host: str, port: int, variable: str) -> None:
    # Bound as Envoy will bind it (SO_REUSEADDR): a port left in TIME_WAIT by the last run is
    # free to it, and refusing it would fail every `down` then `up` for a minute.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise RuntimeError(
                f"{host}:{port} is already in use; set {variable} to a free port"
            ) from None
