"""dlt sources, one package per system, shaped like dlt's verified sources."""
