"""The nightly maintenance window (SPEC M-3): the runner and the window's clock."""
