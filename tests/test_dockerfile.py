"""The Dockerfile's rules that can be checked without a Docker engine (none runs on CI's machines)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.upper().startswith(keyword + " ")]


def test_base_images_are_pinned_slim_python_never_latest() -> None:
    bases = [line.split()[0] for line in instructions("FROM")]
    assert len(bases) == 2, "a build stage and a final stage"
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base


def test_final_stage_runs_as_a_fixed_non_root_user_without_build_tools() -> None:
    final = DOCKERFILE.split("\nFROM ")[-1]
    assert "USER 10001:10001" in final
    assert not re.search(r"apt-get install|gcc|build-essential", final)
    assert instructions("ENTRYPOINT") == ['["kedawatch"]']


def test_dependencies_come_from_the_lock_which_matches_pyproject() -> None:
    assert "-r requirements.lock" in DOCKERFILE and "--no-deps" in DOCKERFILE
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    locked = dict(canonical(line).split("==", 1) for line in lines if "==" in line)
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for pin in pins:
        name, version = canonical(pin).split("==")
        assert locked.get(name) == version, f"requirements.lock is stale for {name}: run deploy/lock.sh"


def canonical(requirement: str) -> str:
    """PEP 503 names: `prometheus_client` and `prometheus-client` are one package."""
    name, _, version = requirement.partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + "==" + version


def test_dockerignore_keeps_the_context_to_what_the_image_needs() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored
    assert {"!pyproject.toml", "!requirements.lock", "!kedawatch/"} <= set(ignored)
