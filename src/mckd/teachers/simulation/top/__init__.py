"""Error model of the simulated teacher for TOP hierarchical semantic parsing."""
