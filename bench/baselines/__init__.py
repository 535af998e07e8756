"""The baselines the stages are measured against, run as their own processes."""
