"""kopile: Korean pretraining corpora from web dumps, on Ray.

The repository's folders are its subpackages (`core`, `filters`, `tokenizers_train`,
`pipeline`, `driver`), installed under this one name; see pyproject.toml.
"""

__version__ = "0.1.0"
