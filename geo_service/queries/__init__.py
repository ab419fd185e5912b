"""SQL for each use case (SQLAlchemy Core + GeoAlchemy2). Dialect differences live here and only here."""
