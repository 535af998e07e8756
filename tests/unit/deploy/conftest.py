"""The rendered manifests, once per session: every overlay, and the base with every component.

The first run fetches the pinned kubectl into .stack/tools (devstack/k8s.py); later runs reuse it.
"""

from __future__ import annotations

import pytest

from devstack import k8s
from tests.unit.deploy.manifests import Doc

OVERLAYS = [p.name for p in k8s.overlays()]
EVERY_COMPONENT = "(every component)"


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Doc]]:
    """Overlay name → its documents, plus "(every component)" for the base with all components."""
    result = {name: k8s.documents(k8s.render(k8s.OVERLAYS / name)) for name in OVERLAYS}
    result[EVERY_COMPONENT] = k8s.documents(k8s.render_with_every_component())
    return result


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, rendered: dict[str, list[Doc]]) -> list[Doc]:
    """One overlay's rendered documents (parametrized over every overlay)."""
    docs: list[Doc] = rendered[request.param]
    return docs
