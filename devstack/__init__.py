"""Developer tooling behind ./dev: the local stack, code generation, the test run. Not shipped."""

__all__: list[str] = []
