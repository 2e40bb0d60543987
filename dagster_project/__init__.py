"""Dagster wiring of the pipeline. The project opts into Dagster's beta `backfill_policy` on purpose
(one run per backfill range): its BetaWarning, printed by every command, is silenced here, once."""

import warnings

from dagster import BetaWarning

warnings.filterwarnings("ignore", category=BetaWarning)
