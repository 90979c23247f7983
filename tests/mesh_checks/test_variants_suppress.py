"""The pure parts behind the CLI: variant planning, suppress rules, exportTo scopes."""

from __future__ import annotations

import pytest

from istiotui.mesh.analysis.scope import export_scope, overlap
from istiotui.mesh.analysis.suppress import Rule, parse_rule
from istiotui.mesh.analysis.variants import Item, plan

from .builders import dr, route, service, vs


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("IT0101", Rule("IT0101")),
        (
            "IT0101=VirtualService bookinfo/reviews",
            Rule("IT0101", "VirtualService", "bookinfo", "reviews"),
        ),
        ("IST0107=Pod *.baz", Rule("IST0107", "Pod", "baz", "*")),
        ("IST0102=Namespace frod", Rule("IST0102", "Namespace", "*", "frod")),
        (
            "IT0109=DestinationRule a.b.bookinfo",
            Rule("IT0109", "DestinationRule", "bookinfo", "a.b"),
        ),
    ],
)
def test_suppress_rules_read_both_spellings(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule


def items(file: str, *objs: dict) -> list[Item]:
    return [Item(o, file, 1 + 10 * i) for i, o in enumerate(objs)]


SVC = service("httpbin")
DR_PLAIN = dr("httpbin", "httpbin")
DR_SUBSETS = dr("httpbin", "httpbin", {"v1": {"version": "v1"}, "v2": {"version": "v2"}})
ALL_V1 = vs("httpbin", ["httpbin"], [{"route": [route("httpbin", "v1")]}])
MIRROR = vs(
    "httpbin",
    ["httpbin"],
    [{"route": [route("httpbin", "v1")], "mirror": route("httpbin", "v2")["destination"]}],
)


def test_files_without_variants_are_one_run() -> None:
    chosen = plan([*items("svc.yaml", SVC), *items("dr.yaml", DR_SUBSETS)])
    assert chosen.alternatives == () and len(chosen.runs()) == 1
    assert chosen.runs()[0][0] is None


def test_each_variant_is_the_state_right_after_it_in_the_order_given() -> None:
    given = [
        *items("08-breaker.yaml", DR_PLAIN),
        *items("09-all-v1.yaml", ALL_V1, DR_SUBSETS),
        *items("09-mirror.yaml", MIRROR),
        *items("09-service.yaml", SVC),  # sorted after the files that need it
    ]
    chosen = plan(given)
    assert chosen.alternatives == ("08-breaker.yaml", "09-all-v1.yaml", "09-mirror.yaml")
    assert chosen.varied == ("DestinationRule default/httpbin", "VirtualService default/httpbin")
    runs = {file: {i.ref: i for i in state} for file, state in chosen.runs()}
    # Before its file, no route exists; what routes lean on stands as its first version.
    assert "VirtualService default/httpbin" not in runs["08-breaker.yaml"]
    assert runs["08-breaker.yaml"]["DestinationRule default/httpbin"].obj is DR_PLAIN
    # The mirror keeps the DestinationRule with subsets that the routing step brought.
    assert runs["09-mirror.yaml"]["DestinationRule default/httpbin"].obj is DR_SUBSETS
    assert runs["09-mirror.yaml"]["VirtualService default/httpbin"].obj is MIRROR
    assert "Service default/httpbin" in runs["08-breaker.yaml"]


def test_a_file_defining_an_object_twice_keeps_the_later_and_says_so() -> None:
    chosen = plan(items("one.yaml", DR_PLAIN, DR_SUBSETS))
    assert [(a.line, b.line) for a, b in chosen.redefined] == [(1, 11)]
    assert [i.obj for i in chosen.base] == [DR_SUBSETS]


def test_export_scopes() -> None:
    assert export_scope(service("a")) is None
    mine = dict(DR_PLAIN, spec={**DR_PLAIN["spec"], "exportTo": [".", "other"]})
    assert export_scope(mine) == frozenset({"default", "other"})
    hidden = dict(DR_PLAIN, spec={**DR_PLAIN["spec"], "exportTo": ["~"]})
    assert export_scope(hidden) == frozenset()
    assert overlap(None, None) and overlap(None, frozenset({"x"}))
    assert not overlap(None, frozenset()) and not overlap(frozenset({"a"}), frozenset({"b"}))


def test_the_docs_table_lists_every_check_as_the_code_has_it() -> None:
    import re
    from pathlib import Path

    from istiotui.mesh.analysis import CATALOGUE

    doc = (Path(__file__).resolve().parents[2] / "docs/mesh-checks.md").read_text()
    rows = {
        m[0]: m[1:] for m in re.findall(r"^\| (IT\d{4}) \| (\w+) \| (\w+) \| ([^|]+) \|", doc, re.M)
    }
    for c in CATALOGUE:
        ist = f"{c.istioctl.code} {c.istioctl.name}" if c.istioctl else "—"
        assert rows[c.code] == (c.name, c.severity.label, ist), c.code
    assert len(rows) == len(CATALOGUE)
