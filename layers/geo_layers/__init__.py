"""Presentation layers: rows or GeoDataFrames → GeoJSON dicts or folium layers.

Nothing here imports the web framework or the database; a layer only shapes data it is given.
"""
