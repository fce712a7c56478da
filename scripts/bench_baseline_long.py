"""Geometric baseline on long RNAs: compactness (Rg vs 5.5 N^(1/3) Å) and chain checks at 1,500 and 4,000 nt, plus the
CASP15 baseline score (mean best-of-5 TM), so a compaction change is seen on both ends.

Usage (from the repo root; ~5 min on 2 shared cores):
    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_baseline_long.py
Writes benchmarks/baseline/baseline_long.txt (stamped). The long sequences are random (numpy seed = length), as in the
lessons of nbs/10_baseline.ipynb; CASP15 is `rna3d evaluate --split validation --method baseline` (labels only score).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchlib import result_path, write_text
from rna3d_kit.predictors.baseline import GeometricBaseline, c1_violations
from rna3d_kit.geometry.geometry_core import RG_COMPACT
from rna3d_kit.core import shared_dir
from rna3d_kit.pipeline.evaluate import evaluate, summary_line
from rna3d_kit.io.structure import Target


def radius_of_gyration(x: np.ndarray) -> float:
    return float(np.sqrt(((x - x.mean(0)) ** 2).sum(1).mean()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--lengths', default='1500,4000')
    ap.add_argument('--samples', type=int, default=5)
    ap.add_argument('--skip-casp15', action='store_true')
    ap.add_argument('--out', default=str(result_path('baseline', 'baseline_long.txt')))
    ap.add_argument('--label', default='', help='what code this is when rna3d_kit comes from elsewhere (e.g. an older commit on PYTHONPATH)')
    args = ap.parse_args()
    import rna3d_kit
    lines = [f'rna3d_kit imported from {Path(rna3d_kit.__file__).parent}' + (f' ({args.label})' if args.label else ''), '']
    for n in map(int, args.lengths.split(',')):
        target = Target(f'random{n}', ''.join(np.random.default_rng(n).choice(list('ACGU'), n)))
        t0 = time.perf_counter()
        models = GeometricBaseline().predict(target, args.samples, seed=0)
        seconds = time.perf_counter() - t0
        compact = RG_COMPACT * n ** (1 / 3)
        for m in models:
            x = m.c1.astype(float)
            steps = np.linalg.norm(np.diff(x, axis=0), axis=1)
            spread = np.sqrt(np.linalg.svd(x - x.mean(0), compute_uv=False) ** 2 / n)  # Rg along the principal axes
            lines.append(f'{n} nt {m.name.rsplit("_", 1)[1]}: Rg {radius_of_gyration(x):.1f} Å = {radius_of_gyration(x) / compact:.2f} x 5.5 N^(1/3) '
                         f'({compact:.1f} Å); principal spreads {spread.round(1).tolist()} Å; C1\'-C1\' steps {steps.min():.2f}-{steps.max():.2f} Å; '
                         f'{c1_violations(x)}')
        lines.append(f'{n} nt: {args.samples} models in {seconds:.1f} s')
        print('\n'.join(lines[-args.samples - 1:]), flush=True)
    command = 'OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_baseline_long.py' + (f' --lengths {args.lengths}' if args.lengths != '1500,4000' else '') \
        + (f" --label '{args.label}' --out {args.out}" if args.label else '')
    if not args.skip_casp15:
        table = evaluate(shared_dir() / 'data' / 'kaggle_part1', 'validation', 'baseline', progress=False)
        lines += ['', 'CASP15 (rna3d evaluate --data ../shared/data/kaggle_part1 --split validation --method baseline):',
                  summary_line(table), *[f'  {r.target_id:8s} {r.length:4d} nt TM {r.tm:.4f}' for r in table.itertuples()]]
        print('\n'.join(lines[-len(table) - 2:]))
    else: command += ' --skip-casp15'
    write_text(args.out, '\n'.join(lines) + '\n', command)


if __name__ == '__main__':
    main()
