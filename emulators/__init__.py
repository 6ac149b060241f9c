"""The local stack: emulators, the functions host and the demo seed."""
