"""Reference central platform: receives hall events, serves configuration and appointments."""
