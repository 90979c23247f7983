"""Reaching a cluster: kubeconfig or in-cluster config, checked with a short timeout.

Every connection gets its own `Configuration` and `ApiClient`: nothing global is touched, so the
app can hold the local cluster and a real one side by side, and tests never see the user's
kubeconfig unless they pass it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

DEFAULT_TIMEOUT = 3.0


class ClusterUnreachable(Exception):
    """No cluster answered; the message names the server (or kubeconfig) and the reason."""


@dataclass
class Connection:
    api_client: client.ApiClient
    context: str  # the kubeconfig context, or "in-cluster"
    server: str
    version: str  # the server's gitVersion

    def close(self) -> None:
        self.api_client.close()


def _from_kubeconfig(
    kubeconfig: str | None, context: str | None
) -> tuple[client.Configuration, str]:
    path = kubeconfig or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    configuration = client.Configuration()
    try:
        # The client merges every file of a KUBECONFIG list itself.
        contexts, active = config.list_kube_config_contexts(config_file=path)
        chosen = context or active["name"]
        if not any(c["name"] == chosen for c in contexts):
            names = ", ".join(c["name"] for c in contexts) or "none"
            raise ClusterUnreachable(f"no context {chosen!r} in {path} (contexts: {names})")
        config.load_kube_config(
            config_file=path,
            context=chosen,
            client_configuration=configuration,
            persist_config=False,
        )
    except (ConfigException, OSError, yaml.YAMLError, TypeError, AttributeError, KeyError) as exc:
        # A kubeconfig that is not YAML, or not shaped like one, is the user's file to fix.
        raise ClusterUnreachable(f"cannot use kubeconfig {path}: {exc}") from None
    return configuration, chosen


def connect(
    kubeconfig: str | None = None, context: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Connection:
    """Load a configuration and check the server answers `/version` within `timeout` seconds."""
    if (
        kubeconfig is None
        and context is None
        and os.environ.get("KUBERNETES_SERVICE_HOST")
        and not (os.environ.get("KUBECONFIG") or (Path.home() / ".kube" / "config").exists())
    ):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)
        chosen = "in-cluster"
    else:
        configuration, chosen = _from_kubeconfig(kubeconfig, context)
    configuration.retries = False  # fail fast: the caller decides what to do next
    api_client = client.ApiClient(configuration)
    try:
        info = client.VersionApi(api_client).get_code(_request_timeout=timeout)
    except (urllib3.exceptions.HTTPError, OSError, client.ApiException) as exc:
        api_client.close()
        reason = getattr(exc, "reason", None) or exc
        raise ClusterUnreachable(
            f"cluster {configuration.host} (context {chosen}) did not answer: {reason}"
        ) from None
    return Connection(api_client, chosen, configuration.host, info.git_version)
