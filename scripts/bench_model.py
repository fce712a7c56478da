#!/usr/bin/env python3
"""Inference time and peak memory of the end-to-end model (rna3d_kit.nn.model) per target length, on this CPU.

    nohup .venv/bin/python scripts/bench_model.py > /tmp/bench_model.log 2>&1 &   # -> benchmarks/model/model_inference.csv

Each length runs in a fresh child process (so its peak resident memory is its own), with one thread:
a random ACGU sequence (fixed seed) as a single-chain target without MSA or templates, ViennaRNA adjacency
(`rna3d_kit.geometry.adjacency.fold`, timed separately), then `RNAFoldModel.predict(target, n_samples=5)` with
`FoldRuntime.inference(n_steps, chunk_size)` (`--steer`: with the Stage A restraint steering NeuralPredictor uses). The weights are rna3d_kit/data/model when it exists, else a
random initialisation of the CPU preset (time and memory do not depend on weight values). Lengths run in
increasing order; the CSV (stamped, this run's rows only) is rewritten as each length finishes. A child that exceeds `--cap-min`
minutes (or `--cap-gib` GiB resident: the machine is shared) is stopped, and its row records when it was
stopped and the peak memory it had reached.

Training throughput is read from a training run's metrics.csv (scripts/train.py writes one row per step):

    .venv/bin/python scripts/bench_model.py --training-metrics RUN_DIR/metrics.csv
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchlib import result_path, write_csv

REPO = Path(__file__).resolve().parent.parent
FIELDS = ('n', 'status', 'steer', 'weights', 'chunk_size', 'n_steps', 'n_samples', 'adjacency_s', 'model_s', 'total_s',
          'cpu_s', 'peak_rss_mib', 'child_maxrss_mib', 'load_avg', 'finished_utc')


def child(n: int, n_steps: int, chunk_size: int | None, n_samples: int, seed: int, as_limit_gib: float, steer: bool = False):
    """Predict one random target of length `n`; print a JSON line of timings."""
    resource.setrlimit(resource.RLIMIT_AS, (int(as_limit_gib * 2**30),) * 2)  # backstop: fail here, not the machine's other jobs
    import torch
    torch.set_num_threads(1)
    import numpy as np
    from rna3d_kit.geometry.adjacency import fold
    from rna3d_kit.nn.model import FoldRuntime, RNAFoldModel, default_model_dir, fold_preset, load_fold_model
    from rna3d_kit.io.structure import Target
    runtime = FoldRuntime.inference(n_steps, chunk_size)
    folder = default_model_dir()
    if (folder / 'config.json').is_file(): model, weights = load_fold_model(folder, runtime), 'rna3d_kit/data/model'
    else:
        torch.manual_seed(0)
        model, weights = RNAFoldModel(fold_preset('cpu'), runtime), "random init, fold_preset('cpu')"
    sequence = ''.join(np.random.default_rng(seed + n).choice(list('ACGU'), n))
    target = Target(f'random_{n}', sequence)
    t0 = time.perf_counter()
    adjacency = fold(target.sequence, target.chain_ids).adjacency
    t1 = time.perf_counter()
    models = model.predict(target, n_samples=n_samples, seed=seed, adjacency=adjacency, steer=steer)  # sample() is no_grad itself
    t2 = time.perf_counter()
    assert len(models) == n_samples and models[0].n == n and np.isfinite(models[0].c1).all()
    usage = resource.getrusage(resource.RUSAGE_SELF)  # ru_maxrss in KiB on Linux
    print(json.dumps(dict(weights=weights, adjacency_s=round(t1 - t0, 2), model_s=round(t2 - t1, 2), cpu_s=round(usage.ru_utime + usage.ru_stime, 1),
                          child_maxrss_mib=round(usage.ru_maxrss / 1024, 1))), flush=True)


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM (peak resident set) of a running process, MiB."""
    try:
        for line in Path(f'/proc/{pid}/status').read_text().splitlines():
            if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError): return None
    return None


