"""Golden files: the compiled configuration of each fixture, byte for byte, and Envoy accepts it.

Regenerate with `ISTIOTUI_UPDATE_GOLDEN=1 pytest tests/pilot/test_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from istiotui.local.envoy_bootstrap import validate
from istiotui.local.pilot import EnvoyConfig, PilotOptions, compile_mesh

from .mesh_fixtures import SCENARIOS

GOLDEN = Path(__file__).parent / "golden"
OPTIONS = PilotOptions(
    log_dir=Path("/var/log/istiotui"),
    external_hosts={"edition.cnn.com": ("127.30.0.1", 443)},
)


# The proxies each golden file shows (every proxy of a fixture would make files of megabytes;
# the others are built by the same code and still go through Envoy's validation below).
FOCUS = {
    "bookinfo-routing": ("productpage-v1", "reviews-v2", "istio-ingressgateway"),
    "bookinfo-shift": ("productpage-v1",),
    "circuit-breaker": ("fortio",),
    "mirror": ("curl",),
    "ingress": ("istio-ingressgateway",),
    "egress": ("curl", "istio-egressgateway"),
}


def compiled(name: str) -> EnvoyConfig:
    return compile_mesh(SCENARIOS[name](), OPTIONS)


def pretty(name: str, config: EnvoyConfig) -> str:
    def shown(proxy_id: str) -> bool:
        return proxy_id.startswith(FOCUS[name])

    body = {
        "version": config.version,
        "warnings": list(config.warnings),
        "listeners": [x for x in config.listeners if shown(x["name"])],
        "clusters": [x for x in config.clusters if shown(x["name"])],
    }
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_matches_golden_file(name: str) -> None:
    path = GOLDEN / f"{name}.json"
    text = pretty(name, compiled(name))
    if os.environ.get("ISTIOTUI_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with ISTIOTUI_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from {path}"


def test_every_fixture_has_a_focus() -> None:
    assert set(FOCUS) == set(SCENARIOS)


def test_compiling_twice_gives_the_same_version() -> None:
    assert compiled("mirror").version == compiled("mirror").version
    assert compiled("mirror").version != compiled("circuit-breaker").version


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_envoy_accepts_golden_config(name: str) -> None:
    validate(compiled(name))
