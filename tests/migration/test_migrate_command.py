"""`kedawatch migrate` as a user runs it: a real process, its stdout and its exit status."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.migration import checks
from tests.migration.manifests import hpa, stream

SAMPLE = checks.DATA / "k8s-cloudwatch-adapter"


def migrate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kedawatch", "migrate", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def unwrapped(output: str) -> str:
    """The output with each run of comment lines joined into one, as the notes read before wrapping: where
    the lines break depends on the length of the paths they name."""
    return re.sub(r"\n *# (?!!! )", " ", output)


@pytest.mark.parametrize(
    ("flags", "kind", "address"),
    [
        pytest.param([], "ScaledObject", "kedawatch-scaler.kedawatch.svc.cluster.local:9090", id="scaled objects"),
        pytest.param(["--scaler-address", "scaler.ops:9090"], "ScaledObject", "scaler.ops:9090", id="another scaler"),
        pytest.param(["--app"], "AppObservability", None, id="app observability"),
    ],
)
def test_the_adapters_sample_migrates_and_exits_0(flags: list[str], kind: str, address: str | None) -> None:
    answer = migrate("-f", SAMPLE / "hpa.yaml", SAMPLE / "externalmetric.yaml", *flags)
    assert answer.returncode == 0, answer.stderr
    (obj,) = [doc for doc in yaml.safe_load_all(answer.stdout) if doc]
    assert obj["kind"] == kind
    if address:
        assert obj["spec"]["triggers"][0]["metadata"]["scalerAddress"] == address
    assert "# replaces HorizontalPodAutoscaler default/sqs-consumer-scaler" in answer.stdout


def test_what_cannot_be_converted_is_marked_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [unclosed\n")
    lonely = tmp_path / "lonely.yaml"
    lonely.write_text(stream(hpa()))
    answer = migrate("-f", broken, "-f", lonely, SAMPLE / "consumer-deployment.yaml")
    assert answer.returncode == 1
    notes = unwrapped(answer.stdout)
    assert f"# !! {broken}: not read further, not valid YAML" in notes
    assert "# !! spec.metrics[0] (External): not carried over, no ExternalMetric orders-sent" in notes
    assert "skipped, nothing to convert" in notes
    assert "kedawatch migrate: 2 object(s) not wholly carried over: see the notes marked !!" in answer.stderr


def test_json_output_is_a_list_with_the_notes_on_stderr() -> None:
    answer = migrate("-f", SAMPLE / "hpa.yaml", SAMPLE / "externalmetric.yaml", "-o", "json")
    assert answer.returncode == 0
    listed = json.loads(answer.stdout)
    assert [item["kind"] for item in listed["items"]] == ["ScaledObject"]
    assert (
        "ScaledObject sqs-consumer-scaler: metadata.annotations.scaledobject.keda.sh/transfer-hpa-ownership:"
        in answer.stderr
    )


def test_a_missing_file_exits_1_naming_it(tmp_path: Path) -> None:
    answer = migrate("-f", tmp_path / "absent.yaml")
    assert answer.returncode == 1 and "absent.yaml" in answer.stderr and answer.stdout == ""
