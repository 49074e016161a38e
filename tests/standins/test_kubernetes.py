"""The Kubernetes stand-in behaves as the official client and an in-process kopf operator expect of a real API."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import pathlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar, cast

import aiohttp
import kmock
import kopf
import kubernetes
import pytest
from kubernetes.client import (
    ApiClient,
    ApiException,
    ApiextensionsV1Api,
    CoreV1Api,
    CustomObjectsApi,
    V1CustomResourceDefinition,
    V1Namespace,
    V1ObjectMeta,
)

from kedawatch.standins import kubernetes as standin

T = TypeVar("T")
Body = dict[str, Any]

GROUP, VERSION, PLURAL = "example.com", "v1", "widgets"
NAMESPACE = "testing"
FINALIZER = "kopf.zalando.org/KopfFinalizerMarker"
JSON_PATCH = "application/json-patch+json"


def crd(plural: str = PLURAL, kind: str = "Widget") -> Body:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "shortNames": [plural[:2]]},
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    }


def widget(name: str = "w1", size: int = 1, **metadata: Any) -> Body:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Widget",
        "metadata": {"name": name, **metadata},
        "spec": {"size": size},
    }


class Widgets:
    """The official client's calls for one custom resource, run off the event loop, typed as the dicts they are."""

    def __init__(self, client: ApiClient, plural: str = PLURAL) -> None:
        self.api = CustomObjectsApi(client)
        self.plural = plural

    async def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Body:
        return cast(Body, await asyncio.to_thread(method, GROUP, VERSION, *args, **kwargs))

    async def create(self, body: Body) -> Body:
        return await self.call(self.api.create_namespaced_custom_object, NAMESPACE, self.plural, body)

    async def get(self, name: str = "w1") -> Body:
        return await self.call(self.api.get_namespaced_custom_object, NAMESPACE, self.plural, name)

    async def list(self, **kwargs: Any) -> Body:
        return await self.call(self.api.list_namespaced_custom_object, NAMESPACE, self.plural, **kwargs)

    async def patch(self, body: Any, *, content_type: str | None = None, status: bool = False) -> Body:
        method = self.api.patch_namespaced_custom_object_status if status else self.api.patch_namespaced_custom_object
        return await self.call(method, NAMESPACE, self.plural, "w1", body, _content_type=content_type)

    async def replace(self, body: Body) -> Body:
        return await self.call(self.api.replace_namespaced_custom_object, NAMESPACE, self.plural, "w1", body)

    async def delete(self, name: str = "w1") -> Body:
        return await self.call(self.api.delete_namespaced_custom_object, NAMESPACE, self.plural, name)


@pytest.fixture
async def server(tmp_path: pathlib.Path) -> AsyncIterator[standin.ApiServer]:
    api = standin.KubernetesApi()
    api.declare_crd(crd())
    async with standin.ApiServer(api, kubeconfig=tmp_path / "kubeconfig") as server:
        yield server


@pytest.fixture
def client(server: standin.ApiServer) -> Iterator[ApiClient]:
    assert server.kubeconfig is not None
    config_file = str(server.kubeconfig)
    with kubernetes.config.new_client_from_config(config_file=config_file) as client:
        yield client


@pytest.fixture
def widgets(client: ApiClient) -> Widgets:
    return Widgets(client)


async def failure(call: Awaitable[Any]) -> tuple[int, Body]:
    """The HTTP status and the Kubernetes `Status` body of a call that must fail."""
    with pytest.raises(ApiException) as raised:
        await call
    return int(raised.value.status), json.loads(raised.value.body or "{}")


async def until(read: Callable[[], Awaitable[T]], check: Callable[[T], bool], seconds: float = 10) -> T:
    """Read until the value passes `check`: the operator acts in its own time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not check(value := await read()):
        assert asyncio.get_running_loop().time() < deadline, f"still not as expected: {value!r}"
        await asyncio.sleep(0.05)
    return value


async def eventually(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Wait until `condition` holds: the operator acts in its own time."""
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


