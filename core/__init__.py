"""The bottom layer: errors, YAML configs, the document schema and shard I/O."""
