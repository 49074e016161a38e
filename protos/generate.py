"""Generate the Python stubs for the protos in this folder: `make protos` runs it, and a test checks that
the committed stubs equal a fresh generation."""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PACKAGE = "kedawatch/proto"
"""The proto files are mapped into the package path, so the generated imports are absolute."""


def generate(out_dir: Path) -> None:
    for proto in sorted(HERE.glob("*.proto")):
        status = protoc.main(
            [
                "protoc",
                f"-I{PACKAGE}={HERE}",
                f"--python_out={out_dir}",
                f"--pyi_out={out_dir}",
                f"--grpc_python_out={out_dir}",
                str(proto),
            ]
        )
        if status != 0:
            raise SystemExit(f"protoc failed on {proto.name}")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent)
