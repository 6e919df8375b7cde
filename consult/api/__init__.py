"""Public read-only JSON API (/api/v1): published data only, keyset pagination, OpenAPI 3.1."""
