"""The demo company and the generators of test data: `demo.generate` writes one deterministic month
of a multi-tenant SaaS product's LLM call logs, vendor bills and the ground truth behind them;
`demo.bulk` writes the same product at benchmark volume and `demo.benchmark` measures the pipeline
on it.

This package imports `ingest` (schemas, the price catalog, the format writers of the adapters),
never the other way round: nothing in `ingest` depends on the demo.
"""
