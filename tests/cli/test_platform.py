"""The local cluster is Linux-only: what each platform is told, and where it is said."""

from __future__ import annotations

import pytest

from istiotui.local.host_support import local_cluster_unsupported


@pytest.mark.parametrize("platform", ["linux", "linux2"])
def test_linux_runs_the_local_cluster(platform: str) -> None:
    assert local_cluster_unsupported(platform) is None


@pytest.mark.parametrize(
    ("platform", "named", "way"),
    [
        ("darwin", "on macOS", "--context NAME"),
        ("win32", "WSL", "wsl --install"),
        ("cygwin", "WSL", "--context NAME"),
        ("freebsd14", "on freebsd14", "vagrant up"),
    ],
)
def test_other_platforms_are_told_plainly_and_offered_real_clusters(
    platform: str, named: str, way: str
) -> None:
    message = local_cluster_unsupported(platform)
    assert message is not None
    assert message.startswith("the embedded local cluster needs Linux")
    assert named in message and way in message
    assert "real cluster" in message
