"""Reports: what a PDF says (`content`), how it is built (`render`), the background task
(`tasks`) and the consultant's portfolio with its peer aggregates (`portfolio`)."""