def run_length(n: int, args) -> dict:
    """One child process for length `n`, stopped after `args.cap_min` minutes; its CSV row."""
    cmd = [sys.executable, __file__, '--child', str(n), '--steps', str(args.steps), '--chunk', str(args.chunk),
           '--samples', str(args.samples), '--seed', str(args.seed), '--as-limit-gib', str(args.cap_gib * 1.5)]
    cmd += ['--steer'] if args.steer else []
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1')
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    peak, status = 0.0, 'ok'
    while proc.poll() is None:
        peak = max(peak, peak_rss_mib(proc.pid) or 0.0)
        if time.perf_counter() - t0 > args.cap_min * 60:
            proc.kill(); status = f'stopped at {args.cap_min:g} min (time cap)'
            break
        if peak > args.cap_gib * 1024:  # the machine is shared: stop before its memory runs out
            proc.kill(); status = f'stopped at {args.cap_gib:g} GiB resident (memory cap)'
            break
        time.sleep(1.0)
    out, err = proc.communicate()
    total = time.perf_counter() - t0
    row = dict(n=n, status=status, steer=args.steer, chunk_size=args.chunk, n_steps=args.steps, n_samples=args.samples,
               total_s=round(total, 1), peak_rss_mib=round(peak, 1), load_avg=round(os.getloadavg()[0], 1),
               finished_utc=dt.datetime.now(dt.timezone.utc).strftime('%H:%M:%S'))
    if status == 'ok':
        if proc.returncode: row['status'] = f'failed (exit {proc.returncode}): {err.strip().splitlines()[-1] if err.strip() else ""}'
        else: row.update(json.loads(out.strip().splitlines()[-1]))
    return row


def training_throughput(metrics: Path, skip: int = 10) -> dict:
    """Residues per second and seconds per step of a training run (its first `skip` steps are warm-up, left out)."""
    import pandas as pd
    m = pd.read_csv(metrics)
    step_s = m.residues / m.residues_per_s  # the step's own time as logged (forward, backward, optimiser)
    wall = m.wall_s.diff()  # wall_s is cumulative per launch: a resumed run starts again near 0
    wall = wall.where(wall > 0)  # first step after a resume: unknown
    keep = m.step > skip
    m, step_s, wall = m[keep], step_s[keep], wall[keep]
    return dict(metrics=str(metrics), steps=f'{int(m.step.min())}-{int(m.step.max())}', n_steps=len(m),
                launches=int((m.wall_s.diff() < 0).sum()) + 1,
                mean_residues_per_step=round(m.residues.mean(), 1),
                residues_per_s_overall=round(m.residues.sum() / step_s.sum(), 1),
                residues_per_s_mean_of_steps=round(m.residues_per_s.mean(), 1),
                residues_per_s_by_wall=round(m.residues[wall.notna()].sum() / wall.sum(), 1),
                seconds_per_step_mean=round(step_s.mean(), 2), seconds_per_step_median=round(step_s.median(), 2),
                wall_seconds_per_step_mean=round(wall.mean(), 2),
                load_avg_now=[round(x, 1) for x in os.getloadavg()])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='Benchmark end-to-end model inference per target length.')
    p.add_argument('--lengths', default='100,500,1000,4000', help='comma-separated target lengths, run in this order')
    p.add_argument('--steps', type=int, default=50, help="diffusion sampler steps (NeuralPredictor's default)")
    p.add_argument('--chunk', type=int, default=32, help="trunk chunk size (FoldRuntime.inference's default)")
    p.add_argument('--steer', action='store_true', help="steer the sampler with Stage A restraints (NeuralPredictor's default)")
    p.add_argument('--samples', type=int, default=5, help='structures per target')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--cap-min', type=float, default=40.0, help='wall-time cap per length, minutes')
    p.add_argument('--cap-gib', type=float, default=12.0, help='resident-memory cap per length, GiB (the machine is shared)')
    p.add_argument('--as-limit-gib', type=float, default=18.0, help=argparse.SUPPRESS)
    p.add_argument('--out', default=str(result_path('model', 'model_inference.csv')), help='CSV, one row per length of this run')
    p.add_argument('--training-metrics', default=None, help="print the training throughput of this metrics.csv and stop")
    p.add_argument('--child', type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.training_metrics:
        print(json.dumps(training_throughput(Path(args.training_metrics)), indent=1))
        return 0
    if args.child is not None:
        child(args.child, args.steps, args.chunk, args.samples, args.seed, args.as_limit_gib, args.steer)
        return 0
    import pandas as pd
    rows = []
    for n in map(int, args.lengths.split(',')):
        rows.append(run_length(n, args))
        print(rows[-1], flush=True)
        write_csv(args.out, pd.DataFrame(rows, columns=FIELDS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
