"""The `kedawatch` command: one subcommand per component.

Every flag can also be set by an environment variable: `KEDAWATCH_` and the flag's name in upper case with
underscores, e.g. `--metrics-port` is `KEDAWATCH_METRICS_PORT`. A flag given on the command line wins.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kedawatch import __version__, logs, settings, tenancy

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    return command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kedawatch", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"kedawatch {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _scaler_parser(commands.add_parser("scaler", help="serve KEDA's external scaler protocol"))
    _operator_parser(commands.add_parser("operator", help="run the alarm operator (kopf)"))
    _render_parser(commands.add_parser("render", help="print the objects the operator creates for AppObservability"))
    _migrate_parser(
        commands.add_parser("migrate", help="print kedawatch objects replacing k8s-cloudwatch-adapter HPAs")
    )
    definitions = commands.add_parser("crds", help="print the CustomResourceDefinitions (or write one file each)")
    definitions.add_argument("--write", type=Path, metavar="DIR", help="write <plural>.<group>.yaml files into DIR")
    definitions.set_defaults(command=_run_crds)
    demo = commands.add_parser("demo", help="replay a scaling scenario locally on stand-ins (needs the demo extra)")
    demo.add_argument("--speed", type=float, default=5.0, help="simulated seconds per second (default 5)")
    demo.add_argument(
        "--picture", type=Path, default=Path("kedawatch-demo.png"), metavar="PNG",
        help="draw the run into this PNG file (default kedawatch-demo.png)",
    )  # fmt: skip
    demo.set_defaults(command=_run_demo)
    return parser


def _flag(parser: argparse.ArgumentParser, name: str, *, default: Any, help: str, **kwargs: Any) -> None:
    """A flag whose default comes from its environment variable, then from `default`."""
    env = "KEDAWATCH_" + name.lstrip("-").replace("-", "_").upper()
    kind = kwargs.get("type", str)
    if kwargs.get("action") == "store_true":
        value: Any = os.environ.get(env, str(default)).lower() in ("1", "true", "yes")
    else:
        value = kind(os.environ[env]) if env in os.environ else default
    parser.add_argument(name, default=value, help=f"{help} [env {env}, default {default}]", **kwargs)


def _add_policy(parser: argparse.ArgumentParser) -> None:
    _flag(
        parser, "--policy", default=None, type=Path,
        help="tenant policy (JSON): roles, regions, endpoints and alarm actions per namespace; none: the defaults",
    )  # fmt: skip


def _add_logging(parser: argparse.ArgumentParser) -> None:
    _flag(parser, "--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    _flag(parser, "--log-json", default=False, action="store_true", help="log one JSON object per line")


def _scaler_parser(parser: argparse.ArgumentParser) -> None:
    defaults = settings.ScalerSettings()
    serving, hubbing = defaults.server, defaults.hub
    _flag(parser, "--host", default=serving.host, help="address to listen on")
    _flag(parser, "--port", default=serving.port, type=int, help="gRPC port for KEDA (health and reflection too)")
    _flag(
        parser,
        "--metrics-port",
        default=serving.metrics_port,
        type=int,
        help="Prometheus port; 0 turns it off",
    )
    _flag(parser, "--tls-cert", default=None, type=Path, help="server certificate (PEM); enables TLS")
    _flag(parser, "--tls-key", default=None, type=Path, help="server private key (PEM)")
    _flag(parser, "--tls-client-ca", default=None, type=Path, help="CA for client certificates; enables mTLS")
    _flag(parser, "--region", default=None, help="default awsRegion for triggers (else AWS_REGION)")
    _flag(
        parser,
        "--sqs-freshness",
        default=hubbing.sqs_freshness,
        type=float,
        help="seconds an SQS depth is reused",
    )
    _flag(
        parser, "--cloudwatch-late-data", default=hubbing.cloudwatch_late_data, type=float,
        help="seconds after each period boundary that a CloudWatch value is read once more, for late datapoints",
    )  # fmt: skip
    _flag(
        parser, "--cloudwatch-push-interval", default=hubbing.cloudwatch_push_interval, type=float,
        help="seconds between StreamIsActive checks of a CloudWatch value (answered from cache between reads)",
    )  # fmt: skip
    _flag(
        parser, "--promql-freshness", default=hubbing.promql_freshness, type=float,
        help="seconds a PromQL answer is reused, and between StreamIsActive checks of a PromQL trigger",
    )  # fmt: skip
    _flag(
        parser, "--sqs-push-interval", default=hubbing.sqs_push_interval, type=float,
        help="seconds between StreamIsActive checks of a queue",
    )  # fmt: skip
    _flag(
        parser, "--stale-limit", default=hubbing.stale_limit, type=float,
        help="seconds the last good value is answered while AWS fails; 0 turns it off",
    )  # fmt: skip
    _flag(parser, "--max-streams", default=serving.max_streams, type=int, help="streams open at most")
    _flag(
        parser, "--cluster-name", default=serving.cluster_name,
        help="this cluster's name: in the session tags and external ids of the roles assumed for a namespace",
    )  # fmt: skip
    _add_policy(parser)
    _add_logging(parser)
    parser.set_defaults(command=_run_scaler)


def _add_rendering(parser: argparse.ArgumentParser, region: str | None) -> None:
    """The operator's settings that what it generates depends on: `kedawatch render` takes them too."""
    defaults = settings.OperatorSettings()
    _flag(parser, "--cluster-name", default=defaults.cluster_name, help="names and tags this cluster's alarms")
    _flag(parser, "--region", default=region, help="region of alarms that name none (else AWS_REGION)")
    _flag(parser, "--scaler-address", default=defaults.scaler_address, help="scalerAddress of generated triggers")
    _flag(parser, "--scaler-tls", default=False, action="store_true", help="generated triggers use TLS to the scaler")
    _flag(
        parser, "--scaler-authentication", default=None,
        help="Kind/name of the TriggerAuthentication with KEDA's client certificate (mTLS)",
    )  # fmt: skip
    _flag(parser, "--log-query-role-arn", default=None, help="role log alarms' queries run as when they name none")


