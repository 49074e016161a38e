"""Each module's public names (`__all__`) are exactly what the rest of kedawatch, its tests and its benchmarks
use of it, as httpx's `test_exported_members`: a name others use is declared public, and a name declared
public is used. The uses are found in the source, as `from module import name` and `module.name`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kedawatch"
GENERATED = {"kedawatch.proto.externalscaler_pb2", "kedawatch.proto.externalscaler_pb2_grpc"}


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {dotted(path): path for path in PACKAGE.rglob("*.py")}
DEFINING = sorted(name for name, path in MODULES.items() if path.name not in ("__init__.py", "__main__.py"))


def sources() -> Iterator[tuple[str, ast.Module]]:
    for folder in ("kedawatch", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            yield dotted(path), ast.parse(path.read_text())


def uses() -> dict[str, set[str]]:
    """For each kedawatch module, the names other modules take from it."""
    used: dict[str, set[str]] = {name: set() for name in MODULES}
    for user, tree in sources():
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in MODULES and alias.asname:
                        aliases[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module in MODULES:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    if child in MODULES:
                        aliases[alias.asname or alias.name] = child
                    elif node.module != user:
                        used[node.module].add(alias.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                module = aliases[node.value.id]
                if module != user and f"{module}.{node.attr}" not in MODULES:
                    used[module].add(node.attr)
    return used


USES = uses()


def declared(module: str) -> list[str] | None:
    for node in ast.parse(MODULES[module].read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
                assert node.value is not None
                return list(ast.literal_eval(node.value))
    return None


@pytest.mark.parametrize("module", [name for name in DEFINING if name not in GENERATED])
def test_a_modules_public_names_are_what_others_use_of_it(module: str) -> None:
    names = declared(module)
    assert names is not None, f"{module} declares no __all__"
    assert names == sorted(names, key=lambda name: (not name.isupper(), not name[:1].isupper(), name)), (
        f"{module}.__all__ is not sorted as ruff sorts it"
    )
    assert set(names) == USES[module], (
        f"{module}: used by others but not in __all__: {sorted(USES[module] - set(names))};"
        f" in __all__ but used by none: {sorted(set(names) - USES[module])}"
    )
