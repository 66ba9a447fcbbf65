"""Jobs on one engine: a stage run, ingest, packing; the executor is the only Ray module."""
