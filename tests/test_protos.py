"""The committed gRPC stubs are exactly what `make protos` generates from `protos/`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_committed_stubs_match_a_fresh_generation(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "protos" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generate.generate(tmp_path)
    fresh = sorted((tmp_path / "kedawatch" / "proto").glob("*_pb2*"))
    assert fresh, "protoc generated nothing"
    for generated in fresh:
        committed = ROOT / "kedawatch" / "proto" / generated.name
        if committed.read_bytes() != generated.read_bytes():
            pytest.fail(f"{committed.relative_to(ROOT)} is stale: run `make protos` and commit the result")


def test_service_is_kedas_externalscaler_contract() -> None:
    from kedawatch.proto import externalscaler_pb2 as pb

    service = pb.DESCRIPTOR.services_by_name["ExternalScaler"]
    assert service.full_name == "externalscaler.ExternalScaler"
    methods = ["IsActive", "StreamIsActive", "GetMetricSpec", "GetMetrics", "StreamMetricSpec"]
    assert [method.name for method in service.methods] == methods
    for streaming in ("StreamIsActive", "StreamMetricSpec"):
        assert service.methods_by_name[streaming].server_streaming
    assert service.methods_by_name["StreamMetricSpec"].output_type.name == "GetMetricSpecResponse"
    assert service.methods_by_name["StreamMetricSpec"].input_type.name == "ScaledObjectRef"
    assert pb.MetricSpec.DESCRIPTOR.fields_by_name["targetSizeFloat"].number == 3
    assert pb.MetricValue.DESCRIPTOR.fields_by_name["metricValueFloat"].number == 3
