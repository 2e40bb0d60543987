"""`calls/canonical/`: the project's own call record (ingest.schemas.CALL_FIELDS) as JSON Lines
(one object per line, keys = field names) or Parquet (columns = field names)."""

from ingest.adapters import adapter
from ingest.staging import stage_jsonl, stage_parquet

adapter("calls", "canonical", ".jsonl", ".json")(stage_jsonl)
adapter("calls", "canonical", ".parquet")(stage_parquet)
