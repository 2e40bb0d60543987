"""Resources, configured from the environment (FINOPS_LANDING_DIR, FINOPS_WAREHOUSE)."""

import fcntl
import hashlib
import os
import subprocess
import sys
from contextlib import ExitStack
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import yaml
from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version, parse
from pydantic import PrivateAttr

from ingest.config import REPO_ROOT, Settings
from ingest.lake import engine
from ingest.validation import start_worker, stop_worker
from ingest.warehouse import dbt_target_dir, run_lock

# FINOPS_DBT_PROJECT_DIR points at another copy of the dbt project (its seeds are ../data/reference
# from there); tests use it to change a seed without touching the repository.
_DBT_DIR = Path(os.environ.get("FINOPS_DBT_PROJECT_DIR") or REPO_ROOT / "dbt_project").resolve()
DBT_PROJECT = DbtProject(project_dir=_DBT_DIR, profiles_dir=_DBT_DIR)


# what dbt reads from the project: SQL, YAML properties, seeds, docs blocks, Python models
_DBT_SOURCE_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv", ".md", ".py"})


def _dbt_sources_fingerprint(project_dir: Path) -> str:
    """What the manifest depends on: the dbt-core version, and the path, size and mtime of every file
    dbt parses (dbt_project.yml and the model, macro, test and seed paths; hidden files and editor
    leftovers skipped). An edit, an added, renamed or deleted file and a dbt upgrade each change it."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    roots = [
        project_dir / d
        for key in ("model-paths", "macro-paths", "test-paths", "seed-paths")
        for d in config.get(key, [])
    ]
    entries = [installed_version("dbt-core")]
    for path in [project_dir / "dbt_project.yml", *(p for root in roots if root.is_dir() for p in root.rglob("*"))]:
        if path.suffix not in _DBT_SOURCE_SUFFIXES or path.name.startswith("."):
            continue
        try:
            status = path.stat()
        except FileNotFoundError:  # deleted while we looked (an editor's temp file)
            continue
        entries.append(f"{os.path.relpath(path, project_dir)}|{status.st_size}|{status.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def prepared_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """The dbt manifest that Dagster builds its assets from, parsed again first when the project's files
    changed since it was made (or it is missing). A stale one made a run fail after its dbt build: a
    model added or renamed since the last parse is in dbt's results but not among Dagster's assets
    (KeyError on its id). The check and the parse hold a lock, so a loader never reads a manifest that
    another process is writing."""
    manifest = Path(project.manifest_path)
    project_dir = Path(project.project_dir)
    stamp = manifest.with_name("manifest.sources.sha256")  # the fingerprint the manifest was parsed from
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:  # code server, daemon, CLI, test workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        # the engine too: a model disabled on one target is not in its manifest, and macros render per engine
        fingerprint = f"{_dbt_sources_fingerprint(project_dir)} engine={engine()}"
        if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            return manifest
        print(f"dbt project {project_dir} changed since its last parse: parsing it", file=sys.stderr, flush=True)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dbt.cli.main",
                "parse",
                "--quiet",
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
                "--target-path",
                str(manifest.parent),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"dbt parse of {project_dir} failed:\n{(done.stdout + done.stderr)[-3000:]}")
        stamp.write_text(fingerprint)
    return manifest


class WarehouseResource(ConfigurableResource):
    """Where landing files are read from and which DuckDB file is built (absolute paths). A run that uses
    it holds the warehouse's run lock (`ingest.warehouse.run_lock`) from its start to its end, however it
    was launched: `finops materialize`, the Dagster UI or the schedule; a second run fails at its start."""

    landing_dir: str
    warehouse: str
    config_dir: str
    _held: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._held = ExitStack()
        self._held.enter_context(run_lock(self.warehouse_path))  # RunLockHeld fails the run here
        self._held.callback(stop_worker)
        start_worker()  # GX for the ingest checks (already started by `finops materialize`); never raises

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    @classmethod
    def from_env(cls) -> "WarehouseResource":
        settings = Settings.from_env()
        return cls(
            landing_dir=str(settings.landing_dir),
            warehouse=str(settings.warehouse),
            config_dir=str(settings.config_dir),
        )

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def config_path(self) -> Path:
        return Path(self.config_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @property
    def dbt_target_path(self) -> Path:
        """dbt's target and log dir for the runs on this warehouse, `<warehouse>.dbt/`, reused by every
        run instead of dagster-dbt's new ~10 MB dir under dbt_project/target/ per run: it holds the last
        run's run_results.json and compiled SQL, dbt's partial-parse state and dbt.log (appended and
        rotated by dbt). `finops materialize` runs on one warehouse never overlap (`<warehouse>.lock`)."""
        return dbt_target_dir(self.warehouse_path)


class FinopsDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without its per-run preparation (~3 s of every run): it asks the dbt
    executable for its version in a subprocess, and opens a dbt adapter in process that serves only
    column metadata and row counts, which this project does not fetch. The version is the installed
    dbt-core's (the dbt of this environment). Both hooks are dagster-dbt internals: dagster-dbt is
    pinned, and tests/test_definitions.py fails if they change."""

    @cached_property
    def _cli_version(self) -> Version:
        return parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # args unused: dagster-dbt's signature
        return None


def dbt_executable() -> str:
    """The dbt of the running interpreter's environment (`<venv>/bin/dbt`), else `dbt` on PATH. A run
    started as `.venv/bin/finops materialize` from cron (venv not activated, PATH without .venv/bin)
    failed before any step: dagster-dbt's default, `dbt`, was not on PATH. sys.executable is not
    resolved: a venv's python is a symlink to the base interpreter, whose bin holds no dbt."""
    here = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    return str(here) if here.is_file() else "dbt"


def dbt_resource() -> DbtCliResource:
    return FinopsDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())
