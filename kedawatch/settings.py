"""Every tunable of kedawatch, as one dataclass of per-area dataclasses.

Settings are built once by the command line (`kedawatch.cli`) and passed in; no module reads them from a
global. Each field says its unit, its default and why. No I/O and no other kedawatch imports here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

__all__ = [
    "AwsSettings",
    "HubSettings",
    "LogSettings",
    "OperatorSettings",
    "PrometheusRuleSettings",
    "ScalerSettings",
    "ServerSettings",
]


@dataclasses.dataclass(frozen=True)
class AwsSettings:
    connect_timeout: float = 1.0
    """Seconds to open a connection to AWS. Short, so a dead endpoint fails well inside KEDA's 3 s."""
    read_timeout: float = 2.0
    """Seconds to wait for AWS's answer."""
    max_attempts: int = 2
    """Attempts per call, the first included, in botocore's standard retry mode. Not its adaptive mode: that
    one slows every later call of the client after a few throttles, which starved the scaler's reads in the
    soak benchmark; the scaler's cache and the operator's pacing already bound the call rate."""
    max_pool_connections: int = 32
    """HTTP connections kept per client; each AWS worker thread may hold one."""
    workers: int = 16
    """Threads that run AWS calls, so slow calls never block the event loop or each other."""


@dataclasses.dataclass(frozen=True)
class HubSettings:
    sqs_freshness: float = 5.0
    """Seconds an SQS queue depth is reused for GetMetrics and IsActive."""
    cloudwatch_late_data: float = 60.0
    """Seconds after each period boundary that a CloudWatch value read just after it is read once more, for the
    datapoints CloudWatch ingests late; otherwise a value is read once a period (half the period, if shorter).
    A datapoint landing later than this is served from the next boundary's read."""
    cloudwatch_push_interval: float = 15.0
    """Seconds between StreamIsActive checks of a CloudWatch value (its period, if shorter): checks between its
    reads are answered from cache, so they cost nothing."""
    promql_freshness: float = 15.0
    """Seconds a PromQL answer is reused, and between StreamIsActive checks of an inactive PromQL trigger: one
    request per distinct query per window. 15 s is KEDA's HPA sync, so each sync sees an answer at most one
    sync old, as KEDA's prometheus scaler gives it at its 30 s poll."""
    sqs_push_interval: float = 2.0
    """Seconds between StreamIsActive checks of an SQS queue; each check reads a value this fresh."""
    gather_delay: float = 0.02
    """Seconds without a new CloudWatch query after which the gathered ones go out in one GetMetricData."""
    gather_limit: float = 0.25
    """Seconds at most that a query waits for others to join its GetMetricData."""
    error_ttl: float = 1.0
    """Seconds an AWS failure is answered from cache, so a broken trigger cannot hammer AWS."""
    stale_limit: float = 120.0
    """Seconds the last good value is still answered while AWS is throttling, failing or unreachable; after
    that, UNAVAILABLE. 0 answers every such failure at once. Missing queues and denials are never masked."""
    stale_wait: float = 1.0
    """Seconds a read waits for AWS when it has a good value to fall back on: with one, no answer to KEDA
    needs to come near its 3 s deadline, even on a busy node."""
    retain: float = 900.0
    """Seconds an unused cached value is kept before it is dropped, bounding memory as triggers go."""
    rpc_timeout: float = 2.5
    """Seconds an RPC waits for AWS before answering UNAVAILABLE: inside KEDA's 3 s HPA deadline."""


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    host: str = "0.0.0.0"
    port: int = 9090
    """gRPC port for KEDA; the standard health service and reflection are served on it too."""
    metrics_port: int = 8080
    """Prometheus /metrics port; 0 turns it off."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    """When set, clients must present a certificate signed by this CA (mTLS)."""
    max_streams: int = 10_000
    """StreamIsActive streams open at once, at most; more are refused with RESOURCE_EXHAUSTED. One per
    external-push trigger: a flood of opens cannot exhaust the scaler's memory or event loop."""
    grace: float = 5.0
    """Seconds in-flight RPCs get to finish on shutdown."""
    region: str | None = None
    """The scaler's own region: the default for triggers without awsRegion. Falls back to AWS_REGION."""
    policy: Path | None = None
    """The tenant policy file (`kedawatch.tenancy`); None applies the defaults: no awsRoleArn, no awsEndpoint."""
    cluster_name: str = "kubernetes"
    """This cluster's name, as the operator's: in the session tags and external ids of the roles the scaler
    assumes for a namespace, so that a role's trust policy can tell this cluster's namespaces from another's."""


