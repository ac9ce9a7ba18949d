"""Error model of the simulated teacher for constituency parsing (paper-form bracketings)."""
