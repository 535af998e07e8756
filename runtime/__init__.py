"""What every paystream process shares: settings that fail loudly, JSON logs, metrics."""

__all__: list[str] = []
