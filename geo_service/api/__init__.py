"""HTTP layer: routers parse, call a service, shape the response."""
