"""The order domain: status rules as pure code. No I/O, no clock, no WeChat wire types."""

__all__: list[str] = []
