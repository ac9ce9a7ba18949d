"""Reports read finished run directories only (``metrics.json``, ``manifest.json``) and write
markdown tables and PNG plots. They never import the pipeline, students or teachers."""
