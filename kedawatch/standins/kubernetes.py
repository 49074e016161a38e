"""A Kubernetes API on loopback for the operator's tests and the demo: kmock's emulator plus real metadata bookkeeping.

kmock stores objects, serves discovery, lists and watches, and runs deletion with finalizers. It leaves out what
kopf relies on: `resourceVersion`, `uid`, `creationTimestamp`, `generation`, the URL's namespace on create,
201/404/409/422 Status answers, JSON patches with the `test` op, and the `status` subresource.
`KubernetesApi` adds those; `ApiServer` runs it over HTTP in its own thread and writes a kubeconfig for it.
For tests of resilience, `KubernetesApi` also injects the faults a real API server shows: `fail()` answers the next
matching requests with an error Status, `drop_watches()` cuts every open watch.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import copy
import datetime
import json
import pathlib
import re
import secrets
import threading
import uuid
import warnings
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Final

import aiohttp.test_utils
import aiohttp.web
import attrs
import jsonpatch
import kmock
import kopf
import yaml
from kmock._internal import rendering  # kmock does not export Response, the only way to answer 201

__all__ = ["ApiServer", "KubernetesApi"]

Body = dict[str, Any]

CRDS: Final = kmock.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
NAMESPACES: Final = kmock.resource("", "v1", "namespaces")
CRD_VERBS: Final = frozenset({"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"})
STOP_TIMEOUT: Final = 0.5
"""Seconds that stopping the server waits for open requests (watches never end on their own) before cancelling."""

_ACTIONS: Final = {
    (kmock.method.GET, False): kmock.action.LIST,
    (kmock.method.GET, True): kmock.action.FETCH,
    (kmock.method.POST, False): kmock.action.CREATE,
    (kmock.method.PATCH, True): kmock.action.UPDATE,
    (kmock.method.DELETE, True): kmock.action.DELETE,
}
_MUTATIONS: Final = frozenset({kmock.action.CREATE, kmock.action.UPDATE, kmock.action.DELETE})
_SERVER_OWNED: Final = ("name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp")
_NAMESPACES_URL: Final = re.compile(r"/api/v1/namespaces(?:/(?P<name>[^/]+)(?:/(?P<subresource>status|finalize))?)?/?")
_NAME_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"  # the API server's own, free of vowels and look-alikes
_REASONS: Final = {409: "Conflict", 410: "Expired", 429: "TooManyRequests", 503: "ServiceUnavailable"}
"""Kubernetes' `reason` for the statuses faults answer with; any other is an `InternalError`."""


@attrs.define(kw_only=True)
class Fault:
    """Answers the next `remaining` matching requests with `status` before they change anything, as a real API
    server does when it races another writer (409), has compacted the version asked for (410), or is overloaded or
    restarting (429, 500, 503). A criterion left as None matches any request.
    """

    status: int
    remaining: int = 1
    """Decremented by each request answered with the fault: 0 once it is spent (tests wait for that)."""
    action: kmock.action | None = None
    """kmock's verb: LIST, WATCH, FETCH (get), CREATE, UPDATE (patch) or DELETE."""
    plural: str | None = None
    subresource: str | None = None

    def matches(self, request: kmock.Request) -> bool:
        resource = request.resource
        return (
            self.remaining > 0
            and self.action in (None, request.action)
            and self.plural in (None, resource.plural if resource is not None else None)
            and self.subresource in (None, request.subresource)
        )

    def answer(self, request: kmock.Request) -> aiohttp.web.Response:
        """The error as a Status; for a watch's 410, an ERROR event in a 200 stream, as the API server sends it."""
        self.remaining -= 1
        reason = _REASONS.get(self.status, "InternalError")
        status = _status(_error(self.status, reason, f"{reason} (injected fault)", request, request.name))
        if request.action == kmock.action.WATCH and self.status == 410:
            return aiohttp.web.json_response({"type": "ERROR", "object": status}, dumps=_json_line)
        return aiohttp.web.json_response(status, status=self.status)


