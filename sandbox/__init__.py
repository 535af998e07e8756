"""A WeChat Pay sandbox that behaves like WeChat: for tests, the demo and the benchmarks."""

__all__: list[str] = []
