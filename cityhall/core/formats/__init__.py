"""Date formats of our own for each language, over Django's (FORMAT_MODULE_PATH)."""
