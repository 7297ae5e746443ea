"""Developer tools: the demo runner and the notebook builder."""
