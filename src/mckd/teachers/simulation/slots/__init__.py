"""Error model of the simulated teacher for slot filling (SNIPS-style BIO tags)."""
