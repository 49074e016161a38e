"""Runs the real helm on the chart: lint, and template parsed into objects.

Helm gets its own cache, config and data folders and no kubeconfig, so nothing outside the test's temporary
folder is read or written. Renders are cached per values, so each distinct set of values costs one helm run.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CHART", "KUBE_VERSION", "REPO", "Helm", "HelmFailed", "Manifest", "Rendered"]

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "kedawatch"
KUBE_VERSION = "1.32.0"
"""The Kubernetes version helm renders for and the schemas check against: the helm wheel's own kubectl's."""
NOTES_FILE = "notes-under-test.txt"

Manifest = dict[str, Any]


class HelmFailed(Exception):
    def __init__(self, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"helm {' '.join(args)} exited {result.returncode}:\n{result.stderr}{result.stdout}")
        self.stderr = result.stderr


@dataclasses.dataclass(frozen=True)
class Rendered:
    """The objects of one `helm template`, with lookups by kind and name."""

    objects: list[Manifest]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def one(self, kind: str, name: str) -> Manifest:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)} among {self.names()}"
        return found[0]

    def names(self) -> list[str]:
        return [f"{obj['kind']}/{obj['metadata']['name']}" for obj in self.objects]


class Helm:
    def __init__(self, binary: Path, home: Path) -> None:
        self.binary = binary
        self.home = home
        self._renders: dict[str, list[Manifest]] = {}
        self._notes_chart: Path | None = None
        for folder in ("cache", "config", "data"):
            (home / folder).mkdir(parents=True, exist_ok=True)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
            "KUBECONFIG": str(self.home / "no-kubeconfig"),
        }
        return subprocess.run([str(self.binary), *args], env=env, capture_output=True, text=True, timeout=60)

    def lint(self, values: Mapping[str, Any]) -> subprocess.CompletedProcess[str]:
        return self.run("lint", str(CHART), "--strict", "--kube-version", KUBE_VERSION, "-f", self._values_file(values))

    def template(
        self,
        values: Mapping[str, Any],
        *,
        release: str = "kedawatch",
        namespace: str = "kedawatch",
        include_crds: bool = False,
        chart: Path = CHART,
    ) -> Rendered:
        """The rendered objects; raises HelmFailed with helm's message when helm refuses the values."""
        args = ["template", release, str(chart), "--namespace", namespace, "--kube-version", KUBE_VERSION]
        args += ["-f", self._values_file(values), *(["--include-crds"] if include_crds else [])]
        key = json.dumps(args)
        if key not in self._renders:
            result = self.run(*args)
            if result.returncode != 0:
                raise HelmFailed(args, result)
            self._renders[key] = [obj for obj in yaml.safe_load_all(result.stdout) if obj]
        return Rendered(copy.deepcopy(self._renders[key]))

    def notes(self, values: Mapping[str, Any], *, release: str = "kedawatch", namespace: str = "kedawatch") -> str:
        """NOTES.txt as `helm install` prints it. Only an install shows notes, and even a client-side dry run
        needs a cluster, so a copy of the chart renders the same text through `tpl` into a ConfigMap."""
        rendered = self.template(values, release=release, namespace=namespace, chart=self._chart_with_notes())
        notes: str = rendered.one("ConfigMap", "notes-under-test")["data"]["notes"]
        return notes

    def _chart_with_notes(self) -> Path:
        if self._notes_chart is None:
            copied = self.home / "chart-with-notes"
            shutil.copytree(CHART, copied)
            (copied / "templates" / "NOTES.txt").rename(copied / NOTES_FILE)
            (copied / "templates" / "notes-under-test.yaml").write_text(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-under-test\ndata:\n"
                f'  notes: {{{{ tpl (.Files.Get "{NOTES_FILE}") . | toJson }}}}\n'
            )
            self._notes_chart = copied
        return self._notes_chart

    def _values_file(self, values: Mapping[str, Any]) -> str:
        text = yaml.safe_dump(dict(values), sort_keys=True)
        path = self.home / f"values-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
        path.write_text(text)
        return str(path)
