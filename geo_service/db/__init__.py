"""Database layer: engine construction, models, migrations and bulk GeoDataFrame I/O."""
