"""The keymap: the one list of the app's actions; bindings, footer, help screen and palette come
from it.

Names are scoped ("step.apply", "view.tree") so the help screen can group them and the palette can
show "Step: Apply". Descriptions are bilingual; the app picks the language at render time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.dom import DOMNode


@dataclass(frozen=True)
class UiAction:
    id: str  # scoped name, e.g. "step.apply"
    keys: str  # Textual key list, e.g. "a" or "j,down"
    action: str  # the Textual action it runs, e.g. "apply_step"
    es: str
    en: str
    show: bool = True  # in the footer
    key_display: str | None = None
    # Bound only by this screen (its keys mean nothing elsewhere); the palette and help list it.
    screen: str | None = None
    priority: bool = False  # before the focused widget's own use of the key
    # An app key that those screens bind too (run on the app): the modal ones stop the app's
    # bindings, so only the app keys named here act over them (docs/tui.md, Keys).
    also_on: tuple[str, ...] = ()
    bar: tuple[str, str] | None = None  # (es, en): shorter words for a key bar short of room

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def description(self, lang: str) -> str:
        return self.es if lang == "es" else self.en

    def bar_words(self, lang: str) -> str:
        if self.bar is None:
            return self.description(lang)
        return self.bar[0] if lang == "es" else self.bar[1]


GROUP_TITLES = {
    "step": ("Paso", "Step"),
    "view": ("Vista", "View"),
    "tree": ("Árbol", "Tree"),
    "nav": ("Moverse", "Move"),
    "app": ("Aplicación", "App"),
    "env": ("Entorno", "Environment"),
    "viewer": ("Visor de YAML y logs", "YAML and log viewer"),
    "graph": ("Grafo de tráfico", "Traffic graph"),
    "explain": ("Explicar una petición", "Explain a request"),
    "proxies": ("Proxies", "Proxies"),
}

ENV = "environment"  # the Environment screen's name
MAIN = "main"  # the main screen: keys for its panels
VIEWER = "viewer"  # the YAML and log viewer
GRAPH = "graph"  # the Graph view (`g`)
EXPLAIN = "explain"  # the Explain screen (`x`)
PROXIES = "proxies"  # the Proxies screen (`o`)
# Screens whose keys act only while they are shown: the palette lists those keys over them only.
SHOWN_ONLY = (VIEWER, GRAPH, EXPLAIN, PROXIES)

ACTIONS: tuple[UiAction, ...] = (
    UiAction("step.apply", "a", "apply_step", "Aplicar", "Apply"),
    UiAction("step.diff", "d", "diff_step", "Diferencias", "Diff"),
    UiAction("step.probe", "p", "toggle_probes", "Sondear", "Probe"),
    UiAction("step.verify", "v", "verify_step", "Verificar", "Verify"),
    UiAction("step.cleanup", "c", "cleanup_step", "Limpiar", "Clean up"),
    UiAction("step.catch_up", "u", "catch_up", "Ponerse al día", "Catch up", show=False),
    UiAction(
        "step.tunnel",
        "f",
        "toggle_tunnel",
        "Abrir/cerrar el port-forward",
        "Open/close the port-forward",
        show=False,
    ),
    UiAction(
        "step.copy",
        "Y",
        "copy_commands",
        "Copiar los comandos",
        "Copy the commands",
        screen=MAIN,
        bar=("Copiar", "Copy"),
    ),
    UiAction("view.refresh", "r", "refresh", "Refrescar", "Refresh", show=False),
    UiAction(
        "view.next_panel",
        "tab",
        "next_panel",
        "Panel siguiente",
        "Next panel",
        show=False,
        screen=MAIN,
    ),
    UiAction(
        "view.prev_panel",
        "shift+tab",
        "previous_panel",
        "Panel anterior",
        "Previous panel",
        show=False,
        screen=MAIN,
    ),
    UiAction(
        "view.language",
        "L",
        "toggle_language",
        "Idioma es/en",
        "Language es/en",
        False,
        also_on=SHOWN_ONLY,
    ),
    UiAction("view.graph", "g", "graph", "Grafo de tráfico", "Traffic graph", False),
    UiAction("tree.yaml", "y", "show_yaml", "YAML", "YAML", screen=MAIN),
    UiAction("tree.logs", "l", "show_logs", "Logs", "Logs", screen=MAIN),
    # The app's (it reads the tree's selection, else the step's probe).
    UiAction("tree.explain", "x", "explain", "Explicar una petición", "Explain a request", False),
    # The app's too: the selected pod's proxy configuration, else every proxy's sync state.
    UiAction("tree.proxies", "o", "proxies", "Los proxies", "The proxies", False),
    UiAction(
        "tree.filter", "slash", "filter_tree", "Filtrar", "Filter", key_display="/", screen=MAIN
    ),
    UiAction(
        "tree.clear_filter",
        "escape",
        "clear_filter",
        "Borrar y ocultar el filtro",
        "Clear and hide the filter",
        key_display="esc",
        screen=MAIN,
    ),
    UiAction("nav.down", "j", "cursor_down", "Bajar (también ↓)", "Down (also ↓)", False),
    UiAction("nav.up", "k", "cursor_up", "Subir (también ↑)", "Up (also ↑)", False),
    UiAction("nav.open", "enter", "open", "Abrir el paso", "Open the step", False, screen=MAIN),
    # In Explain's fields and the viewer's search `?` is typed (a URL's query string).
    UiAction(
        "app.help", "question_mark", "help", "Ayuda", "Help", key_display="?", also_on=SHOWN_ONLY
    ),
    UiAction(
        "app.palette",
        "colon",
        "command_palette",
        "Paleta de comandos",
        "Command palette",
        False,
        key_display=":",
        also_on=(GRAPH,),
    ),
    # Ctrl+P opens it from every screen, the modal ones too (a `:` there may be typed text).
    UiAction(
        "app.palette_anywhere",
        "ctrl+p",
        "command_palette",
        "Paleta de comandos",
        "Command palette",
        False,
        key_display="^p",
        priority=True,
    ),
    UiAction("app.quit", "q", "quit", "Salir", "Quit", also_on=(GRAPH,)),  # the viewer's closes
    # Ctrl+C is what people press to leave; it quits too, and asks first when work runs.
    UiAction(
        "app.interrupt",
        "ctrl+c",
        "quit",
        "Salir (también q)",
        "Quit (also q)",
        False,
        key_display="^c",
        priority=True,
    ),
    # Textual's own quit key, kept: it quits as `q` does (asking first when work runs).
    UiAction(
        "app.quit_ctrl_q",
        "ctrl+q",
        "quit",
        "Salir (también q)",
        "Quit (also q)",
        False,
        key_display="^q",
        priority=True,
    ),
    # The YAML and log viewer's own keys.
    UiAction(
        "viewer.search", "slash", "search", "Buscar", "Search", key_display="/", screen=VIEWER
    ),
    UiAction("viewer.next", "n", "next_match", "Siguiente", "Next match", screen=VIEWER),
    UiAction("viewer.prev", "N", "previous_match", "Anterior", "Previous match", screen=VIEWER),
    UiAction(
        "viewer.follow", "F", "toggle_follow", "Seguir el log", "Follow the log", screen=VIEWER
    ),
    UiAction(
        "viewer.close", "escape,q", "close", "Cerrar", "Close", key_display="esc", screen=VIEWER
    ),
    # The Environment screen: `e` opens it from anywhere (not in the main footer, full at 80
    # columns); the others are its own keys. `open_screen('environment', 'vm_up')` runs the
    # screen's `vm_up` when it is shown, else opens it (from the palette).
    UiAction(
        "env.open", "e", "open_screen('environment')", "Las VMs del lab", "The lab's VMs", False
    ),
    UiAction(
        "env.up", "U", "open_screen('environment', 'vm_up')", "Arrancar", "Up", False, screen=ENV
    ),
    UiAction(
        "env.halt",
        "H",
        "open_screen('environment', 'vm_halt')",
        "Apagar",
        "Halt",
        False,
        screen=ENV,
    ),
    UiAction(
        "env.provision",
        "P",
        "open_screen('environment', 'vm_provision')",
        "Aprovisionar",
        "Provision",
        False,
        screen=ENV,
    ),
    UiAction(
        "env.target",
        "t",
        "open_screen('environment', 'vm_target')",
        "VM/todas",
        "VM/all",
        False,
        screen=ENV,
    ),
    UiAction(
        "env.ssh", "s", "open_screen('environment', 'vm_ssh')", "ssh", "ssh", False, screen=ENV
    ),
    UiAction(
        "env.status",
        "R",
        "open_screen('environment', 'vm_status')",
        "Estado",
        "Status",
        False,
        screen=ENV,
    ),
    UiAction(
        "env.cancel",
        "x",
        "open_screen('environment', 'vm_cancel')",
        "Cancelar",
        "Cancel",
        False,
        screen=ENV,
    ),
    UiAction(
        "env.back",
        "escape",
        "open_screen('environment', 'vm_back')",
        "Volver",
        "Back",
        False,
        key_display="esc",
        screen=ENV,
    ),
    # The Graph view's keys (a full screen: `g` goes back as it came).
    UiAction(
        "graph.back",
        "escape,g",
        "app.pop_screen",
        "Volver",
        "Back",
        key_display="esc",
        screen=GRAPH,
    ),
    UiAction(
        "graph.down", "j", "move(1)", "Bajar (también ↓)", "Down (also ↓)", False, screen=GRAPH
    ),
    UiAction("graph.up", "k", "move(-1)", "Subir (también ↑)", "Up (also ↑)", False, screen=GRAPH),
    UiAction(
        "graph.kiali",
        "K",
        "kiali",
        "Abrir Kiali (port-forward)",
        "Open Kiali (port-forward)",
        screen=GRAPH,
    ),
    # The Explain screen's keys; in the URL and header fields Enter is the field's own (the same).
    UiAction("explain.run", "enter", "explain", "Explicar", "Explain", screen=EXPLAIN),
    UiAction(
        "explain.send",
        "ctrl+s",
        "send",
        "Enviarla una vez",
        "Send it once",
        key_display="^s",
        screen=EXPLAIN,
    ),
    UiAction(
        "explain.proxy",
        "ctrl+o",
        "proxy_config",
        "La configuración de su proxy",
        "Its proxy's configuration",
        key_display="^o",
        screen=EXPLAIN,
    ),
    UiAction(
        "explain.close", "escape", "dismiss", "Cerrar", "Close", key_display="esc", screen=EXPLAIN
    ),
    # The Proxies screen's keys (Enter on a status row, the table's own, opens that proxy).
    UiAction(
        "proxies.close", "escape", "dismiss", "Cerrar", "Close", key_display="esc", screen=PROXIES
    ),
    UiAction("proxies.read", "r", "read_again", "Volver a leer", "Read again", screen=PROXIES),
    UiAction(
        "proxies.status",
        "1",
        "show_tab('status')",
        "Pestaña Estado",
        "Status tab",
        False,
        screen=PROXIES,
    ),
    UiAction(
        "proxies.listeners",
        "2",
        "show_tab('listeners')",
        "Pestaña Listeners",
        "Listeners tab",
        False,
        screen=PROXIES,
    ),
    UiAction(
        "proxies.routes",
        "3",
        "show_tab('routes')",
        "Pestaña Rutas",
        "Routes tab",
        False,
        screen=PROXIES,
    ),
    UiAction(
        "proxies.clusters",
        "4",
        "show_tab('clusters')",
        "Pestaña Clusters",
        "Clusters tab",
        False,
        screen=PROXIES,
    ),
    UiAction(
        "proxies.endpoints",
        "5",
        "show_tab('endpoints')",
        "Pestaña Endpoints",
        "Endpoints tab",
        False,
        screen=PROXIES,
    ),
)


def bindings(lang: str, screen: str | None = None) -> list[Binding]:
    """The bindings of the app (`screen` None) or of one screen, from the registry: a screen's
    own keys, then the app keys that act on it too (`also_on`), which run on the app."""
    own = [(a, a.action) for a in ACTIONS if a.screen == screen]
    if screen is not None:
        own += [(a, f"app.{a.action}") for a in app_keys_on(screen)]
    return [
        Binding(
            a.keys,
            action,
            a.description(lang),
            show=a.show,
            key_display=a.key_display,
            id=a.id,
            tooltip=a.description("es" if lang == "en" else "en"),
            priority=a.priority,
        )
        for a, action in own
    ]


def speak(node: DOMNode, lang: str) -> None:
    """Puts `node`'s registry bindings in `lang` (its BINDINGS are made once, at import, in
    English): what Textual shows of them (its keys panel, tooltips) follows the app's language."""
    # The instance's own copy (Textual 8 copies the class's). Private: a Textual without it
    # keeps the English words rather than failing to open the screen.
    found = getattr(getattr(node, "_bindings", None), "key_to_bindings", None)
    if not isinstance(found, dict):
        return
    for key, those in found.items():
        found[key] = [_in(b, lang) for b in those]


def _in(binding: Binding, lang: str) -> Binding:
    if binding.id is None or binding.id not in _IDS:
        return binding
    a = _IDS[binding.id]
    other = "es" if lang == "en" else "en"
    return replace(binding, description=a.description(lang), tooltip=a.description(other))


def screen_actions(screen: str) -> list[UiAction]:
    """The screen's own keys (`screen=`)."""
    return [a for a in ACTIONS if a.screen == screen]


def app_keys_on(screen: str) -> list[UiAction]:
    """The app's keys that act on `screen` too (`also_on`)."""
    return [a for a in ACTIONS if a.screen is None and screen in a.also_on]


def by_id(action_id: str) -> UiAction:
    return _IDS[action_id]  # KeyError for an id the keymap does not have


_IDS = {a.id: a for a in ACTIONS}
