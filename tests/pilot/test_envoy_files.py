"""Route tables move out of the listeners into RDS files; listeners stay put on route changes."""

from __future__ import annotations

import json
from pathlib import Path

from istiotui.local.envoy_files import split_routes
from istiotui.local.pilot import PilotOptions, canonical, compile_mesh

from .mesh_fixtures import bookinfo, load


def test_route_changes_touch_route_files_only(tmp_path: Path) -> None:
    options = PilotOptions(log_dir=tmp_path / "logs")
    rules = load("bookinfo-rules.yaml")
    shifted = load("bookinfo-shift.yaml")
    a = compile_mesh(bookinfo() + rules, options)
    b = compile_mesh(
        bookinfo() + [o for o in rules if o["kind"] == "DestinationRule"] + shifted[2:], options
    )
    la, ra = split_routes(a.listeners, tmp_path / "rds")
    lb, rb = split_routes(b.listeners, tmp_path / "rds")
    assert canonical(la) == canonical(lb)
    assert set(ra) == set(rb)
    changed = {k for k in ra if ra[k].version != rb[k].version}
    # reviews and ratings routes differ, for each of the six sidecars' 9080 table.
    assert len(changed) == 6
    key = "productpage-v1-6d8bc58dd8-aaaaa.bookinfo_outbound_0.0.0.0_9080"
    assert ra[key].path == tmp_path / "rds" / key / "routes.json"
    body = json.loads(rb[key].data)
    assert body["version_info"] == rb[key].version
    (table,) = body["resources"]
    assert table["name"] == "9080"
    assert table["@type"].endswith("RouteConfiguration")
    index = next(i for i, x in enumerate(la) if x["name"].endswith("|0.0.0.0_9080"))
    hcm = la[index]["filter_chains"][0]["filters"][0]["typed_config"]
    assert "route_config" not in hcm
    assert hcm["rds"]["route_config_name"] == "9080"
    assert a.listeners[index]["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]
