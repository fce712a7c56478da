"""Score the end-to-end model's variants on a Kaggle-layout split (default: the 12 CASP15 validation targets).

Variants: `noise` (diffusion from noise), `stage_c` (warm start from Stage C atoms), `templates` and `baseline`
(warm start from the template predictor's or the geometric baseline's C1' models), next to the plain
`templates` and `baseline` predictors run under the same conditions. Every target's MSA is attached when the
folder has one. Writes one row per (variant, target) to `--out` (CSV) and a summary beside it (`.txt`).

    python scripts/bench_model_casp15.py --weights rna3d_kit/data/model   # -> benchmarks/model/model_casp15.{csv,txt}
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchlib import result_path, write_csv, write_text
from rna3d_kit.core import shared_dir
from rna3d_kit.io.kaggle_io import read_labels, read_sequences
from rna3d_kit.geometry.metric import score_target
from rna3d_kit.pipeline.predict import check_msas, load_predictor, predict_targets

VARIANTS = {  # name -> (predictor method, NeuralPredictor options)
    'neural_noise': ('neural', dict(warm_start=None)),
    'neural_stage_c': ('neural', dict(warm_start='stage_c')),
    'neural_templates': ('neural', dict(warm_start='templates')),
    'neural_baseline': ('neural', dict(warm_start='baseline')),
    'templates': ('templates', {}),
    'baseline': ('baseline', {}),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--weights', type=Path, default=None, help='end-to-end weights folder (default: the shipped ones)')
    p.add_argument('--data', type=Path, default=None, help='Kaggle-layout folder (default: shared kaggle_part1)')
    p.add_argument('--split', default='validation')
    p.add_argument('--variants', default=','.join(VARIANTS), help=f'comma-separated subset of {", ".join(VARIANTS)}')
    p.add_argument('--n-steps', type=int, default=50, help='diffusion sampler steps')
    p.add_argument('--sampler', default=None, help="diffusion sampler of the neural variants ('ode' or 'af3'; default: neural.WARM_START_SAMPLER)")
    p.add_argument('--sigma', action='append', default=[], metavar='VARIANT=Å', help='warm-start noise level of a variant')
    p.add_argument('--limit', type=int, default=None, help='only the first LIMIT targets')
    p.add_argument('--out', type=Path, default=result_path('model', 'model_casp15.csv'), help='CSV; the summary goes beside it (.txt)')
    return p.parse_args(argv)


def run(args) -> pd.DataFrame:
    """Predict and score every variant; one row per (variant, target)."""
    data = args.data or shared_dir() / 'data' / 'kaggle_part1'
    msa_dir = data / 'MSA'
    targets = check_msas(read_sequences(data / f'{args.split}_sequences.csv', msa_dir=msa_dir if msa_dir.is_dir() else None))
    targets = targets[:args.limit] if args.limit else targets
    labels = read_labels(data / f'{args.split}_labels.csv')
    sigmas = {k: float(v) for k, _, v in (s.partition('=') for s in args.sigma)}
    rows = []
    for name in args.variants.split(','):
        method, options = VARIANTS[name]
        if method == 'neural':
            options = dict(options, n_steps=args.n_steps, weights=args.weights, sampler=args.sampler)
            if name in sigmas: options['warm_start_sigma'] = sigmas[name]
        predictor = load_predictor(method, data_dir=data, **options)
        t0 = time.perf_counter()
        coords, records = predict_targets(targets, predictor, n_samples=5, seed=0, progress=False, fallback=[])
        for t, rec in zip(targets, records):
            tm = score_target(coords[t.target_id][:5], labels[t.target_id].coords, mode='part2', sequence=t.sequence)
            rows.append(dict(variant=name, target_id=t.target_id, length=t.n, tm=round(float(tm), 4), method=rec.method,
                             seconds=round(rec.seconds, 1), sigma=getattr(predictor, 'warm_start_sigma', None),
                             churn_gamma0=predictor.runtime.sampler.gamma_0 if method == 'neural' else None,
                             fallback_reason=rec.fallback_reason))
        part = pd.DataFrame([r for r in rows if r['variant'] == name])
        print(f'{name}: mean best-of-5 TM {part.tm.mean():.4f} over {len(part)} targets, {time.perf_counter() - t0:.0f} s', flush=True)
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    table = run(args)
    write_csv(args.out, table)
    summary = table.groupby('variant', sort=False).agg(mean_tm=('tm', 'mean'), median_tm=('tm', 'median'),
                                                       seconds=('seconds', 'mean'), n=('tm', 'size'))
    text = f"Part 2 best-of-5 TM (US-align reproduction)\n{summary.round(4).to_string()}\n"
    write_text(args.out.with_suffix('.txt'), text)
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
