"""Hierarchical semantic parsing (TOP): bracketed intent/slot trees. See :mod:`.task`."""
