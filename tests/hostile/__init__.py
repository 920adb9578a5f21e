"""Hostile inputs for tracetui, built into a temporary directory at test time."""
