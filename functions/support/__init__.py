"""Support, service levels and nightly maintenance (SPEC S-*, M-*)."""
