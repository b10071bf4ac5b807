"""Where a batch runs: in this process, or on Apache Spark (the optional extra ``riskhub[spark]``).

Both engines read item rows kept as Parquet (``batch.export`` writes them, a
file per Party and month, each holding whole declarations), apply a
``PartitionWork`` to whole declarations at a time, and write its rows as
Parquet. The work is riskhub's own polars code in both, so the answers are
the same; only the number of machines differs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from riskhub.batch.work import PartitionWork, Schema


class BatchError(RuntimeError):
    """The engine cannot run here, or its job failed; the message says why in one line."""


class BatchEngine:
    """Apply ``work`` to the Parquet item rows under ``rows``; write its output under ``out``.

    Every declaration's item rows reach ``work`` together, in one frame. The
    output is one or more Parquet files with ``work.schema``'s columns, and
    ``run`` returns how many rows it wrote. ``out`` is replaced, never appended to.
    ``check`` raises BatchError when the engine cannot run here; ``run`` raises
    BatchError when the job fails.
    """

    name = "base"

    def check(self) -> None:
        """Raise BatchError if this engine cannot run here (before any data is exported)."""

    def run(self, work: PartitionWork, *, rows: Path, out: Path) -> int:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds (a Spark session); it may be used again after."""


class LocalEngine(BatchEngine):
    """In this process, one exported file (a Party's month) after another."""

    name = "local"

    def run(self, work: PartitionWork, *, rows: Path, out: Path) -> int:
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.parquet"):
            old.unlink()
        written = 0
        for number, file in enumerate(sorted(rows.rglob("*.parquet"))):
            result = _typed(work(pl.read_parquet(file)), work.schema)
            result.write_parquet(out / f"part-{number:05d}.parquet")
            written += result.height
        return written