async def test_create_answers_201_with_uid_version_timestamp_generation_and_the_urls_namespace(
    widgets: Widgets,
) -> None:
    created, status, _ = await asyncio.to_thread(
        widgets.api.create_namespaced_custom_object_with_http_info, GROUP, VERSION, NAMESPACE, PLURAL, widget()
    )
    meta = cast(Body, created)["metadata"]
    assert status == 201
    assert meta["namespace"] == NAMESPACE
    assert meta["generation"] == 1
    assert meta["resourceVersion"].isdigit()
    assert len(meta["uid"]) == 36
    assert meta["creationTimestamp"].endswith("Z")
    assert await widgets.get() == created


async def test_create_with_generate_name_gets_a_fresh_name_each_time(widgets: Widgets) -> None:
    body = {"metadata": {"generateName": "w-"}, "spec": {}}
    first, second = await widgets.create(body), await widgets.create(body)
    assert first["metadata"]["name"].startswith("w-")
    assert first["metadata"]["name"] != second["metadata"]["name"]


async def test_create_of_an_existing_name_answers_409_already_exists(widgets: Widgets) -> None:
    await widgets.create(widget())
    status, body = await failure(widgets.create(widget()))
    assert status == 409
    assert body["kind"] == "Status"
    assert body["reason"] == "AlreadyExists"
    assert body["details"]["name"] == "w1"


async def test_get_of_a_missing_object_answers_404_not_found(widgets: Widgets) -> None:
    status, body = await failure(widgets.get("nope"))
    assert status == 404
    assert body["reason"] == "NotFound"
    assert body["message"] == 'widgets.example.com "nope" not found'


async def test_list_has_its_kind_api_version_and_resource_version(widgets: Widgets) -> None:
    created = await widgets.create(widget())
    listing = await widgets.list()
    assert listing["kind"] == "WidgetList"
    assert listing["apiVersion"] == "example.com/v1"
    assert listing["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert listing["items"] == [created]


async def test_merge_patch_of_the_spec_bumps_generation_and_of_metadata_only_the_version(widgets: Widgets) -> None:
    created = await widgets.create(widget())
    resized = await widgets.patch({"spec": {"size": 2}})
    labelled = await widgets.patch({"metadata": {"labels": {"a": "b"}}})
    unchanged = await widgets.patch({"metadata": {"labels": {"a": "b"}}})
    versions = [int(body["metadata"]["resourceVersion"]) for body in (created, resized, labelled, unchanged)]
    assert [body["metadata"]["generation"] for body in (created, resized, labelled)] == [1, 2, 2]
    assert versions[0] < versions[1] < versions[2] == versions[3]  # a no-op patch makes no new version
    assert labelled["spec"] == {"size": 2}


async def test_merge_patch_removes_keys_set_to_null_and_replaces_lists(widgets: Widgets) -> None:
    await widgets.create({**widget(), "spec": {"size": 1, "tags": ["a", "b"], "extra": {"x": 1}}})
    patched = await widgets.patch({"spec": {"tags": ["c"], "extra": None}})
    assert patched["spec"] == {"size": 1, "tags": ["c"]}


async def test_status_changes_only_through_its_subresource(widgets: Widgets) -> None:
    created = await widgets.create({**widget(), "status": {"phase": "ignored on create"}})
    main = await widgets.patch({"status": {"phase": "ignored on the main resource"}})
    status = await widgets.patch({"spec": {"size": 9}, "status": {"phase": "Ready"}}, status=True)
    assert "status" not in created
    assert main == created  # nothing else changed, so not even a new version
    assert status["status"] == {"phase": "Ready"}
    assert status["spec"] == {"size": 1}
    assert status["metadata"]["generation"] == 1


async def test_json_patch_applies_when_its_version_test_passes_and_answers_422_when_not(widgets: Widgets) -> None:
    created = await widgets.create(widget())
    ops = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": created["metadata"]["resourceVersion"]},
        {"op": "add", "path": "/metadata/finalizers", "value": ["example.com/keep"]},
    ]
    patched = await widgets.patch(ops, content_type=JSON_PATCH)
    status, body = await failure(widgets.patch(ops, content_type=JSON_PATCH))
    assert patched["metadata"]["finalizers"] == ["example.com/keep"]
    assert (status, body["reason"]) == (422, "Invalid")  # as Kubernetes answers, and as kopf expects to retry


