"""Pages of integrations: the list, an integration's page and form, its ingest tokens."""
