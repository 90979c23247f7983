"""The Explain screen: one request walked through one proxy (`istiotui explain` in the app).

Opened with `x` on a pod of the resource tree (the request leaves from that pod) or elsewhere
(the current step's first probe: its URL, Host, headers and where it leaves from). The URL and
headers can be edited; Enter explains again, Ctrl+S also sends the request once, Ctrl+O opens
the Proxies screen on the proxy it leaves from. The I/O runs in a thread (lab/explain.py);
nothing here talks to the cluster directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from istiotui.lab import model as m
from istiotui.lab.words import word
from istiotui.ui.keymap import EXPLAIN, bindings, speak
from istiotui.ui.widgets.keybar import key_hint

if TYPE_CHECKING:
    from istiotui.lab.session import Session
    from istiotui.ui.app import IstioTui

INGRESS_URL = "http://localhost:8080"  # the lab's port-forward to the ingress gateway


@dataclass
class ExplainTarget:
    """What to explain: a URL, headers (Host among them) and the proxy it leaves from."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    from_ref: str | None = None  # NAMESPACE/POD; None: the ingress gateway (a localhost URL)
    namespace: str = "default"


def from_probe(probe: m.Probe, session: Session) -> ExplainTarget:
    """The explanation a step's probe asks for: its first hop, from where it leaves."""
    headers = dict(probe.headers)
    if probe.host:
        headers["host"] = probe.host
    if probe.pod is not None:
        pods = session.objects.list("v1", "Pod", probe.pod.namespace, probe.pod.selector)
        ref = f"{probe.pod.namespace}/{pods[0]['metadata']['name']}" if pods else None
        return ExplainTarget(probe.url, headers, ref, probe.pod.namespace)
    url = probe.url if "://" in probe.url else INGRESS_URL + probe.url
    return ExplainTarget(url, headers)


