"""Slot filling (SNIPS, ATIS): BIO tags per word, chunk F1. See :mod:`.task`."""
