"""The processes the manifests run, and the settings class each one loads, found by reading code.

A process's settings class is the first argument of its entry module's call to
`runtime.settings.load(...)`; until the entry module makes that call, a lone BaseSettings class in
the process's own `settings.py` stands in. Entry modules are parsed, never imported or run.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

# The six processes of ARCHITECTURE.md (one image, six commands) and the issue that builds each.
PROCESSES = {
    "payment": "issue #4",
    "order.api": "issue #6",
    "callback_gateway": "issue #5",
    "order.worker": "issue #6",
    "order.reconcile": "issue #7",
    "order.migrate": "issue #6",
}


@dataclass(frozen=True)
class Found:
    settings: type[BaseSettings]
    where: str


@dataclass(frozen=True)
class Missing:
    reason: str


def entry_file(module: str) -> Path | None:
    """The file `python -m module` runs, or None when there is none (yet)."""
    try:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations is not None:
            spec = importlib.util.find_spec(f"{module}.__main__")
    except ModuleNotFoundError:
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin)


def _loaded_class_name(tree: ast.Module) -> str | None:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "load" and isinstance(node.args[0], ast.Name):
            return node.args[0].id
    return None


def _imported_from(tree: ast.Module, name: str, package: str) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    prefix = ".".join(base) if node.level else ""
                    return ".".join(p for p in (prefix, node.module or "") if p)
    return None


def _settings_in(module_name: str, class_name: str | None = None) -> type[BaseSettings] | None:
    module = importlib.import_module(module_name)
    candidates = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module_name
        and (class_name is None or value.__name__ == class_name)
    ]
    return candidates[0] if len(candidates) == 1 else None


def settings_class(module: str) -> Found | Missing:
    """The BaseSettings class `python -m module` loads, or why it cannot be found yet."""
    entry = entry_file(module)
    if entry is None:
        return Missing(f"`python -m {module}` has no entry module yet ({PROCESSES[module]})")
    tree = ast.parse(entry.read_text(), filename=str(entry))
    is_main = entry.name == "__main__.py"
    package = module if is_main else module.rpartition(".")[0]
    class_name = _loaded_class_name(tree)
    if class_name is not None:
        source = _imported_from(tree, class_name, package)
        if source is None and not is_main:
            source = module
        found = _settings_in(source, class_name) if source else None
        if found is not None:
            return Found(found, f"{entry.name}: load({class_name})")
    settings_file = entry.parent / "settings.py" if is_main else None
    if settings_file is not None and settings_file.exists():
        found = _settings_in(f"{module}.settings")
        if found is not None:
            return Found(found, f"{module}.settings (the entry module does not load it yet)")
    return Missing(
        f"{module} loads no settings class yet: {entry.name} calls no "
        f"runtime.settings.load(...) and there is no lone BaseSettings in a settings.py "
        f"({PROCESSES[module]})"
    )


def env_names(settings: type[BaseSettings]) -> dict[str, str]:
    """Environment variable (upper case) → field name, as pydantic-settings reads them."""
    prefix = str(settings.model_config.get("env_prefix") or "")
    names: dict[str, str] = {}
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        names[(alias or prefix + field_name).upper()] = field_name
    return names


def effective(settings: type[BaseSettings], env: dict[str, str], field_name: str) -> Any:
    """The value a field takes: the environment's, else the field's default."""
    for var, name in env_names(settings).items():
        if name == field_name and var in env:
            return env[var]
    return settings.model_fields[field_name].get_default(call_default_factory=True)
