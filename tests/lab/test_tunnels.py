"""Which port-forward a step asks for, read from its commands."""

from __future__ import annotations

import pytest

from istiotui.lab import tunnels
from istiotui.lab.loader import load_lab


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80",
            tunnels.Tunnel("istio-system", "istio-ingressgateway", 8080, 80),
        ),
        (
            "kubectl port-forward svc/productpage -n bookinfo 9080:9080",
            tunnels.Tunnel("bookinfo", "productpage", 9080, 9080),
        ),
        (
            "kubectl -n x port-forward service/kiali 20001",
            None,  # kubectl's flags before the verb are not the lab's form
        ),
        (
            "kubectl port-forward --namespace=istio-system service/kiali 20001",
            tunnels.Tunnel("istio-system", "kiali", 20001, 20001),
        ),
        ("kubectl port-forward pod/x 8080:80", None),
        ("kubectl get pods", None),
        ("kubectl port-forward svc/'unclosed 1:2", None),
    ],
)
def test_parse(command: str, expected: tunnels.Tunnel | None) -> None:
    assert tunnels.parse(command) == expected


def test_steps_get_their_own_port_forward_else_the_ingress() -> None:
    lab = load_lab()
    own = [s for s in lab.steps() if any(tunnels.parse(c) for c in s.commands)]
    assert own, "the lab has port-forward commands"
    assert tunnels.for_step(own[0]) == tunnels.parse(
        next(c for c in own[0].commands if tunnels.parse(c))
    )
    plain = lab.step("routing-all-v1")
    assert tunnels.for_step(plain) == tunnels.INGRESS
    assert tunnels.INGRESS.command == (
        "kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80"
    )
