"""Per-document decisions: plain Python over strings, no Ray and no files."""