@attrs.define(kw_only=True)
class KubernetesApi(kmock.KubernetesEmulator):
    """kmock's in-memory Kubernetes, with the metadata bookkeeping of a real API server.

    Declare custom resources with `declare_crd()` or by POSTing a CRD. Every change bumps one global
    `resourceVersion`, as etcd's revision does, so lists and watches can resume from it. The API runs in one
    thread: read `objects` from elsewhere only while no requests are in flight.
    """

    builtins: bool = True
    """Declare kmock's bundled built-in kinds (namespaces, events, CRDs and more), which kopf needs."""

    history: int = 10_000
    """How many changes a watch can resume from, as etcd keeps them until compaction; older versions get 410."""

    faults: list[Fault] = attrs.field(factory=list, init=False)
    """Injected by `fail()`; each request takes the first one that matches it. Safe to add from any thread."""

    _revision: int = attrs.field(default=0, init=False)
    _watches: set[asyncio.Task[Any]] = attrs.field(factory=set, init=False)
    _outcomes: dict[kmock.Request, Body] = attrs.field(factory=dict, init=False)
    _events: collections.deque[tuple[int, kmock.resource, Body]] = attrs.field(
        default=attrs.Factory(lambda self: collections.deque(maxlen=self.history), takes_self=True), init=False
    )

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.fallback[kmock.method.PUT] << self._serve_update
        if self.builtins:
            with warnings.catch_warnings():  # kmock 0.8 reads its bundle with a deprecated importlib call
                warnings.simplefilter("ignore", DeprecationWarning)
                self.resources.load_bundled()

    def declare_crd(self, manifest: Mapping[str, Any]) -> list[kmock.resource]:
        """Serve a custom resource as the API server does once the CRD (apiextensions.k8s.io/v1) exists."""
        spec, names = manifest["spec"], manifest["spec"]["names"]
        served = [version for version in spec["versions"] if version.get("served", True)]
        for version in served:
            self.resources[kmock.resource(spec["group"], version["name"], names["plural"])] = kmock.ResourceInfo(
                kind=names["kind"],
                singular=names.get("singular") or names["kind"].lower(),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                shortnames=names.get("shortNames", []),
                categories=names.get("categories", []),
                verbs=CRD_VERBS,
                subresources={"status"} & set(version.get("subresources") or {}),
            )
        return [kmock.resource(spec["group"], version["name"], names["plural"]) for version in served]

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        action: kmock.action | None = None,
        plural: str | None = None,
        subresource: str | None = None,
    ) -> Fault:
        """Answer the next `times` requests that match with `status` (see `Fault`); returns the fault to watch."""
        fault = Fault(status=status, remaining=times, action=action, plural=plural, subresource=subresource)
        self.faults.append(fault)
        return fault

    @property
    def watching(self) -> int:
        """How many watches are open now."""
        return len(self._watches)

    def drop_watches(self) -> int:
        """Cut every open watch's connection, as an API server's restart or a load balancer's timeout does; returns
        how many. Clients must resume from the last version they saw, or list again. Safe to call from any thread."""
        watches = self._watches.copy()
        for task in watches:
            task.get_loop().call_soon_threadsafe(task.cancel)
        return len(watches)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        """Route `/api/v1/namespaces[/name[/subresource]]` past kmock 0.8's parser, which fails on these URLs.

        It reads `namespaces` as the prefix of a namespaced URL: the list answers 500, an object has no resource.
        """
        if (found := _NAMESPACES_URL.fullmatch(raw_request.path)) is None:
            return await super().__call__(raw_request)
        request = await _namespaces_request(raw_request, found["name"], found["subresource"], len(self._requests))
        self._requests.append(request)
        try:
            return await self._handle(request)
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc, rendering.StreamingError) else None
            error = cause if isinstance(cause, Exception) else exc
            if self._errors:  # as kmock does: keep the error for assertions, and answer with a Status
                self._errors[-1].append(error)
            return await self._render_error(error)

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        """Change the state here, and leave the answer to kmock's reactions (the fallbacks below, unless overridden).

        The emulator's own state changes are skipped: its merge differs from RFC 7386 and it keeps no metadata.
        An injected fault answers first, so the request changes nothing.
        """
        if (fault := next((fault for fault in self.faults if fault.matches(request)), None)) is not None:
            return fault.answer(request)
        if request.resource is not None and (request.action in _MUTATIONS or _is_replace(request)):
            async with self._lock:
                self._outcomes[request] = await self._mutate(request)
        try:
            return await kmock.KubernetesScaffold._handle(self, request)
        finally:
            self._outcomes.pop(request, None)

    async def _mutate(self, request: kmock.Request) -> Body:
        info = self._declared(request)
        if request.action == kmock.action.CREATE:
            return await self._create(request, info)
        obj = self._stored(request, info)
        if request.action == kmock.action.DELETE:
            return await self._delete(request, obj)
        return await self._update(request, info, obj)

    async def _create(self, request: kmock.Request, info: kmock.ResourceInfo) -> Body:
        assert request.resource is not None
        body = _json_object(request.data)
        meta = body.setdefault("metadata", {})
        if request.namespace and meta.get("namespace", request.namespace) != request.namespace:
            raise _error(400, "BadRequest", "the namespace of the object does not match the namespace of the URL")
        namespace = (request.namespace or meta.get("namespace")) if info.namespaced is not False else None
        meta.pop("namespace", None)  # set below if the resource is namespaced, dropped if it is cluster-wide
        name = meta.get("name") or _generated_name(meta.get("generateName"))
        key = (request.resource, namespace, name)
        if key in self._objects and not self._objects[key].deleted:
            raise _error(409, "AlreadyExists", f'{_noun(request)} "{name}" already exists', request, name)
        if "status" in info.subresources:
            body.pop("status", None)  # set only through the status subresource
        body.setdefault("apiVersion", _api_version(request.resource))
        body.setdefault("kind", info.kind)
        meta.update(name=name, uid=str(uuid.uuid4()), resourceVersion=self._next_version(), generation=1)
        meta.update(creationTimestamp=_now(), **({"namespace": namespace} if namespace is not None else {}))
        if key in self._objects:
            self._objects[key].create(body)
        else:
            self._objects[key] = body
        if request.resource == CRDS:
            self.declare_crd(body)
        await self._publish(request, "ADDED", body)
        return body

    async def _update(self, request: kmock.Request, info: kmock.ResourceInfo, obj: kmock.Object) -> Body:
        old = copy.deepcopy(obj.raw)
        patched = _patched(old, request)
        if patched.get("metadata", {}).get("resourceVersion") != old["metadata"]["resourceVersion"]:
            message = (
                f'Operation cannot be fulfilled on {_noun(request)} "{request.name}": the object has been modified'
            )
            raise _error(409, "Conflict", message, request, request.name)
        if request.subresource == "status":  # only the status changes, the rest is ignored
            new = {**old, "status": patched.get("status")}
        elif "status" in info.subresources:  # the status is ignored, it changes only via its subresource
            new = {**patched, "status": old.get("status")}
        else:
            new = patched
        new = {key: value for key, value in new.items() if value is not None}
        owned = {key: value for key, value in old["metadata"].items() if key in _SERVER_OWNED}
        new["metadata"] = {**new.get("metadata", {}), **owned}
        if new == old:
            return old  # a no-op: no new version, no watch event
        if _essence(new, info) != _essence(old, info):
            new["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
        new["metadata"]["resourceVersion"] = self._next_version()
        obj.history.append(new)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            obj.delete()
            await self._publish(request, "DELETED", new)
        else:
            await self._publish(request, "MODIFIED", new)
        return new

    async def _delete(self, request: kmock.Request, obj: kmock.Object) -> Body:
        old = obj.raw
        if old["metadata"].get("deletionTimestamp"):
            return old  # already being deleted, waiting for its finalizers
        new = copy.deepcopy(old)
        new["metadata"]["resourceVersion"] = self._next_version()
        if old["metadata"].get("finalizers"):
            new["metadata"].update(deletionTimestamp=_now(), deletionGracePeriodSeconds=0)
            new["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
            obj.history.append(new)
            await self._publish(request, "MODIFIED", new)
        else:
            obj.delete()
            await self._publish(request, "DELETED", new)
        return new

    async def _serve_create(self, request: kmock.Request) -> kmock.Payload:
        return rendering.Response(status=201, payload=self._outcomes[request])

    async def _serve_update(self, request: kmock.Request) -> kmock.Payload:
        if request not in self._outcomes:  # e.g. PUT to a whole collection
            raise _error(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        return self._outcomes[request]

    async def _serve_delete(self, request: kmock.Request) -> kmock.Payload:
        return self._outcomes[request]

    async def _serve_fetch(self, request: kmock.Request) -> kmock.Payload:
        async with self._lock:
            return self._stored(request, self._declared(request)).raw

    async def _serve_list(self, request: kmock.Request) -> kmock.Payload:
        """Add what kmock leaves out: `kind`, `apiVersion` and the version to start a watch from."""
        info = self._declared(request)
        assert request.resource is not None and request.resource.plural is not None
        revision = str(self._revision)  # read before listing: a watch from it may repeat, never miss, changes
        listing = await super()._serve_list(request)
        assert isinstance(listing, Mapping)
        kind = info.kind or request.resource.plural.capitalize()
        api_version = _api_version(request.resource)
        return {**listing, "apiVersion": api_version, "kind": f"{kind}List", "metadata": {"resourceVersion": revision}}

    async def _serve_watch(self, request: kmock.Request) -> AsyncIterator[kmock.Payload]:
        """Replay the changes after `?resourceVersion=` (or every object without it), then stream new ones.

        Replaces kmock's watch, which replays the current objects whatever the version, and may lose a change
        made between that replay and its subscription. Changes publish under the lock, so here nothing slips.
        """
        assert request.resource is not None
        self._declared(request)
        since = request.params.get("resourceVersion") or "0"
        if not since.isdigit():
            raise _error(400, "BadRequest", f"invalid resource version: {since}")
        yield b""  # send the headers at once: a watch can stay quiet for long
        bus = self._buses[request.resource]
        async with self._lock:
            mark = await bus.mark()
            backlog = self._backlog(request, int(since))
        watch = asyncio.current_task()
        assert watch is not None
        self._watches.add(watch)  # for drop_watches(): cancelling the request's task closes its connection
        try:
            for event in backlog:
                yield event
            async for event in bus.stream(since=mark):
                if _selects(request, event["object"]):
                    yield event
        finally:
            self._watches.discard(watch)
            await bus.unmark(mark)

    def _backlog(self, request: kmock.Request, since: int) -> list[Body]:
        """What a watch starting at version `since` missed, or an `Expired` error if that is no longer known."""
        if not since:
            current = [obj.raw for key, obj in self._objects.items() if key[0] == request.resource and not obj.deleted]
            return [{"type": "ADDED", "object": body} for body in current if _selects(request, body)]
        if self._events and since < self._events[0][0] - 1:
            expired = _error(410, "Expired", f"too old resource version: {since} ({self._events[0][0] - 1})")
            return [{"type": "ERROR", "object": _status(expired)}]
        return [
            event
            for version, resource, event in self._events
            if version > since and resource == request.resource and _selects(request, event["object"])
        ]

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        """Name kmock's own 404s the way Kubernetes does (`reason: NotFound`), which clients match on."""
        if isinstance(exc, kmock.KubernetesNotFoundError):
            exc = _error(404, "NotFound", exc.message or "the server could not find the requested resource")
        return await super()._render_error(exc)

    def _declared(self, request: kmock.Request) -> kmock.ResourceInfo:
        if request.resource is None or request.resource not in self.resources:
            raise _error(404, "NotFound", "the server could not find the requested resource")
        info = self.resources[request.resource]
        if request.subresource is not None and request.subresource not in info.subresources:
            raise _error(404, "NotFound", "the server could not find the requested resource")
        return info

    def _stored(self, request: kmock.Request, info: kmock.ResourceInfo) -> kmock.Object:
        assert request.resource is not None and request.name is not None
        key = (request.resource, request.namespace if info.namespaced is not False else None, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise _error(404, "NotFound", f'{_noun(request)} "{request.name}" not found', request, request.name)
        return self._objects[key]

    def _next_version(self) -> str:
        self._revision += 1
        return str(self._revision)

    async def _publish(self, request: kmock.Request, kind: str, body: Body) -> None:
        assert request.resource is not None
        event = {"type": kind, "object": body}
        self._events.append((self._revision, request.resource, event))
        await self._buses[request.resource].put(event)


class _PromptlyStoppingServer(aiohttp.test_utils.RawTestServer):
    """aiohttp's test server, but stopping cancels open watches after `STOP_TIMEOUT` rather than 60 s."""

    async def _make_runner(self, debug: bool = True, **kwargs: Any) -> aiohttp.web.ServerRunner:
        server = aiohttp.web.Server(self._handler, loop=self._loop, debug=debug, **kwargs)
        return aiohttp.web.ServerRunner(server, debug=debug, shutdown_timeout=STOP_TIMEOUT, **kwargs)


class ApiServer:
    """A `KubernetesApi` over HTTP on 127.0.0.1 (a free port), in a thread of its own.

    Its own thread and event loop keep it apart from an in-process kopf, which on exit waits for, then cancels,
    every task created in its loop after it started (the server's connections included), and let sync code use it.
    Use it with `async with`, or `start()` and `stop()`. With `kubeconfig`, writes a kubeconfig file for it there.
    """

    def __init__(self, api: KubernetesApi | None = None, *, kubeconfig: pathlib.Path | None = None) -> None:
        self.api = api if api is not None else KubernetesApi()
        self.kubeconfig = kubeconfig
        self._url: str | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("The server is not started.")
        return self._url

    def start(self) -> ApiServer:
        started: concurrent.futures.Future[str] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(started),), name="kubernetes-standin", daemon=True
        )
        self._thread.start()
        self._url = started.result(timeout=30)
        if self.kubeconfig is not None:
            write_kubeconfig(self.kubeconfig, self._url)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join()
        self._url = self._thread = self._loop = self._stopping = None

    def connection_info(self) -> kopf.ConnectionInfo:
        return connection_info(self.url)

    def login(self, **_: Any) -> kopf.ConnectionInfo:
        """A kopf login handler: `kopf.on.login(registry=registry)(server.login)`."""
        return self.connection_info()

    async def __aenter__(self) -> ApiServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    async def _serve(self, started: concurrent.futures.Future[str]) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with self.api, kmock.Server(self.api, server_cls=_PromptlyStoppingServer) as server:
                started.set_result(str(server.url).rstrip("/"))
                await self._stopping.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise


def connection_info(url: str, *, namespace: str = "default") -> kopf.ConnectionInfo:
    """How kopf reaches the stand-in: plain HTTP, no credentials; events of cluster-wide objects go to `namespace`."""
    return kopf.ConnectionInfo(server=url, default_namespace=namespace)


def write_kubeconfig(path: pathlib.Path, url: str, *, namespace: str = "default") -> pathlib.Path:
    """Write a kubeconfig with one context for `url`, for the `kubernetes` client, kubectl and helm."""
    name = "kedawatch-standin"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}}],
        "users": [{"name": name, "user": {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        "current-context": name,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _patched(old: Body, request: kmock.Request) -> Body:
    """The object after the request's patch (or PUT), before the server's own rules apply."""
    content_type = next((value for key, value in request.headers.items() if key.lower() == "content-type"), "")
    media_type = content_type.split(";")[0].strip()
    if request.method == kmock.method.PUT:
        new = _json_object(request.data)
        new.setdefault("metadata", {}).setdefault("resourceVersion", old["metadata"]["resourceVersion"])
        return new
    if media_type == "application/json-patch+json":
        try:
            return _json_object(jsonpatch.apply_patch(old, request.data))
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise _error(422, "Invalid", f"the JSON patch cannot be applied: {exc}") from exc
    if media_type in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
        return _json_object(_merged(old, _json_object(request.data)))  # strategic: lists replaced, not merged
    raise _error(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}")


def _merged(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: `null` removes a key, objects merge, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merged(result.get(key), value)
    return result


def _essence(body: Body, info: kmock.ResourceInfo) -> Body:
    """What `generation` counts: all but metadata, and but status when status is a subresource."""
    ignored = {"metadata", "status"} if "status" in info.subresources else {"metadata"}
    return {key: value for key, value in body.items() if key not in ignored}


def _json_object(data: Any) -> Body:
    if not isinstance(data, dict):
        raise _error(400, "BadRequest", "the body of the request must be a JSON object")
    return copy.deepcopy(data)


def _generated_name(prefix: str | None) -> str:
    if not prefix:
        raise _error(422, "Invalid", "metadata.name: Required value: name or generateName is required")
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def _is_replace(request: kmock.Request) -> bool:
    return request.method == kmock.method.PUT and request.name is not None


async def _namespaces_request(
    raw_request: aiohttp.web.BaseRequest, name: str | None, subresource: str | None, number: int
) -> kmock.Request:
    """Parse a request for namespaces as kmock parses the others."""
    body = await raw_request.read()
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    method = kmock.method(raw_request.method)
    action = (
        kmock.action.WATCH if method == kmock.method.GET and raw_request.query.get("watch") == "true"
        else _ACTIONS.get((method, name is not None))
    )  # fmt: skip
    return kmock.Request(
        id=number, raw_request=raw_request, url=raw_request.url, method=method, data=data, body=body,
        text=body.decode(errors="replace"), params=dict(raw_request.query), headers=dict(raw_request.headers),
        cookies=dict(raw_request.cookies), action=action, resource=NAMESPACES, name=name, subresource=subresource,
    )  # fmt: skip


def _json_line(body: Any) -> str:
    """A watch event as the API server streams it: one JSON document per line."""
    return json.dumps(body) + "\n"


def _selects(request: kmock.Request, body: Body) -> bool:
    meta = body.get("metadata", {})
    return request.namespace in (None, meta.get("namespace")) and request.name in (None, meta.get("name"))


def _status(error: kmock.KubernetesError) -> Body:
    """The `Status` object that Kubernetes puts in a failed response or in a watch's ERROR event."""
    return {
        "apiVersion": "v1",
        "kind": "Status",
        "metadata": {},
        "status": "Failure",
        "code": error.status,
        "reason": error.reason,
        "message": error.message,
        "details": error.details,
    }


def _api_version(resource: kmock.resource) -> str:
    return f"{resource.group}/{resource.version}" if resource.group else str(resource.version)


def _noun(request: kmock.Request) -> str:
    resource = request.resource
    assert resource is not None
    return f"{resource.plural}.{resource.group}" if resource.group else str(resource.plural)


def _error(
    status: int, reason: str, message: str, request: kmock.Request | None = None, name: str | None = None
) -> kmock.KubernetesError:
    """A Kubernetes `Status` failure, with the details clients read (the object's name, group and kind)."""
    resource = request.resource if request is not None else None
    details = {"name": name, "group": resource.group, "kind": resource.plural} if resource is not None else {}
    return kmock.KubernetesError(status, reason, message, details or {"causes": []})


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
