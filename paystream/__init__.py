"""Generated from protos/ by `./dev proto`. Never edit by hand."""
