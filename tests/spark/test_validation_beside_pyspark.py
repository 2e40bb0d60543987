"""Great Expectations beside pyspark (the `spark` dependency group installed): GX imports pyspark's
Spark Connect module, which calls sys.exit(0) on import in a process whose main module has no file
(pytest-xdist workers, `python -c`) when grpc is missing. ingest.validation guards that import, so the
validation still runs and still finds a bad row there."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from ingest.config import REPO_ROOT
from tests.test_validation import CALLS

SCRIPT = """
import pandas as pd
from ingest.validation import validate_batch
from tests.test_validation import CALLS
frame = pd.DataFrame(CALLS)
frame.loc[0, "service_tier"] = "gold"
result = validate_batch(frame, "calls")
print("validated", result.rows, result.success, [f.split(":")[0] for f in result.failures])
"""


def test_validation_runs_in_a_process_without_a_main_file() -> None:
    assert importlib.util.find_spec("pyspark") is not None  # the spark group is installed here
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"validated {len(CALLS)} False ['expect_column_values_to_be_in_set(service_tier)']", (
        done.stdout + done.stderr
    )
