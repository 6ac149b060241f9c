"""Entry points, one folder per area; each folder's main.py is one deploy source."""
