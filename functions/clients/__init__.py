"""Clients, catalogue, courses and logs (SPEC C-1 ... C-7). No functions yet."""