class SparkEngine(BatchEngine):
    """On a Spark cluster (``spark://host:7077``, ``yarn``, ``k8s://...``) or ``local[N]``.

    Each partition's Arrow batches become one polars frame for the work
    (``mapInArrow``), so a declaration's items must share a partition. By
    default no exported file is ever split (the export keeps each declaration
    in one file): files are packed whole into partitions of up to
    ``spark.sql.files.maxPartitionBytes`` (128 MiB unless ``conf`` gives a
    number of bytes) or the largest file, whichever is larger. That needs no
    shuffle. With ``partitions``, rows are instead spread over that many
    partitions by declaration, at the cost of a shuffle: for inputs that did
    not come from ``riskhub export parquet``, or to use more cores than there
    are files. Executors need riskhub installed in the same version; ``rows``
    and ``out`` must be one file system mounted at the same path on the hub
    and on every executor (NFS, CephFS...): the export writes with plain file
    operations, not through HDFS or object-store clients.
    """

    name = "spark"

    def __init__(
        self, master: str = "local[2]", *, partitions: int | None = None,
        conf: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.master, self.partitions, self.conf = master, partitions, dict(conf or {})
        self._session: Any = None
        self.last_partitions = 0  # of the last run: how many tasks the work was spread over

    def session(self) -> Any:
        """The Spark session, started on first use."""
        if self._session is None:
            self._session = _start(self.master, self.conf)
        return self._session

    def check(self) -> None:
        why_not = spark_available()
        if why_not:
            raise BatchError(why_not)

    def run(self, work: PartitionWork, *, rows: Path, out: Path) -> int:
        try:
            return self._run(work, rows, out)
        except BatchError:
            raise
        except Exception as error:  # Py4J and PySpark errors carry the whole Java trace
            raise BatchError(f"the Spark job failed: {_first_line(error)}") from error

    def _run(self, work: PartitionWork, rows: Path, out: Path) -> int:
        spark = self.session()
        if self.partitions is None:
            # A file is split only when larger than both of these: never, then.
            largest = max(f.stat().st_size for f in rows.rglob("*.parquet")) + 1
            floor = int(self.conf.get("spark.sql.files.maxPartitionBytes", 128 << 20))
            spark.conf.set("spark.sql.files.maxPartitionBytes", str(max(largest, floor)))
            spark.conf.set("spark.sql.files.openCostInBytes", str(largest))
            frame = spark.read.parquet(_uri(rows))
        else:
            frame = spark.read.parquet(_uri(rows)).repartition(self.partitions, "declaration_id")
        self.last_partitions = int(frame.rdd.getNumPartitions())
        result = frame.mapInArrow(_on_partition(work), _ddl(work.schema))
        result.write.mode("overwrite").parquet(_uri(out))
        return int(pl.scan_parquet(out / "*.parquet").select(pl.len()).collect().item())

    def close(self) -> None:
        if self._session is not None:
            self._session.stop()
            self._session = None


def spark_available() -> str | None:
    """None when Spark can run here, else why not (in plain words)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'riskhub[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home, "bin", "java") if java_home else None
    if not (java and java.exists()) and not _on_path("java"):
        return (
            "no Java runtime: Spark needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)"
        )
    return None


def _on_path(program: str) -> bool:
    return any(Path(p, program).exists() for p in os.environ.get("PATH", "").split(os.pathsep))


def _uri(path: Path) -> str:
    # file:// always: a bare path would be read on the cluster's default file system (HDFS).
    return path.resolve().as_uri()


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:300]


def _start(master: str, conf: Mapping[str, str]) -> Any:
    why_not = spark_available()
    if why_not:
        raise BatchError(why_not)
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        # Local executors are Python processes of this machine: this interpreter, with riskhub.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("riskhub")
        .config("spark.ui.enabled", "false")
        # Lodgement times are wall-clock times of the office: never shifted on the way.
        .config("spark.sql.session.timeZone", "UTC")
        # One task per core already: polars in each Python worker takes one thread, not all
        # of them (measured, 1M declarations in local[2]: 25.3 s against 28.8 s).
        .config("spark.executorEnv.POLARS_MAX_THREADS", "1")
        .config("spark.sql.shuffle.partitions", "8")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _on_partition(work: PartitionWork) -> Any:
    def apply(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        taken = list(batches)
        if not taken:
            return
        table = pl.from_arrow(pa.Table.from_batches(taken))
        assert isinstance(table, pl.DataFrame)
        rows = _naive_times(table)
        if not rows.height:
            return
        result = _typed(work(rows), work.schema).to_arrow()
        yield from result.cast(_arrow_schema(work.schema)).to_batches()

    return apply


def _naive_times(frame: pl.DataFrame) -> pl.DataFrame:
    # Spark hands timestamps over in its session time zone (UTC): back to the naive UTC times
    # the hub stores, which the criteria compare with naive dates.
    zoned = [n for n, t in frame.schema.items() if isinstance(t, pl.Datetime) and t.time_zone]
    return frame.with_columns(pl.col(zoned).dt.convert_time_zone("UTC").dt.replace_time_zone(None))


def _typed(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    return frame.select([pl.col(n).cast(t) for n, t in schema.items()])


def _arrow_type(kind: Any) -> Any:
    import pyarrow as pa

    if isinstance(kind, pl.List):
        return pa.list_(_arrow_type(kind.inner))
    if isinstance(kind, pl.Datetime):
        return pa.timestamp("us")
    simple = {pl.String: pa.string(), pl.Int64: pa.int64(), pl.Int32: pa.int32(),
              pl.Float64: pa.float64(), pl.Boolean: pa.bool_(), pl.Date: pa.date32()}  # fmt: skip
    return simple[kind]


def _arrow_schema(schema: Schema) -> Any:
    import pyarrow as pa

    return pa.schema([(n, _arrow_type(t)) for n, t in schema.items()])


def _spark_type(kind: Any) -> str:
    if isinstance(kind, pl.List):
        return f"array<{_spark_type(kind.inner)}>"
    if isinstance(kind, pl.Datetime):
        return "timestamp_ntz"
    simple = {pl.String: "string", pl.Int64: "bigint", pl.Int32: "int", pl.Float64: "double",
              pl.Boolean: "boolean", pl.Date: "date"}  # fmt: skip
    return simple[kind]


def _ddl(schema: Schema) -> str:
    return ", ".join(f"`{n}` {_spark_type(t)}" for n, t in schema.items())
