"""Repository tools (not installed): run from a checkout."""
