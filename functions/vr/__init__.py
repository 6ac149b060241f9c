"""VR session signalling (SPEC V-1 ... V-4). No functions yet."""