async def test_merge_patch_with_a_stale_resource_version_answers_409_conflict(widgets: Widgets) -> None:
    created = await widgets.create(widget())
    await widgets.patch({"spec": {"size": 2}})
    status, body = await failure(
        widgets.patch({"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}, "spec": {"size": 3}})
    )
    assert (status, body["reason"]) == (409, "Conflict")
    assert (await widgets.get())["spec"] == {"size": 2}


async def test_replace_keeps_the_status_and_checks_the_version(widgets: Widgets) -> None:
    await widgets.create(widget())
    ready = await widgets.patch({"status": {"phase": "Ready"}}, status=True)
    replaced = await widgets.replace({**ready, "spec": {"size": 5}, "status": {"phase": "ignored"}})
    status, _ = await failure(widgets.replace({**ready, "spec": {"size": 6}}))
    assert replaced["spec"] == {"size": 5}
    assert replaced["status"] == {"phase": "Ready"}
    assert status == 409


async def test_delete_with_finalizers_marks_the_object_until_they_are_removed(widgets: Widgets) -> None:
    await widgets.create(widget(finalizers=["example.com/keep"]))
    marked = await widgets.delete()
    assert marked["metadata"]["deletionTimestamp"]
    assert (await widgets.get())["metadata"]["deletionTimestamp"] == marked["metadata"]["deletionTimestamp"]
    await widgets.patch({"metadata": {"finalizers": None}})
    status, _ = await failure(widgets.get())
    assert status == 404


async def test_watch_from_a_listed_version_sends_the_later_changes_each_with_its_version(widgets: Widgets) -> None:
    await widgets.create(widget())
    version = (await widgets.list())["metadata"]["resourceVersion"]
    resized = await widgets.patch({"spec": {"size": 2}})
    await widgets.delete()

    def watch() -> list[Body]:
        list_widgets = widgets.api.list_namespaced_custom_object
        stream = kubernetes.watch.Watch().stream(
            list_widgets, GROUP, VERSION, NAMESPACE, PLURAL, resource_version=version, _request_timeout=5
        )
        return [event for _, event in zip(range(2), stream, strict=False)]  # zip stops at range: no third read

    modified, deleted = await asyncio.to_thread(watch)  # connected after the changes, it still gets them
    assert (modified["type"], modified["raw_object"]) == ("MODIFIED", resized)
    assert deleted["type"] == "DELETED"
    assert int(deleted["raw_object"]["metadata"]["resourceVersion"]) > int(resized["metadata"]["resourceVersion"])


async def test_watch_from_a_version_older_than_the_kept_history_gets_410_expired() -> None:
    api = standin.KubernetesApi(history=2)
    api.declare_crd(crd())
    async with standin.ApiServer(api) as server, aiohttp.ClientSession(server.url) as session:
        for name in ("w1", "w2", "w3", "w4"):
            await session.post(f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}", json=widget(name))
        params = {"watch": "true", "resourceVersion": "1"}
        async with session.get(f"/apis/{GROUP}/{VERSION}/{PLURAL}", params=params) as watch:
            event = json.loads(await watch.content.readline())
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


async def test_stopping_the_server_closes_open_watches_at_once() -> None:
    server = standin.ApiServer().start()
    try:
        async with aiohttp.ClientSession(server.url) as session, session.get("/api/v1/namespaces?watch=true") as watch:
            loop = asyncio.get_running_loop()
            stopping = loop.time()
            await asyncio.to_thread(server.stop)
            assert loop.time() - stopping < 2  # aiohttp alone would wait 60 s for the watch to end
            with pytest.raises(aiohttp.ClientPayloadError):  # cut off: kopf takes it as a disconnect
                await watch.content.read()
    finally:
        server.stop()


async def test_an_injected_conflict_answers_a_status_and_changes_nothing_until_spent(
    server: standin.ApiServer, widgets: Widgets
) -> None:
    await widgets.create(widget())
    fault = server.api.fail(409, action=kmock.action.UPDATE, plural=PLURAL)
    status, body = await failure(widgets.patch({"spec": {"size": 2}}))
    patched = await widgets.patch({"spec": {"size": 3}})
    assert (status, body["kind"], body["reason"], body["details"]["name"]) == (409, "Status", "Conflict", "w1")
    assert patched["spec"] == {"size": 3}
    assert patched["metadata"]["generation"] == 2  # the failed patch made no version of its own
    assert fault.remaining == 0


async def test_a_burst_of_500s_fails_only_as_many_matching_requests(
    server: standin.ApiServer, widgets: Widgets
) -> None:
    fault = server.api.fail(500, times=2, action=kmock.action.CREATE)
    first, second = await failure(widgets.create(widget("w1"))), await failure(widgets.create(widget("w2")))
    listed = await widgets.list()  # not a create: answered as usual
    created = await widgets.create(widget("w3"))
    assert [first[0], second[0], first[1]["reason"]] == [500, 500, "InternalError"]
    assert listed["items"] == []
    assert (await widgets.list())["items"] == [created]
    assert fault.remaining == 0


async def test_an_injected_410_on_a_watch_is_an_expired_error_event_as_kopf_expects(server: standin.ApiServer) -> None:
    server.api.fail(410, action=kmock.action.WATCH)
    async with aiohttp.ClientSession(server.url) as session:
        params = {"watch": "true", "resourceVersion": "1"}
        async with session.get(f"/apis/{GROUP}/{VERSION}/{PLURAL}", params=params) as watch:
            event = json.loads(await watch.content.readline())
            rest = await watch.content.read()
    assert watch.status == 200
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert rest == b""  # the stream ends there: the client must list again


async def test_dropped_watches_are_cut_and_resume_from_their_last_version_without_loss(
    server: standin.ApiServer, widgets: Widgets
) -> None:
    url = f"/apis/{GROUP}/{VERSION}/{PLURAL}"
    async with aiohttp.ClientSession(server.url) as session:
        async with session.get(url, params={"watch": "true"}) as watch:
            created = await widgets.create(widget())
            added = json.loads(await watch.content.readline())
            assert server.api.drop_watches() == 1
            with pytest.raises(aiohttp.ClientPayloadError):  # cut off mid-stream, as kopf sees a lost connection
                await watch.content.read()
        resized = await widgets.patch({"spec": {"size": 2}})  # while no watch is open
        params = {"watch": "true", "resourceVersion": added["object"]["metadata"]["resourceVersion"]}
        async with session.get(url, params=params) as resumed:
            modified = json.loads(await resumed.content.readline())
    assert added == {"type": "ADDED", "object": created}
    assert modified == {"type": "MODIFIED", "object": resized}


async def test_posting_a_crd_serves_its_resource_and_discovery_shows_it(client: ApiClient) -> None:
    definition = V1CustomResourceDefinition.from_dict(crd("gadgets", "Gadget"))
    assert definition is not None
    await asyncio.to_thread(ApiextensionsV1Api(client).create_custom_resource_definition, definition)
    created = await Widgets(client, "gadgets").create({"metadata": {"name": "g1"}})
    discovered = await asyncio.to_thread(CustomObjectsApi(client).get_api_resources, GROUP, VERSION)
    assert created["kind"] == "Gadget"
    assert {"gadgets", "gadgets/status", "widgets", "widgets/status"} <= {
        resource.name for resource in discovered.resources
    }


async def test_builtin_kinds_are_served_without_declaring_them(client: ApiClient) -> None:
    core = CoreV1Api(client)
    await asyncio.to_thread(core.create_namespace, V1Namespace(metadata=V1ObjectMeta(name=NAMESPACE)))
    namespaces = await asyncio.to_thread(core.list_namespace)
    namespace = await asyncio.to_thread(core.read_namespace, NAMESPACE)
    status, _ = await failure(asyncio.to_thread(core.read_namespace, "nope"))
    assert [namespace.metadata.name for namespace in namespaces.items if namespace.metadata] == [NAMESPACE]
    assert namespaces.metadata and namespaces.metadata.resource_version
    assert namespace.metadata and namespace.metadata.uid
    assert status == 404


@dataclasses.dataclass
class Calls:
    """What the test operator's handlers saw."""

    created: list[int] = dataclasses.field(default_factory=list)
    updated: list[int] = dataclasses.field(default_factory=list)
    deleted: list[str] = dataclasses.field(default_factory=list)
    ticks: int = 0


def widget_operator(server: standin.ApiServer, calls: Calls) -> kopf.OperatorRegistry:
    """A tiny operator for widgets: it records its handlers' calls and posts one event of its own."""
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(server.login)

    @kopf.on.create(GROUP, VERSION, PLURAL, id="sized", registry=registry)
    async def sized(spec: kopf.Spec, body: kopf.Body, **_: Any) -> dict[str, int]:
        calls.created.append(spec["size"])
        kopf.info(body, reason="Sized", message=f"size {spec['size']}")
        return {"size": spec["size"]}

    @kopf.on.update(GROUP, VERSION, PLURAL, id="resized", registry=registry)
    async def resized(meta: kopf.Meta, **_: Any) -> None:
        calls.updated.append(meta["generation"])

    @kopf.on.delete(GROUP, VERSION, PLURAL, id="removed", registry=registry)
    async def removed(name: str | None, **_: Any) -> None:
        calls.deleted.append(str(name))

    @kopf.timer(GROUP, VERSION, PLURAL, id="tick", interval=0.1, registry=registry)
    async def tick(**_: Any) -> None:
        calls.ticks += 1

    return registry


@contextlib.contextmanager
def operating(server: standin.ApiServer, calls: Calls, **scope: Any) -> Iterator[None]:
    """Run the test operator in-process against the stand-in; stop it on exit.

    In a thread with its own event loop: when kopf stops, it waits 5 s for, then cancels, every task created in
    its loop after it started, and in pytest's loop that would include the test's own teardown.
    """
    settings = kopf.OperatorSettings()
    settings.peering.standalone = True  # no peering resources needed
    stop, ready = threading.Event(), threading.Event()
    running = kopf.operator(
        registry=widget_operator(server, calls), settings=settings, stop_flag=stop, ready_flag=ready, **scope
    )
    thread = threading.Thread(target=asyncio.run, args=(running,), name="kopf")
    thread.start()
    try:
        assert ready.wait(timeout=10)
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture
def operator(server: standin.ApiServer) -> Iterator[Calls]:
    calls = Calls()
    with operating(server, calls, clusterwide=True):
        yield calls


async def test_kopf_runs_create_update_and_delete_handlers_through_its_finalizer(
    operator: Calls, widgets: Widgets, client: ApiClient, server: standin.ApiServer
) -> None:
    await widgets.create(widget(size=3))
    done = await until(widgets.get, lambda body: "sized" in body.get("status", {}))
    assert FINALIZER in done["metadata"]["finalizers"]
    assert done["status"]["sized"] == {"size": 3}
    assert operator.created == [3]

    async def events() -> list[Any]:
        return list((await asyncio.to_thread(CoreV1Api(client).list_namespaced_event, NAMESPACE)).items)

    posted = await until(events, lambda items: any(event.reason == "Sized" for event in items))
    sized = next(event for event in posted if event.reason == "Sized")
    assert (sized.involved_object.name, sized.involved_object.kind, sized.message) == ("w1", "Widget", "size 3")

    await widgets.patch({"spec": {"size": 4}})
    await eventually(lambda: operator.updated == [2])

    await widgets.delete()
    await until(widgets.list, lambda listing: not listing["items"])
    assert operator.deleted == ["w1"]
    assert not [error for error in server.api.errors if getattr(error, "status", 500) >= 500]


async def test_kopf_timer_fires_repeatedly(operator: Calls, widgets: Widgets) -> None:
    await widgets.create(widget())
    await eventually(lambda: operator.ticks >= 3)


async def test_kopf_serving_a_namespace_pattern_lists_and_watches_namespaces(
    server: standin.ApiServer, client: ApiClient, widgets: Widgets
) -> None:
    calls = Calls()
    with operating(server, calls, namespaces=["test*"]):
        await asyncio.to_thread(CoreV1Api(client).create_namespace, V1Namespace(metadata=V1ObjectMeta(name=NAMESPACE)))
        await widgets.create(widget())
        await eventually(lambda: calls.created == [1])


async def test_login_points_kopf_at_the_server(server: standin.ApiServer) -> None:
    info = server.login()
    assert info.server == server.url
    assert info.server.startswith("http://127.0.0.1:")
    assert info.default_namespace == "default"
