"""Use cases, one function each; no web framework imports, so the CLI and the API share them."""
