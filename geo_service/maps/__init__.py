"""Map pages: layers (layers/) composed into folium pages — public, nearby, coverage, their embeds and
the static export. Pages may call services; they never touch HTTP (geo_service.api.maps does)."""
