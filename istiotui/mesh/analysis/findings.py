"""What a check reports, and the catalogue of checks with their codes and bilingual sentences.

Codes are stable (documented in docs/mesh-checks.md): scripts and tests may rely on them. Each
sentence says what will happen to traffic and how to fix it; `{…}` fields come from the finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Istioctl:
    """The message `istioctl analyze` gives for the same mistake (its analyzer message list)."""

    code: str
    name: str


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    severity: Severity
    es: str
    en: str
    istioctl: Istioctl | None = None


@dataclass(frozen=True)
class Finding:
    check: Check
    kind: str
    namespace: str
    name: str
    field: str  # where in the object, as the API server writes paths
    params: dict[str, object] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.check.code

    @property
    def severity(self) -> Severity:
        return self.check.severity

    def message(self, lang: str = "en") -> str:
        template = self.check.es if lang == "es" else self.check.en
        return template.format(**self.params)

    def where(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name} {self.field}"

    def headline(self) -> str:
        """`Error [IT0101] (VirtualService ns/name field)`: how a finding is named in the CLI."""
        return f"{self.severity.label.capitalize()} [{self.code}] ({self.where()})"

    def key(self) -> tuple[str, ...]:
        """What makes two findings the same (params are a dict, so the dataclass is unhashable)."""
        return (self.code, self.kind, self.namespace, self.name, self.field, self.message())


def _c(
    code: str, name: str, severity: Severity, es: str, en: str, ist: Istioctl | None = None
) -> Check:
    return Check(code, name, severity, es, en, ist)


# istioctl's codes, checked against istio's analyzer message list (pkg/config/analysis/msg).
# IST0101 covers every dangling reference (host, host+subset, mirror, gateway, selector).
_NOT_FOUND = Istioctl("IST0101", "ReferencedResourceNotFound")


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

SUBSET_NOT_DEFINED = _c(
    "IT0101",
    "SubsetNotDefined",
    E,
    "Ninguna DestinationRule define el subset '{subset}' de {host}: Envoy no tendrá ese clúster y "
    "las peticiones de esta ruta recibirán un 503. Aplica primero la DestinationRule con ese "
    "subset, o corrige el nombre.",
    "No DestinationRule defines subset '{subset}' of {host}: Envoy will have no such cluster and "
    "requests on this route get a 503. Apply the DestinationRule with that subset first, or fix "
    "the name.",
    _NOT_FOUND,
)
HOST_NOT_FOUND = _c(
    "IT0102",
    "DestinationHostNotFound",
    E,
    "El host de destino {host} no es ningún Service ni ServiceEntry: la ruta no lleva a ningún "
    "sitio y devolverá un 503. Revisa el nombre y el namespace del Service.",
    "Destination host {host} is neither a Service nor a ServiceEntry: the route leads nowhere and "
    "answers 503. Check the Service's name and namespace.",
    _NOT_FOUND,
)
GATEWAY_NOT_FOUND = _c(
    "IT0103",
    "GatewayNotFound",
    E,
    "La VirtualService usa el gateway '{gateway}', que no existe: sus rutas no se instalarán en "
    "ningún gateway y las peticiones de fuera recibirán un 404. Crea el Gateway o corrige la "
    "referencia (nombre, o namespace/nombre).",
    "The VirtualService names gateway '{gateway}', which does not exist: its routes land on no "
    "gateway and outside requests get a 404. Create the Gateway or fix the reference (name, or "
    "namespace/name).",
    _NOT_FOUND,
)
GATEWAY_SELECTOR_UNMATCHED = _c(
    "IT0104",
    "GatewaySelectorUnmatched",
    E,
    "El selector {selector} del Gateway no coincide con ningún pod: ningún proxy de gateway "
    "servirá este Gateway. ¿Están instalados los gateways de Istio (istio-manifests/)? ¿Es "
    "correcta la etiqueta?",
    "The Gateway's selector {selector} matches no pod: no gateway proxy will serve it. Are Istio's "
    "gateways installed (istio-manifests/)? Is the label right?",
    _NOT_FOUND,
)
GATEWAY_PORT_NOT_EXPOSED = _c(
    "IT0105",
    "GatewayPortNotExposed",
    W,
    "El puerto {port} del Gateway no lo expone el Service {service}: el tráfico no llegará a ese "
    "servidor. Usa un puerto del Service (p. ej. 80) o añádelo.",
    "Gateway port {port} is not exposed by Service {service}: traffic cannot reach this server. "
    "Use one of the Service's ports (e.g. 80) or add it.",
    Istioctl("IST0162", "GatewayPortNotDefinedOnService"),
)
HOST_NOT_IN_GATEWAY = _c(
    "IT0106",
    "VirtualServiceHostNotInGateway",
    W,
    "El host {host} de la VirtualService no está entre los hosts del Gateway {gateway}: el "
    "gateway no aceptará esas peticiones y responderá 404. Haz coincidir ambos hosts.",
    "VirtualService host {host} is not among Gateway {gateway}'s hosts: the gateway will not take "
    "those requests and answers 404. Make the hosts agree.",
    Istioctl("IST0132", "VirtualServiceHostNotFoundInGateway"),
)
DUPLICATE_VS_HOST = _c(
    "IT0107",
    "ConflictingVirtualServices",
    W,
    "Otra VirtualService ({other}) ya define el host {host}: Istio fusionará o ignorará reglas y "
    "el resultado depende del orden. Deja una sola VirtualService por host.",
    "Another VirtualService ({other}) also defines host {host}: Istio merges or drops rules "
    "and the outcome depends on order. Keep one VirtualService per host.",
    Istioctl("IST0109", "ConflictingMeshGatewayVirtualServiceHosts"),
)
DUPLICATE_DR_HOST = _c(
    "IT0108",
    "ConflictingDestinationRules",
    W,
    "Otra DestinationRule ({other}) ya es para {host}: solo una se aplicará por completo y "
    "subsets o límites pueden desaparecer. Junta ambas en una.",
    "Another DestinationRule ({other}) is also for {host}: only one applies in full and subsets or "
    "limits may vanish. Merge them into one.",
)
SUBSET_NO_PODS = _c(
    "IT0109",
    "SubsetSelectsNoPods",
    W,
    "El subset '{subset}' ({labels}) no selecciona ningún pod de {host}: las peticiones que vayan "
    "a él recibirán un 503 (UH, sin upstream sano). Despliega esa versión o corrige las "
    "etiquetas.",
    "Subset '{subset}' ({labels}) selects no pod of {host}: requests routed to it get a 503 "
    "(UH, no healthy upstream). Deploy that version or fix the labels.",
    Istioctl("IST0173", "DestinationRuleSubsetNotSelectPods"),
)
SUBSET_NO_LABELS = _c(
    "IT0110",
    "SubsetWithoutLabels",
    INFO,
    "El subset '{subset}' no tiene etiquetas: selecciona todos los pods del servicio, no una "
    "versión. Añade p. ej. version: v1 (salvo que lo quieras así, como en el egress gateway).",
    "Subset '{subset}' has no labels: it selects every pod of the service, not one version. Add "
    "e.g. version: v1 (unless that is the intent, as for the egress gateway).",
)
NAMESPACE_NOT_INJECTED = _c(
    "IT0111",
    "NamespaceNotInjected",
    W,
    "El namespace {namespace} no tiene la etiqueta istio-injection=enabled: sus pods nuevos no "
    "tendrán sidecar y las reglas de Istio no se aplicarán a su tráfico. Etiquétalo y reinicia "
    "los pods.",
    "Namespace {namespace} lacks the label istio-injection=enabled: its new pods get no sidecar "
    "and Istio's rules do not apply to their traffic. Label it and restart the pods.",
    Istioctl("IST0102", "NamespaceNotInjected"),
)
POD_WITHOUT_PROXY = _c(
    "IT0112",
    "PodMissingProxy",
    W,
    "El pod {pod} no tiene el contenedor istio-proxy (1/1 en vez de 2/2): su tráfico no pasa por "
    "la malla. Se creó antes de etiquetar el namespace: reinicia su Deployment.",
    "Pod {pod} has no istio-proxy container (1/1 instead of 2/2): its traffic bypasses the mesh. "
    "It was created before the namespace was labelled: restart its Deployment.",
    Istioctl("IST0103", "PodMissingProxy"),
)
UNREACHABLE_RULE = _c(
    "IT0113",
    "UnreachableRule",
    W,
    "La regla {rule} nunca se usará: la regla {earlier} ya recoge todas las peticiones antes. "
    "Pon las reglas más específicas primero.",
    "Rule {rule} can never match: rule {earlier} takes every request first. Put the more specific "
    "rules first.",
    Istioctl("IST0130", "VirtualServiceUnreachableRule"),
)
DUPLICATE_MATCH = _c(
    "IT0114",
    "DuplicateMatch",
    W,
    "La condición {match} repite una de la regla {earlier}: nunca se usará. Quítala o cámbiala.",
    "Match {match} repeats one of rule {earlier}: it will never be used. Remove or change it.",
    Istioctl("IST0131", "VirtualServiceIneffectiveMatch"),
)
INVALID_REGEX = _c(
    "IT0115",
    "InvalidRegex",
    E,
    "La expresión regular {regex!r} no es válida ({error}): Istio rechazará el objeto.",
    "Regular expression {regex!r} is invalid ({error}): Istio will reject the object.",
    Istioctl("IST0122", "InvalidRegexp"),
)
SINGLE_DESTINATION_WEIGHT = _c(
    "IT0116",
    "SingleDestinationWeight",
    W,
    "La ruta tiene un solo destino con peso {weight}: con un destino el peso no reparte nada, todo "
    "el tráfico irá a él. Pon 100 o añade el otro destino.",
    "The route has one destination with weight {weight}: with one destination the weight splits "
    "nothing, all traffic goes to it. Use 100 or add the other destination.",
)
WEIGHTS_NOT_100 = _c(
    "IT0117",
    "WeightsNotHundred",
    INFO,
    "Los pesos suman {total}, no 100: Istio los trata como relativos, así que el reparto real es "
    "{shares}.",
    "Weights add up to {total}, not 100: Istio treats them as relative, so the real split is "
    "{shares}.",
)
BREAKER_UNTRIPPABLE = _c(
    "IT0118",
    "CircuitBreakerUntrippable",
    INFO,
    "Con maxConnections {connections} y http1MaxPendingRequests {pending}, caben {room} peticiones "
    "a la vez: fortio con -c {concurrency} (como en el laboratorio) no verá ningún 503. Baja los "
    "límites para ver saltar el circuito.",
    "With maxConnections {connections} and http1MaxPendingRequests {pending}, {room} requests fit "
    "at once: fortio at -c {concurrency} (as in the lab) will see no 503. Lower the limits to see "
    "the breaker trip.",
)
MIRROR_SUBSET_NOT_DEFINED = _c(
    "IT0119",
    "MirrorSubsetNotDefined",
    E,
    "El espejo apunta al subset '{subset}' de {host}, que ninguna DestinationRule define: no se "
    "copiará ninguna petición. Define el subset.",
    "The mirror targets subset '{subset}' of {host}, which no DestinationRule defines: nothing "
    "will be mirrored. Define the subset.",
    _NOT_FOUND,
)
EXTERNAL_WITHOUT_SERVICE_ENTRY = _c(
    "IT0120",
    "ExternalHostWithoutServiceEntry",
    E,
    "La malla está en REGISTRY_ONLY y {host} no tiene ServiceEntry: las peticiones HTTP recibirán "
    "un 502 y las TLS fallarán en el handshake. Crea una ServiceEntry para {host}.",
    "The mesh is REGISTRY_ONLY and {host} has no ServiceEntry: HTTP requests get a 502 and TLS "
    "fails at the handshake. Create a ServiceEntry for {host}.",
)

# Files alone cannot say everything a cluster can: these say what was left unjudged, and why.
GATEWAY_SELECTOR_OFFLINE = _c(
    "IT0121",
    "GatewaySelectorNotCheckedOffline",
    INFO,
    "Ningún Deployment de estos ficheros ni ningún gateway de los que crea una instalación de "
    "Istio ({known}) tiene las etiquetas {selector}: sin un clúster no se puede saber si algún "
    "proxy de gateway servirá este Gateway. Compruébalo con --local o --context; ¿es correcta la "
    "etiqueta?",
    "No Deployment in these files, and no gateway an Istio install creates ({known}), has the "
    "labels {selector}: without a cluster there is no telling whether a gateway proxy will serve "
    "this Gateway. Check with --local or --context; is the label right?",
)
REFERENCE_OFFLINE = _c(
    "IT0122",
    "ReferenceNotCheckedOffline",
    INFO,
    "No se puede comprobar {kind} '{ref}' solo con estos ficheros: no contienen ningún {kind} del "
    "namespace {namespace}. Añade el fichero que lo define, o analiza contra un clúster (--local o "
    "--context).",
    "{kind} '{ref}' cannot be checked from these files alone: they hold no {kind} of namespace "
    "{namespace}. Add the file that defines it, or analyse against a cluster (--local or "
    "--context).",
)
EXTERNAL_HOST_OFFLINE = _c(
    "IT0123",
    "ExternalHostNotCheckedOffline",
    INFO,
    "No se puede comprobar el host {host} solo con estos ficheros: no contienen ninguna "
    "ServiceEntry. Añade el fichero de la ServiceEntry, o analiza contra un clúster (--local o "
    "--context).",
    "Host {host} cannot be checked from these files alone: they hold no ServiceEntry. Add the "
    "ServiceEntry's file, or analyse against a cluster (--local or --context).",
)
SUBSET_OFFLINE = _c(
    "IT0124",
    "SubsetNotCheckedOffline",
    INFO,
    "No se puede comprobar el subset '{subset}' de {host} solo con estos ficheros: no contienen el "
    "Service de ese host ni ninguna DestinationRule para él. Añade el fichero de la "
    "DestinationRule, o analiza contra un clúster (--local o --context).",
    "Subset '{subset}' of {host} cannot be checked from these files alone: they hold neither the "
    "host's Service nor any DestinationRule for it. Add the DestinationRule's file, or analyse "
    "against a cluster (--local or --context).",
)

CATALOGUE: tuple[Check, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Check))
