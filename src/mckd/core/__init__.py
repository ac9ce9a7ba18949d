"""Core records, errors, hashing and I/O shared by every layer (imports nothing heavy)."""
