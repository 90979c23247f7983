"""Contexts: a kubeconfig with two contexts switches between them; a server that is closed or
silent fails within the connect timeout with a message that names it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from istiotui.cluster.connection import ClusterUnreachable, connect
from istiotui.local.kubeconfig import read_token
from istiotui.local.workloads.local_ca import ca_bundle_path
from real.helpers import Server


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers a byte."""
    sock = socket.create_server(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def _kubeconfig(
    path: Path, servers: dict[str, str], current: str, token: str = "", ca: str = ""
) -> str:
    trust = {"certificate-authority": ca} if ca else {}
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": n, "cluster": {"server": url, **trust}} for n, url in servers.items()
        ],
        "users": [{"name": "me", "user": {"token": token} if token else {}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "me"}} for n in servers],
        "current-context": current,
    }
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_two_contexts_switch(server: Server, closed_port: int, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port}"
    token = read_token(server.kubeconfig)
    servers = {"lab": server.url, "old": dead}
    ca = str(ca_bundle_path(server.state.root))
    kubeconfig = _kubeconfig(tmp_path / "config", servers, "old", token, ca)
    live = connect(kubeconfig, "lab")
    try:
        assert (live.context, live.server) == ("lab", server.url)
        assert live.version.startswith("v1.32")
    finally:
        live.close()
    with pytest.raises(ClusterUnreachable) as current:
        connect(kubeconfig)  # the current context, "old"
    assert f"cluster {dead} (context old) did not answer" in str(current.value)
    with pytest.raises(ClusterUnreachable, match=r"no context 'nope' in .*\(contexts: lab, old\)"):
        connect(kubeconfig, "nope")


def test_a_silent_server_fails_within_the_default_timeout(
    silent_server: str, tmp_path: Path
) -> None:
    kubeconfig = _kubeconfig(tmp_path / "config", {"vm": silent_server}, "vm")
    # Without the connect timeout this would wait for the TCP stack (minutes) and the test's
    # own timeout would fail it.
    with pytest.raises(ClusterUnreachable) as err:
        connect(kubeconfig)
    assert f"cluster {silent_server} (context vm) did not answer" in str(err.value)
    assert "timed out" in str(err.value).lower()


def test_a_missing_kubeconfig_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ClusterUnreachable, match=f"cannot use kubeconfig {missing}"):
        connect(str(missing))


@pytest.mark.parametrize(
    ("text", "says"), [("a: [\n", "line 2, column 1"), ("- a\n", "list indices")]
)
def test_a_kubeconfig_that_is_not_one_names_the_file_and_why(
    tmp_path: Path, text: str, says: str
) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text(text)
    with pytest.raises(ClusterUnreachable, match=f"cannot use kubeconfig {broken}") as info:
        connect(str(broken))
    assert says in str(info.value)


def test_contexts_of_every_file_in_a_kubeconfig_list(server: Server, tmp_path: Path) -> None:
    empty = tmp_path / "first"
    empty.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    both = f"{empty}{os.pathsep}{server.kubeconfig}"
    conn = connect(both, "istiotui-local")
    try:
        assert conn.context == "istiotui-local"
    finally:
        conn.close()
