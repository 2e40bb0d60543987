"""Serving: what people and tools read. The published read-only file for BI tools (publish), the HTML
report (report) and alert delivery to a webhook (alerts). Reads the warehouse the ingest and dbt steps
built; imports ingest for its configuration only."""
