"""The KCS benchmark: riskhub's risk model against the published set-up and random selection.

    python bench/model_kcs.py            # train 2020 -> evaluate 2021 Q1 (the validation file)

On ../shared/data/customs-declaration-datasets, through the CLI exactly as an
outside check calls it (``riskhub model fit`` then ``riskhub model score``),
then, in the same run and on the same rows:

* ``published``: plain LightGBM on label-encoded columns (the set-up of
  arXiv:2208.02484, Table 3), same thread count;
* ``random``: a random ranking (seeded).

Measured: precision@1/2/5/10%, recall@10%, critical-fraud recall@10%
(``Critical Fraud`` = 2), revenue proxy@10% (share of Σ Item Price × Tax Rate
/ 100 over fraudulent rows caught by the top 10%), AUC, training seconds (the
fit command's own measure and its wall time), and scoring rows/s (wall time
of the score command, process start included, and of ``RiskModel.predict``
alone). The test period (2021 Q2) is held back and never read. Progress goes
to stderr; one JSON line is printed last.
"""

from __future__ import annotations

import os

# One thread everywhere (polars here and in the CLI processes it starts; LightGBM by
# the model's setting), so that rows/s is the single-thread figure the goal names.
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from riskhub.targeting import sources
from riskhub.targeting.model import RiskModel
from riskhub.targeting.report import evaluation

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "customs-declaration-datasets"
TRAIN, VALID = DATA / "df_syn_train_eng.csv", DATA / "df_syn_valid_eng.csv"
RISKHUB = Path(sys.executable).with_name("riskhub")
LABEL_COLUMNS = ["Office ID", "Process Type", "Import Type", "Import Use", "Payment Type",
                 "Mode of Transport", "Declarant ID", "Importer ID", "Seller ID", "Courier ID",
                 "HS6 Code", "Country of Departure", "Country of Origin", "Tax Type",
                 "Country of Origin Indicator"]  # fmt: skip
NUMBER_COLUMNS = ["Tax Rate", "Net Mass", "Item Price"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(*args: str) -> float:
    began = time.perf_counter()
    done = subprocess.run([str(RISKHUB), *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"riskhub {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - began


def published(threads: int) -> tuple[np.ndarray[Any, Any], float]:
    """Label-encoded LightGBM with default settings: the paper's baseline."""
    train = pl.read_csv(TRAIN, infer_schema_length=0)
    valid = pl.read_csv(VALID, infer_schema_length=0)
    columns_train, columns_valid = [], []
    for name in LABEL_COLUMNS:
        codes = {v: i for i, v in enumerate(train[name].unique(maintain_order=True).to_list())}
        columns_train.append(train[name].replace_strict(codes, default=-1).cast(pl.Float64))
        columns_valid.append(valid[name].replace_strict(codes, default=-1).cast(pl.Float64))
    for name in NUMBER_COLUMNS:
        columns_train.append(train[name].cast(pl.Float64))
        columns_valid.append(valid[name].cast(pl.Float64))
    x = pl.DataFrame(columns_train).to_numpy()
    xv = pl.DataFrame(columns_valid).to_numpy()
    y = train["Fraud"].cast(pl.Int8).to_numpy()
    began = time.perf_counter()
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": threads,
                         "seed": 7}, lgb.Dataset(x, y), num_boost_round=100)  # fmt: skip
    return booster.predict(xv), time.perf_counter() - began


def main() -> None:
    threads = int(os.environ.get("RISKHUB_THREADS", "1"))
    valid = sources.read(VALID, format="kcs")
    result: dict[str, Any] = {"bench": "model_kcs", "train_rows": None, "valid_rows": valid.height,
                              "threads": threads, "cores": os.cpu_count(),
                              "polars_threads": pl.thread_pool_size()}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder, scores = Path(tmp) / "model", Path(tmp) / "scores.csv"
        log("fitting through the CLI ...")
        fit_wall = run("model", "fit", "--train", str(TRAIN), "--format", "kcs",
                       "--out", str(folder))  # fmt: skip
        log("scoring through the CLI ...")
        score_wall = run("model", "score", "--model", str(folder), "--input", str(VALID),
                         "--format", "kcs", "--out", str(scores))  # fmt: skip
        written = pl.read_csv(scores, schema_overrides={"Declaration ID": pl.String})
        meta = json.loads((folder / "model.json").read_text())
        model = RiskModel.load(folder)
        began = time.perf_counter()
        model.predict(valid)
        predict_s = time.perf_counter() - began
    result["train_rows"] = meta["trained_rows"]
    by_id = dict(zip(written["Declaration ID"], written["score"], strict=True))
    scored = pl.DataFrame({"score": [by_id[i] for i in valid["id"]]})
    riskhub = evaluation(valid, scored)
    riskhub.update(
        training_s=meta["training_seconds"],
        fit_command_wall_s=round(fit_wall, 2),
        score_command_rows_per_s=round(valid.height / score_wall),
        predict_rows_per_s=round(valid.height / predict_s),
    )
    log("published set-up ...")
    baseline_scores, baseline_s = published(threads)
    baseline = evaluation(valid, pl.DataFrame({"score": baseline_scores}))
    baseline["training_s"] = round(baseline_s, 2)
    random = evaluation(
        valid, pl.DataFrame({"score": np.random.default_rng(7).random(valid.height)})
    )
    result.update(
        riskhub=riskhub,
        published_setup=baseline,
        random=random,
        scores_file_columns=written.columns,
        goal_training_le_60s=meta["training_seconds"] <= 60,
        goal_scoring_ge_50k_rows_per_s=riskhub["predict_rows_per_s"] >= 50_000,
        note="valid period 2021 Q1; the test period is held back, goals there are not measured",
        tuned_on_this_period="riskhub's revenue weight (0.03) and rounds (200 at 0.06) were "
        "chosen on this validation period, so its numbers here are optimistic; the published "
        "set-up runs with LightGBM defaults",
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
