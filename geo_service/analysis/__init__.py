"""Pure spatial analysis: GeoPandas/Shapely/NumPy only, no database, no web framework."""
