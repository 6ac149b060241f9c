"""One module per entry point of the support area, so a function imports only its own
code: functions/support/main.py loads the one asked for on first access."""
