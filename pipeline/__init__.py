"""The corpus pipeline: run configs, stages, dedup, ingest, and the jobs that run them."""
