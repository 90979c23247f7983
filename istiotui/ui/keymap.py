"""The keymap: the one list of the app's actions; bindings, footer, help screen and palette come
from it.

Names are scoped ("step.apply", "view.tree") so the help screen can group them and the palette can
show "Step: Apply". Descriptions are bilingual; the app picks the language at render time.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


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

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    def description(self, lang: str) -> str:
        return self.es if lang == "es" else self.en


GROUP_TITLES = {
    "step": ("Paso", "Step"),
    "view": ("Vista", "View"),
    "tree": ("Árbol", "Tree"),
    "nav": ("Moverse", "Move"),
    "app": ("Aplicación", "App"),
    "env": ("Entorno", "Environment"),
    "viewer": ("Visor de YAML y logs", "YAML and log viewer"),
}

ENV = "environment"  # the Environment screen's name
MAIN = "main"  # the main screen: keys for its panels
VIEWER = "viewer"  # the YAML and log viewer

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
        False,
        screen=MAIN,
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
    UiAction("view.language", "L", "toggle_language", "Idioma es/en", "Language es/en", False),
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
    UiAction("app.help", "question_mark", "help", "Ayuda", "Help", key_display="?"),
    UiAction(
        "app.palette",
        "colon",
        "command_palette",
        "Paleta de comandos",
        "Command palette",
        False,
        key_display=":",
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
    UiAction("app.quit", "q", "quit", "Salir", "Quit"),
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
)


def bindings(lang: str, screen: str | None = None) -> list[Binding]:
    """The bindings of the app (`screen` None) or of one screen, from the registry."""
    return [
        Binding(
            a.keys,
            a.action,
            a.description(lang),
            show=a.show,
            key_display=a.key_display,
            id=a.id,
            tooltip=a.description("es" if lang == "en" else "en"),
            priority=a.priority,
        )
        for a in ACTIONS
        if a.screen == screen
    ]


def screen_actions(screen: str) -> list[UiAction]:
    return [a for a in ACTIONS if a.screen == screen]


def by_id(action_id: str) -> UiAction:
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(action_id)
