"""Constituency parsing: treebank reading, linearisation, checking and the paper's metric."""
