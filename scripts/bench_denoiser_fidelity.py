#!/usr/bin/env python3
"""How much of a known structure the end-to-end model's sampler keeps: native C1' warm starts at several noise levels.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_denoiser_fidelity.py   # -> benchmarks/diffusion/denoiser_fidelity.{csv,txt}

A diagnosis, not a prediction score. Each target's first native conformation (every residue resolved) is the
warm start (`diffusion.warm_start_from_c1`), noised to σ_start and sampled down to the end of the schedule by
`DiffusionModule.sample` (5 samples, 50 steps, no steering); the row gives the mean TM-score (Part 2 mode) of the
samples against that native. A perfect denoiser keeps TM near 1 at every σ_start; one that knows nothing of the
target ends where sampling from noise ends. `one_step` is a single denoiser call `D(x + σ·ε; σ)`: the denoiser
alone, without the sampler. Samplers: `af3` is AF3 Algorithm 18 as shipped (churn γ0 0.8, step scale η 1.5);
`ode` is the deterministic EDM sampler (γ0 0, η 1).

Targets: Kaggle Part 1 training targets released on or after 2022-06-01 (after the shipped weights' training cutoff,
2022-05-27, so never trained on), 40-160 nt, with labels; every `--stride`-th of them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchlib import result_path, write_csv, write_text

def holdout_targets(data: Path, stride: int):
    """Date-honest held-out targets of the Kaggle training file with fully resolved first conformations."""
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    labels = read_labels(data / 'train_labels.csv')
    targets = [t for t in read_sequences(data / 'train_sequences.csv', unknown='A')
               if t.temporal_cutoff >= dt.date(2022, 6, 1) and 40 <= t.n <= 160 and t.target_id in labels]
    return [(t, labels[t.target_id].coords) for t in targets[::stride]]


def run(args) -> pd.DataFrame:
    import torch
    torch.set_num_threads(1)
    from rna3d_kit.geometry.adjacency import fold
    from rna3d_kit.core import shared_dir
    from rna3d_kit.nn.diffusion import DIFFUSION_C1, SAMPLER_PRESETS, SamplerConfig, warm_start_from_c1
    from rna3d_kit.geometry.metric import prediction_scores
    from rna3d_kit.nn.model import FoldRuntime, collate_fold_features, default_model_dir, fold_features, load_fold_model
    runtime = FoldRuntime.inference(args.n_steps, 32)
    model = load_fold_model(args.weights or default_model_dir(), runtime).eval()
    rows = []
    for target, refs in holdout_targets(args.data or shared_dir() / 'data' / 'kaggle_part1', args.stride):
        native = torch.as_tensor(refs[0], dtype=torch.float32)
        if not torch.isfinite(native).all() or native.abs().max() > 1e4: continue  # unresolved residues: no full warm start
        feats = collate_fold_features([fold_features(target, fold(target.sequence, target.chain_ids).adjacency, None, None,
                                                     kmer=model.config.stage_b_kmer)])
        with torch.no_grad(): cond = model(feats, runtime=runtime).conditioning
        start = warm_start_from_c1((native - native.mean(0)).expand(5, -1, -1))
        for sigma in args.sigmas:
            noisy = start + sigma * torch.randn(start.shape, generator=torch.Generator().manual_seed(0))
            with torch.no_grad(): one = model.diffusion(noisy[None], sigma, cond)[0]
            tm = lambda x: float(np.mean(prediction_scores(x[..., DIFFUSION_C1, :].numpy(), refs, 'part2', target.sequence)))
            row = dict(target_id=target.target_id, length=target.n, sigma_start=sigma, one_step=round(tm(one), 4))
            for name in SAMPLER_PRESETS:
                x = model.diffusion.sample(cond, 5, SamplerConfig.preset(name, args.n_steps), 0, x_init=start[None], sigma_start=sigma)[0]
                row[name] = round(tm(x), 4)
            rows.append(row)
            print(row, flush=True)
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--weights', type=Path, default=None, help='end-to-end weights folder (default: the shipped ones)')
    p.add_argument('--data', type=Path, default=None, help='Kaggle Part 1 folder (default: shared kaggle_part1)')
    p.add_argument('--stride', type=int, default=4, help='every STRIDE-th held-out target')
    p.add_argument('--sigmas', type=float, nargs='+', default=[1.0, 2.0, 4.0, 8.0, 16.0])
    p.add_argument('--n-steps', type=int, default=50)
    p.add_argument('--out', type=Path, default=result_path('diffusion', 'denoiser_fidelity.csv'), help='CSV; the summary goes beside it (.txt)')
    args = p.parse_args(argv)
    table = run(args)
    write_csv(args.out, table)
    from rna3d_kit.nn.diffusion import SAMPLER_PRESETS
    summary = table.groupby('sigma_start')[['one_step', *SAMPLER_PRESETS]].mean().round(3)
    text = (f"{table.target_id.nunique()} held-out targets (Kaggle train, released >= 2022-06-01, "
            f"40-160 nt); mean TM (Part 2) of 5 samples against the native they started from\n"
            f"{summary.to_string()}\n")
    write_text(args.out.with_suffix('.txt'), text)
    print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
