"""Generates the Python code for protos/ into paystream/ (one command: ./dev proto).

The generated package is committed so that a clean checkout imports without a build step; the
drift test regenerates into a temporary folder and compares byte for byte.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE = "paystream"
INIT_TEXT = '"""Generated from protos/ by `./dev proto`. Never edit by hand."""\n'


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def _plugin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def generate(out_dir: Path) -> None:
    """Writes the generated package `paystream` (with typed stubs) under out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        *[str(p.relative_to(PROTO_ROOT)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    package = out_dir / PACKAGE
    for folder in [package, *[p for p in package.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").write_text(INIT_TEXT)
    (package / "py.typed").write_text("")


def generated_files(root: Path) -> dict[str, bytes]:
    package = root / PACKAGE
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def regenerate_in_place() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        target = ROOT / PACKAGE
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(tmp) / PACKAGE, target)
    print(f"generated {PACKAGE}/ from {len(proto_files())} .proto files")


if __name__ == "__main__":
    regenerate_in_place()
