"""Daily UTC partitions shared by every asset. FINOPS_START_DATE sets the first day."""

import os

from dagster import DailyPartitionsDefinition

DAILY = DailyPartitionsDefinition(start_date=os.environ.get("FINOPS_START_DATE", "2026-10-01"), timezone="UTC")