def parse_header_line(text: str) -> dict[str, str]:
    """`Name: value; Other: value` (what the headers field holds)."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            out[name.strip().lower()] = value.strip()
    return out


class ExplainScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = bindings("en", EXPLAIN)  # `speak` puts them in the language
    KEYMAP_SCREEN = EXPLAIN  # the palette lists its keys over it
    # The head line and the output wrap at the dialog's edge (80 columns hold a long pod name
    # or manifest path only on two lines); long words fold rather than being cut.
    DEFAULT_CSS = """
    ExplainScreen #explain-head { width: 1fr; }
    ExplainScreen #explain-out { width: 1fr; text-wrap: wrap; text-overflow: fold; }
    """

    def __init__(
        self, session: Session, lab: m.Lab, target: ExplainTarget, lang: m.Lang = "en"
    ) -> None:
        super().__init__()
        speak(self, lang)
        self.session, self.lab, self.target, self.lang = session, lab, target, lang

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label(self._head(), id="explain-head")
            yield Input(self.target.url, id="explain-url")
            headers = "; ".join(f"{k}: {v}" for k, v in self.target.headers.items())
            yield Input(headers, placeholder="Name: value; Name: value", id="explain-headers")
            with VerticalScroll():
                yield Static("…", id="explain-out", markup=False)

    def _head(self) -> str:
        es = self.lang == "es"
        source = self.target.from_ref or ("el ingress gateway" if es else "the ingress gateway")
        head = "Explicar, desde" if es else "Explain, from"
        return f"{head} {source}   [dim]{key_hint(self.lang, EXPLAIN)}[/]"

    def set_language(self, lang: m.Lang) -> None:
        """`L` (outside the fields) or the palette while it is shown: its keys follow."""
        self.lang = lang
        speak(self, lang)
        if not self.is_mounted:  # composed later, in `lang`
            return
        self.query_one("#explain-head", Label).update(self._head())
        self.refresh_bindings()

    def on_mount(self) -> None:
        self.query_one("#explain-url", Input).focus()
        self.run_explain(send_too=False)

    def on_input_submitted(self, _: Input.Submitted) -> None:
        self.run_explain(send_too=False)

    def action_explain(self) -> None:
        """Enter outside the fields (in them it is theirs, and does the same)."""
        self.run_explain(send_too=False)

    def action_send(self) -> None:
        self.run_explain(send_too=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain-proxy")
    def action_proxy_config(self) -> None:
        """The Proxies screen on the proxy the request leaves from."""
        ref, why = proxy_ref(self.session, self.target)
        if ref is None:
            self.app.call_from_thread(self.show_out, why)
        else:
            self.app.call_from_thread(self._open_proxies, ref)

    def _open_proxies(self, ref: str) -> None:
        from istiotui.ui.screens.proxies import ProxyScreen

        if self.is_attached:  # not over whatever is shown once Esc closed this one
            lang = getattr(self.app, "lang", "en")
            self.app.push_screen(ProxyScreen(self.session, lang, ref))

    def run_explain(self, send_too: bool) -> None:
        # The fields are read here, on the event loop: widgets are not for the worker's thread.
        url = self.query_one("#explain-url", Input).value.strip()
        headers = parse_header_line(self.query_one("#explain-headers", Input).value)
        self._explain(url, headers, send_too)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _explain(self, url: str, headers: dict[str, str], send_too: bool) -> None:
        text = explained_text(self.session, self.lab, self.target, url, headers, send_too)
        self.app.call_from_thread(self.show_out, text)

    def show_out(self, text: str) -> None:
        if self.is_attached:  # else closed while its explanation was under way
            self.query_one("#explain-out", Static).update(text)


def explained_text(
    session: Session,
    lab: m.Lab,
    target: ExplainTarget,
    url: str,
    headers: dict[str, str],
    send_too: bool,
) -> str:
    """The explanation (and what one request sent got) as the command prints it."""
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.explain import ExplainError, explain_request, next_hops, send, sent_text
    from istiotui.mesh.explain.render import as_text, hops_text

    try:
        proxy, e = explain_request(session, url, headers, from_ref=target.from_ref,
                                   namespace=target.namespace, lab=lab)  # fmt: skip
        text = as_text(e) + hops_text([hop for _, hop in next_hops(session, e, lab)])
        if send_too:
            text += "\n" + sent_text(send(session, proxy, e, url))
    except (ExplainError, ClusterError) as exc:
        return f"cannot explain: {exc}"
    return text


def proxy_ref(session: Session, target: ExplainTarget) -> tuple[str | None, str]:
    """NAMESPACE/POD of the proxy the request leaves from (the ingress gateway's pod for a
    localhost URL); None and why when there is none."""
    from istiotui.cluster.errors import ClusterError
    from istiotui.lab.explain import ExplainError, resolve_proxy

    if target.from_ref is not None:
        return target.from_ref, ""
    try:
        proxy = resolve_proxy(session, None, target.namespace, target.url)
    except (ExplainError, ClusterError) as exc:
        return None, f"cannot read the proxy's configuration: {exc}"
    return f"{proxy.namespace}/{proxy.pod}", ""


def open_explain(app: IstioTui) -> None:
    """`x`: explain from the pod selected in the tree, else the current step's first probe."""
    if app.backend is None:
        app.notify(word("needs_cluster", app.lang), severity="warning")
        return
    session = app.backend.session
    key = app.main_screen.selected()
    probe = app.step.probes[0] if app.step.probes else None
    if key is not None and key[0] == "Pod":
        # The step's in-mesh probe gives a URL worth starting from; an ingress one does not.
        mesh = probe is not None and probe.pod is not None
        base = from_probe(probe, session) if mesh else ExplainTarget("http://")
        target = ExplainTarget(base.url, base.headers, f"{key[1]}/{key[2]}", key[1])
    elif probe is not None:
        target = from_probe(probe, session)
    else:
        app.notify("Select a pod, or open a step with a probe, to explain", severity="warning")
        return
    app.push_screen(ExplainScreen(session, app.lab, target, app.lang))
