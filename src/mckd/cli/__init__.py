"""The ``mckd`` command. The only code that prints and chooses exit codes."""