def _operator_parser(parser: argparse.ArgumentParser) -> None:
    defaults = settings.OperatorSettings()
    _add_rendering(parser, region=None)
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", action="append", default=[], help="a namespace to watch (repeatable)")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace (the default)")
    _flag(parser, "--standalone", default=False, action="store_true", help="no peering, even with --peering")
    _flag(parser, "--peering", default=None, help="kopf peering name for HA: one active replica")
    _flag(parser, "--priority", default=None, type=int, help="peering priority (default: random per replica)")
    _flag(parser, "--liveness", default=None, help="liveness endpoint, e.g. http://0.0.0.0:8081/healthz")
    _add_policy(parser)
    _flag(parser, "--account-id", default=None, help="own AWS account, {account} in the policy (else STS)")
    _flag(parser, "--state-interval", default=defaults.state_interval, type=float, help="seconds between state copies")
    _flag(parser, "--drift-interval", default=defaults.drift_interval, type=float, help="seconds between drift checks")
    _flag(
        parser, "--write-rate", default=defaults.write_rate, type=float,
        help="calls a second of each AWS write operation per region, in place of its AWS quota (none: the quota)",
    )  # fmt: skip
    _flag(
        parser, "--read-rate", default=defaults.read_rate, type=float,
        help="calls a second of each AWS read operation per region, in place of its AWS quota (none: the quota)",
    )  # fmt: skip
    _flag(parser, "--metrics-host", default=defaults.metrics_host, help="address the Prometheus server listens on")
    _flag(parser, "--metrics-port", default=defaults.metrics_port, type=int, help="Prometheus port; 0 turns it off")
    _add_prometheus_rules(parser, defaults.prometheus_rules)
    _add_logging(parser)
    parser.set_defaults(command=_run_operator)


def _add_prometheus_rules(parser: argparse.ArgumentParser, defaults: settings.PrometheusRuleSettings) -> None:
    _flag(
        parser, "--prometheus-rules", default=False, action="store_true",
        help="reconcile opted-in PrometheusRules (prometheus-operator's kind) into CloudWatch PromQL alarms",
    )  # fmt: skip
    _flag(parser, "--alert-routes", default=None, type=Path, help="alert-routing table (JSON) of their alarms")
    _flag(
        parser, "--default-rule-interval", default=defaults.default_interval, type=int,
        help="seconds between evaluations of the alarms of a rule group that sets no interval",
    )  # fmt: skip


def _operator_settings(args: argparse.Namespace) -> settings.OperatorSettings:
    """The operator's settings from whichever of its flags the subcommand has: built here only."""
    given = vars(args)
    values = {
        field.name: given[field.name] for field in dataclasses.fields(settings.OperatorSettings) if field.name in given
    }
    if "namespace" in given:
        values["namespaces"] = tuple(args.namespace)
    if given.get("standalone"):
        values["peering"] = None
    if "log_level" in given:
        values["logs"] = settings.LogSettings(level=args.log_level, json=args.log_json)
    if "prometheus_rules" in given:
        values["prometheus_rules"] = settings.PrometheusRuleSettings(
            enabled=args.prometheus_rules, routes=args.alert_routes, default_interval=args.default_rule_interval
        )
    return settings.OperatorSettings(**values)


