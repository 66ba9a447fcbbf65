"""Deduplication internals shared by the dedup stages: MinHash signatures and banding,
connected components, and cross-document repeated spans."""
