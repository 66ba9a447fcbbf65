"""kopile: Korean pretraining corpora from web dumps, on Ray."""

__version__ = "0.1.0"
