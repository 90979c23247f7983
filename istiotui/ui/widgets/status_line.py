"""The header line: which cluster this is, always (context, kind, Istio version, namespace)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from istiotui.cluster.kind import ClusterKind
from istiotui.lab.model import Lang
from istiotui.lab.words import word as t

if TYPE_CHECKING:
    from istiotui.lab.tunnels import Tunnel


@dataclass
class ClusterInfo:
    state: str = "offline"  # offline | connecting | connected | failed | lost
    context: str = ""
    cluster: ClusterKind | None = None
    version: str = ""
    istio: str | None = None
    istio_read: bool = False  # istio None: not read yet (…), or read and not installed
    reason: str = ""


class StatusLine(Static):
    DEFAULT_CSS = "StatusLine { dock: top; height: 1; background: $panel; }"

    def show(
        self, info: ClusterInfo, namespace: str, lang: Lang, tunnel: Tunnel | None = None
    ) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" istiotui ", "bold reverse")
        if info.state == "connected":
            text.append(f" ● {info.context}", "bold green")
            if tunnel is not None:  # right after the context: at 80 columns the end is cut
                text.append(f" · ⇄ {tunnel.label}", "bold cyan")
            text.append(f" · {info.cluster} · k8s {info.version}")
            if info.istio:
                text.append(f" · Istio {info.istio}")
            elif info.istio_read:  # a fresh cluster, before the lab installs it
                text.append(f" · {t('no_istio', lang)}", "yellow")
            else:
                text.append(" · Istio …")
        elif info.state == "connecting":
            text.append(f" ◌ {t('connecting', lang)}", "yellow")
        elif info.state == "lost":
            text.append(f" ✗ {info.context} {t('lost', lang)}: {info.reason}", "bold red")
        elif info.state == "failed":
            text.append(
                f" ✗ {t('not_connected', lang)}: {info.reason} ({t('retry', lang)})", "bold red"
            )
        else:
            text.append(f" ○ {t('offline', lang)}", "dim")
        text.append(f" · ns {namespace}")
        self.update(text)