@dataclasses.dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
    json: bool = False
    """One JSON object per line, for log pipelines."""


@dataclasses.dataclass(frozen=True)
class ScalerSettings:
    server: ServerSettings = dataclasses.field(default_factory=ServerSettings)
    hub: HubSettings = dataclasses.field(default_factory=HubSettings)
    aws: AwsSettings = dataclasses.field(default_factory=AwsSettings)
    logs: LogSettings = dataclasses.field(default_factory=LogSettings)


@dataclasses.dataclass(frozen=True)
class PrometheusRuleSettings:
    enabled: bool = False
    """Reconcile prometheus-operator's PrometheusRule objects (those opted in) into CloudWatch PromQL alarms. Off by
    default: kedawatch does not own that kind, and a cluster that runs Prometheus must not be alerted twice."""
    routes: Path | None = None
    """The alert-routing table (`kedawatch.operator.alert_routes`, JSON): which actions each alarm calls, by its
    labels. None: no route, so the alarms call no action (their state still shows)."""
    default_interval: int = 60
    """Seconds between evaluations of the alarms of a rule group that sets no `interval`: Prometheus's own default
    `evaluation_interval` (1m). Must be one CloudWatch takes: 10, 20, 30 or a multiple of 60, at most 3600."""


@dataclasses.dataclass(frozen=True)
class OperatorSettings:
    cluster_name: str = "kubernetes"
    """Names alarms (`<cluster>/<namespace>/<name>`) and marks them as this cluster's in their tags."""
    region: str | None = None
    """The region of alarms that name none. Falls back to AWS_REGION."""
    namespaces: tuple[str, ...] = ()
    """Namespaces to watch; none means all."""
    state_interval: float = 60.0
    """Seconds between copies of each alarm's state into its status (one batched read for all alarms)."""
    drift_interval: float = 300.0
    """Seconds between checks that AWS still holds each alarm as declared, repairing any drift."""
    write_rate: float | None = None
    """Calls a second at most of each AWS write operation in each region, in place of its quota (None: each keeps
    to its own, `kedawatch.aws.quotas`: PutMetricAlarm 3, PutDashboard 10, ...): for an account whose quotas were
    raised, or to leave room for other clients of the account. Rounded down, at least 1."""
    read_rate: float | None = None
    """The same for reads (DescribeAlarms 9, ListTagsForResource and GetResources 3, ...)."""
    metrics_host: str = "0.0.0.0"
    """Address the Prometheus /metrics server listens on."""
    metrics_port: int = 8080
    """The operator's Prometheus /metrics port; 0 turns it off."""
    scaler_address: str = "kedawatch-scaler.kedawatch.svc.cluster.local:9090"
    """Where KEDA reaches the scaler: the `scalerAddress` of generated ScaledObjects (the chart sets it)."""
    scaler_tls: bool = False
    """Generated triggers ask KEDA for TLS to the scaler (`enableTLS: "true"`)."""
    scaler_authentication: str | None = None
    """`Kind/name` of the (Cluster)TriggerAuthentication holding KEDA's client certificate for mTLS."""
    policy: Path | None = None
    """The tenant policy file (`kedawatch.tenancy`); None applies the defaults: alarm actions in the cluster's
    own account only, no role assumption for AppObservability triggers."""
    account_id: str | None = None
    """The cluster's own AWS account, `{account}` in the policy; None asks STS (GetCallerIdentity) at start."""
    log_query_role_arn: str | None = None
    """The IAM role CloudWatch runs a log alarm's scheduled query as when the alarm names none (`queryRoleArn`); the
    cluster admin scopes it to the log groups the tenant policy allows. None: every log alarm must name its own."""
    liveness: str | None = None
    """kopf's liveness endpoint, e.g. http://0.0.0.0:8081/healthz."""
    peering: str | None = None
    """A kopf peering name for high availability (one active replica); None runs standalone."""
    priority: int | None = None
    """This replica's peering priority; None picks a random one, since kopf pauses every peer of equal
    priority: with two replicas and no priorities, neither would work."""
    prometheus_rules: PrometheusRuleSettings = dataclasses.field(default_factory=PrometheusRuleSettings)
    aws: AwsSettings = dataclasses.field(default_factory=AwsSettings)
    logs: LogSettings = dataclasses.field(default_factory=LogSettings)
