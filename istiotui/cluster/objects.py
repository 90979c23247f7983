"""Apply, dry-run, read, delete and patch objects: the one place that writes to a cluster.

Writes go through server-side apply with istiotui's field manager. A set of objects is applied
all-or-nothing as far as the API allows: every object is first sent with `dryRun=All`, and only
when the server accepts them all are they applied for real, so a typo in the third object of a
manifest leaves the first two untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kubernetes import client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from istiotui.cluster.errors import API_ERRORS, ClusterError, describe

FIELD_MANAGER = "istiotui"


def ref(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind', '?')} {ns + '/' if ns else ''}{meta.get('name', '?')}"


@dataclass(frozen=True)
class Applied:
    before: dict | None  # the live object, None when it did not exist
    after: dict  # what the server stored (or would store, on a dry run)


class Objects:
    def __init__(self, api_client: client.ApiClient) -> None:
        self._api = api_client
        self._dynamic: DynamicClient | None = None

    @property
    def dynamic(self) -> DynamicClient:
        if self._dynamic is None:
            self._dynamic = DynamicClient(self._api)
        return self._dynamic

    def resource(self, api_version: str, kind: str):
        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            raise ClusterError(f"the cluster does not serve {kind} ({api_version})") from None

    def _for(self, obj: dict):
        return self.resource(obj.get("apiVersion", ""), obj.get("kind", ""))

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> dict | None:
        res = self.resource(api_version, kind)
        try:
            return res.get(name=name, namespace=namespace if res.namespaced else None).to_dict()
        except NotFoundError:
            return None
        except API_ERRORS as exc:
            raise describe(f"{kind} {namespace}/{name}", exc) from None

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict]:
        res = self.resource(api_version, kind)
        try:
            got = res.get(namespace=namespace if res.namespaced else None, label_selector=selector)
        except API_ERRORS as exc:
            raise describe(f"{kind} list in {namespace or 'all namespaces'}", exc) from None
        return [item.to_dict() for item in got.items]

    def _apply_one(self, obj: dict, dry_run: bool) -> dict:
        res = self._for(obj)
        meta = obj.get("metadata") or {}
        kwargs = {"field_manager": FIELD_MANAGER, "force_conflicts": True}
        if dry_run:
            kwargs["dry_run"] = "All"
        try:
            return res.server_side_apply(
                body=obj,
                name=meta.get("name"),
                namespace=meta.get("namespace") if res.namespaced else None,
                **kwargs,
            ).to_dict()
        except API_ERRORS as exc:
            raise describe(ref(obj), exc) from None

    def apply(self, objects: Iterable[dict], dry_run: bool = False) -> list[Applied]:
        """Server-side apply every object; nothing is written unless all pass a dry run."""
        objs = list(objects)
        results = []
        for obj in objs:
            meta = obj.get("metadata") or {}
            before = self.get(
                obj["apiVersion"], obj["kind"], meta.get("name"), meta.get("namespace")
            )
            results.append(Applied(before, self._apply_one(obj, dry_run=True)))
        if dry_run:
            return results
        return [
            Applied(r.before, self._apply_one(obj, False))
            for r, obj in zip(results, objs, strict=True)
        ]

    def create(self, objects: Iterable[dict]) -> list[dict]:
        """`kubectl create`: fails (AlreadyExists) on objects that exist, checked before writing."""
        objs = list(objects)
        for obj in objs:
            res = self._for(obj)
            meta = obj.get("metadata") or {}
            try:
                res.create(
                    body=obj,
                    namespace=meta.get("namespace") if res.namespaced else None,
                    dry_run="All",
                    field_manager=FIELD_MANAGER,
                )
            except API_ERRORS as exc:
                raise describe(ref(obj), exc) from None
        out = []
        for obj in objs:
            res = self._for(obj)
            meta = obj.get("metadata") or {}
            created = res.create(
                body=obj,
                namespace=meta.get("namespace") if res.namespaced else None,
                field_manager=FIELD_MANAGER,
            )
            out.append(created.to_dict())
        return out

    def delete(self, obj: dict, ignore_not_found: bool = True) -> bool:
        """Delete one object; False when it was already gone (and that was allowed)."""
        res = self._for(obj)
        meta = obj.get("metadata") or {}
        try:
            res.delete(
                name=meta.get("name"), namespace=meta.get("namespace") if res.namespaced else None
            )
        except NotFoundError:
            if ignore_not_found:
                return False
            raise ClusterError(f"{ref(obj)} not found", 404, "NotFound") from None
        except API_ERRORS as exc:
            raise describe(ref(obj), exc) from None
        return True

    def patch(self, obj_ref: dict, patch: dict) -> dict:
        """A JSON merge patch (labels, a Service's type): names only what changes."""
        res = self._for(obj_ref)
        meta = obj_ref.get("metadata") or {}
        try:
            return res.patch(
                body=patch,
                name=meta.get("name"),
                namespace=meta.get("namespace") if res.namespaced else None,
                content_type="application/merge-patch+json",
            ).to_dict()
        except API_ERRORS as exc:
            raise describe(ref(obj_ref), exc) from None

    def logs(
        self, namespace: str, pod: str, container: str | None = None, tail: int | None = None
    ) -> str:
        try:
            return client.CoreV1Api(self._api).read_namespaced_pod_log(
                pod, namespace, container=container, tail_lines=tail
            )
        except API_ERRORS as exc:
            raise describe(f"Pod {namespace}/{pod}", exc) from None

    def follow_logs(self, namespace: str, pod: str, container: str | None = None) -> Iterator[str]:
        resp = client.CoreV1Api(self._api).read_namespaced_pod_log(
            pod, namespace, container=container, follow=True, _preload_content=False
        )
        try:
            for line in resp.stream(decode_content=True):
                yield line.decode("utf-8", errors="replace")
        finally:
            resp.release_conn()
