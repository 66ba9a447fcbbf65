"""Word lists read by the filters (one entry a line, # for comments)."""
