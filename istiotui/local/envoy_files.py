"""The files Envoy reads its configuration from: CDS, LDS, and one RDS file per route table.

The pilot's listeners carry their route tables inline (self-contained, easy to validate and to
compare). Before they go to Envoy each table is moved out into a file of its own that the
connection manager reads through RDS, as istiod serves routes: a route change then replaces the
table in place, without touching the listener, so kept-alive connections see the new routes on
their very next request instead of draining on the old ones.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from istiotui.local.pilot import canonical

ROUTE_TYPE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
HCM = "envoy.filters.network.http_connection_manager"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: Envoy's directory watch sees one move."""
    tmp = path.with_name(f".{path.name}.tmp")
    # No fsync: Envoy reads through the page cache, and a crash of the machine loses the
    # local cluster anyway; the rename alone makes the switch atomic for the reader.
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def discovery_response(version: str, type_url: str, resources: list[dict[str, Any]]) -> bytes:
    body = {"version_info": version, "resources": [{"@type": type_url, **r} for r in resources]}
    return json.dumps(body).encode()


def texts_response(version: str, type_url: str, texts: list[str] | tuple[str, ...]) -> bytes:
    """`discovery_response` from each resource's JSON text (an object), not serialized again."""
    typed = f'{{"@type":{json.dumps(type_url)}'
    resources = ",".join(typed + ("," + t[1:] if t != "{}" else "}") for t in texts)
    return f'{{"version_info":{json.dumps(version)},"resources":[{resources}]}}'.encode()


def file_source(path: Path) -> dict[str, Any]:
    return {
        "path_config_source": {"path": str(path), "watched_directory": {"path": str(path.parent)}},
        "resource_api_version": "V3",
    }


@dataclass(frozen=True)
class RouteFile:
    """One route table as Envoy reads it, and the statistics that report it."""

    key: str
    path: Path
    version: str
    data: bytes
    stat_scope: str  # `http.<stat_prefix>.rds.<route name>`

    @property
    def version_stat(self) -> str:
        return f"{self.stat_scope}.version_text"

    @property
    def rejected_stat(self) -> str:
        return f"{self.stat_scope}.update_rejected"


def _routed(table: dict[str, Any]) -> bool:
    """Whether a route table is one that VirtualServices shape (a sidecar's outbound port, a
    gateway's server) and so gets a file of its own. Each file is an RDS subscription, and Envoy
    gives each subscription an inotify instance of the user's 128 (fs.inotify.max_user_instances):
    the health, inbound and node tables, which change only with pods and Services, stay inline in
    their listener."""
    name = str(table.get("name", ""))
    return not (name == "health" or name.startswith(("inbound|", "node_")))


def inotify_room(reserve: int = 16) -> int:
    """How many more inotify instances this user may create, less `reserve` (Envoy's own LDS
    and CDS watches, listeners draining with their subscriptions, other tools). Past the
    limit Envoy does not refuse a subscription: it aborts, and a restart on the same files
    aborts again, so the route files are kept within this room."""
    try:
        limit = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    except (OSError, ValueError):
        return 1 << 30  # not Linux's inotify: Envoy watches files another way
    used = 0
    uid = os.getuid()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.stat().st_uid != uid:
                continue
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == "anon_inode:inotify":
                    used += 1
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return max(0, limit - used - reserve)


def split_routes(
    listeners: list[dict[str, Any]],
    rds_dir: Path,
    room: Callable[[str], bool] = lambda _key: True,
) -> tuple[list[dict[str, Any]], dict[str, RouteFile]]:
    """Listeners whose connection managers read RDS files, and those files' contents.

    `room(key)` says whether a table may have its file; one that may not stays inline (a route
    change then replaces its listener, which drains its connections)."""
    out = copy.deepcopy(listeners)
    files: dict[str, RouteFile] = {}
    for lis in out:
        for chain in lis.get("filter_chains") or []:
            for f in chain.get("filters") or []:
                config = f.get("typed_config") or {}
                if f.get("name") != HCM or "route_config" not in config:
                    continue
                if not _routed(config["route_config"]):
                    continue
                # The stat prefix is per proxy and port; the ingress address's listener shares
                # its pod listener's connection manager, so it shares the file too.
                key = _UNSAFE.sub("_", config["stat_prefix"])
                if key not in files and not room(key):
                    continue
                table = config.pop("route_config")
                path = rds_dir / key / "routes.json"
                version = hashlib.sha256(canonical(table).encode()).hexdigest()[:16]
                config["rds"] = {
                    "route_config_name": table["name"],
                    "config_source": file_source(path),
                }
                files[key] = RouteFile(
                    key,
                    path,
                    version,
                    discovery_response(version, ROUTE_TYPE, [table]),
                    f"http.{config['stat_prefix']}.rds.{table['name']}",
                )
    return out, files
