"""The audit trail of every organisation: see `audit.trail` and `audit.models`."""
