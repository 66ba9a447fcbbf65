"""`kopile ingest`: web dumps (WARC, WET, JSON Lines, text) to the Parquet shards the stages read."""
