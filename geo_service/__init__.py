"""geo_service: find, map and plan trade-union service facilities (工会驿站 and more)."""

__version__ = "0.1.0"
