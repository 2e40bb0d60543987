"""`billing/focus/`: bill lines in FinOps FOCUS columns (ingest.schemas.BILL_FIELDS) as CSV with a
header row, or Parquet."""

from ingest.adapters import adapter
from ingest.staging import stage_csv, stage_parquet

adapter("billing", "focus", ".csv")(stage_csv)
adapter("billing", "focus", ".parquet")(stage_parquet)