def _run_operator(args: argparse.Namespace) -> int:
    from kedawatch.operator import run

    operator_settings = _operator_settings(args)
    logs.configure(operator_settings.logs)
    asyncio.run(run.run(operator_settings))
    return 0


def _run_scaler(args: argparse.Namespace) -> int:
    from kedawatch.scaler import server, sessions

    scaler_settings = settings.ScalerSettings(
        server=settings.ServerSettings(
            host=args.host,
            port=args.port,
            metrics_port=args.metrics_port,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            tls_client_ca=args.tls_client_ca,
            region=args.region,
            max_streams=args.max_streams,
            policy=args.policy,
            cluster_name=args.cluster_name,
        ),
        hub=settings.HubSettings(
            sqs_freshness=args.sqs_freshness,
            cloudwatch_late_data=args.cloudwatch_late_data,
            cloudwatch_push_interval=args.cloudwatch_push_interval,
            promql_freshness=args.promql_freshness,
            sqs_push_interval=args.sqs_push_interval,
            stale_limit=args.stale_limit,
        ),
        logs=settings.LogSettings(level=args.log_level, json=args.log_json),
    )
    logs.configure(scaler_settings.logs)
    try:
        asyncio.run(server.run(scaler_settings))
    except (tenancy.PolicyError, sessions.ClusterNameError) as exc:
        print(f"kedawatch scaler: {exc}", file=sys.stderr)
        return 2
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from kedawatch.demo import scenario

    logs.configure(settings.LogSettings(level="ERROR"))
    logging.getLogger("kopf").setLevel(logging.CRITICAL)  # its retries while the stand-ins shut down
    try:
        summary = asyncio.run(scenario.play(scenario.Scenario(speed=args.speed, picture=args.picture)))
    except KeyboardInterrupt:
        print("stopped")
        return 130
    return 0 if summary.peak_replicas == summary.max_replicas else 1


def _render_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", type=Path, required=True, help="YAML with AppObservability objects")
    parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    _add_rendering(parser, region="us-east-1")
    parser.set_defaults(command=_run_render)


def _run_render(args: argparse.Namespace) -> int:
    from kedawatch.operator.rendering import documents

    try:
        objects = documents.render_file(args.filename.read_text(), _operator_settings(args))
    except (OSError, ValueError) as exc:
        print(f"kedawatch render: {exc}", file=sys.stderr)
        return 1
    print(documents.dump(objects, args.output), end="")
    return 0


def _migrate_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f", "--filename", type=Path, nargs="+", action="extend", required=True, metavar="FILE",
        help="YAML with HorizontalPodAutoscalers, ExternalMetrics (metrics.aws) and cw.aws.com alarms",
    )  # fmt: skip
    parser.add_argument("--app", action="store_true", help="AppObservability objects instead of ScaledObjects")
    parser.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    _flag(
        parser, "--scaler-address", default=settings.OperatorSettings().scaler_address,
        help="scalerAddress of the ScaledObjects' triggers",
    )  # fmt: skip
    parser.set_defaults(command=_run_migrate)


def _run_migrate(args: argparse.Namespace) -> int:
    from kedawatch.migration import autoscalers, commented, migrating

    documents, results = [], []
    for path in args.filename:
        try:
            found, unread = migrating.load(path.read_text(), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"kedawatch migrate: {path}: {exc}", file=sys.stderr)
            return 1
        documents += found
        results += unread
    results += migrating.migrate(documents, autoscalers.Settings(args.scaler_address, app=args.app))
    if args.output == "json":
        print(commented.dump_json(results), end="")
        print("\n".join(commented.notes_text(results)), file=sys.stderr)
    else:
        print(commented.dump_yaml(results), end="")
    lost = sum(result.lost for result in results)
    if lost:
        print(
            f"kedawatch migrate: {lost} object(s) not wholly carried over: see the notes marked {commented.LOST_MARK}",
            file=sys.stderr,
        )
    return 1 if lost else 0


def _run_crds(args: argparse.Namespace) -> int:
    from kedawatch.operator.resources import crds

    if args.write is None:
        print("---\n".join(crds.render(definition) for definition in crds.DEFINITIONS), end="")
        return 0
    args.write.mkdir(parents=True, exist_ok=True)
    for definition in crds.DEFINITIONS:
        (args.write / f"{definition.name}.yaml").write_text(crds.render(definition))
    return 0
