"""Deduplication internals shared by the dedup stages: MinHash signatures and banding,
grouping near duplicates around kept documents, and cross-document repeated spans."""
