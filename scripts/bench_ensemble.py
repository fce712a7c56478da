"""CASP15 validation benchmark of the ensemble: confidence vs true TM-score, top-1 vs mean, best-of-5 vs templates and baseline.

Usage (from the repo root; tens of minutes on a shared machine, the `seconds` column records each target's):
    OMP_NUM_THREADS=1 nohup .venv/bin/python scripts/bench_ensemble.py > /tmp/bench_ensemble.log 2>&1 &
Writes benchmarks/ensemble/ensemble_casp15.csv (per target), ensemble_casp15_candidates.csv (per candidate),
ensemble_casp15.txt (summary) and ensemble_casp15.png, all stamped.
Honest: templates are date-filtered by each target's temporal_cutoff; the baseline uses no data; the confidence
weights were fixed before this run. The ensemble's members, candidate count and selection thresholds are the
package's defaults (`EnsemblePredictor`), and templates alone and the baseline alone are scored in the same run.
"""
from __future__ import annotations

import argparse
import inspect
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from benchlib import result_path, save_figure, write_csv, write_text
from rna3d_kit.predictors.baseline import GeometricBaseline
from rna3d_kit.predictors.ensemble import CONFIDENCE_WEIGHTS, EnsemblePredictor
from rna3d_kit.pipeline.evaluate import split_files
from rna3d_kit.io.kaggle_io import N_PREDICTIONS, read_labels, read_sequences
from rna3d_kit.geometry.metric import prediction_scores
from rna3d_kit.pipeline.predict import default_data_dir

DEFAULTS = {k: v.default for k, v in inspect.signature(EnsemblePredictor).parameters.items()}  # the package's own defaults


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='Kaggle-layout folder (default: shared kaggle_part1)')
    ap.add_argument('--candidates', type=int, default=DEFAULTS['n_candidates'])
    ap.add_argument('--limit', type=int, default=None)
    ap.add_argument('--out', default=str(result_path('ensemble', 'ensemble_casp15')))
    args = ap.parse_args()
    data = Path(args.data) if args.data else default_data_dir()
    seqs, labs = split_files(data, 'validation')
    targets = read_sequences(seqs)[:args.limit]
    labels = read_labels(labs)
    ens = EnsemblePredictor(data, n_candidates=args.candidates)
    ens.prepare()
    baseline = GeometricBaseline()
    rows, cand_rows = [], []
    for t in targets:
        t0 = time.perf_counter()
        raw, notes = ens.candidates(t, seed=0)
        ranking = ens.rank(t, raw, N_PREDICTIONS, notes)
        seconds = time.perf_counter() - t0
        refs = labels[t.target_id].coords
        tm = prediction_scores(np.stack([c.structure.c1 for c in ranking.candidates]), refs, mode='part2')
        tpl = prediction_scores(np.stack([c.structure.c1 for c in raw if c.source == 'templates'][:N_PREDICTIONS]), refs, mode='part2')
        base = prediction_scores(np.stack([s.c1 for s in baseline.predict(t, n_samples=N_PREDICTIONS, seed=0)]), refs, mode='part2')
        conf, cons = ranking.confidence, ranking.consensus
        top5 = np.argsort(-conf, kind='stable')[:N_PREDICTIONS]
        chosen_rank = np.full(len(tm), 0); chosen_rank[ranking.chosen] = np.arange(1, len(ranking.chosen) + 1)
        for i, c in enumerate(ranking.candidates):
            cand_rows.append(dict(target_id=t.target_id, length=t.n, candidate=i, source=c.source, prior=c.prior,
                                  geometry=ranking.geometry[i], consensus=cons[i], confidence=conf[i],
                                  chosen_rank=int(chosen_rank[i]), true_tm=tm[i]))
        rho = spearmanr(conf, tm)[0] if len(tm) > 2 else np.nan
        rows.append(dict(target_id=t.target_id, length=t.n, n_candidates=len(tm), n_template_candidates=sum(c.source == 'templates' for c in ranking.candidates),
                         ensemble_best5=tm[ranking.chosen].max(), top1_tm=tm[ranking.chosen[0]], mean_tm=tm.mean(),
                         oracle_best=tm.max(), top5_by_confidence=tm[top5].max(), templates_best5=tpl.max(), baseline_best5=base.max(),
                         spearman_within=rho, seconds=round(seconds, 1)))
        print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(args.out + '.partial', index=False)
    table, cands = pd.DataFrame(rows), pd.DataFrame(cand_rows)
    write_csv(args.out + '.csv', table, float_format='%.4f')
    write_csv(args.out + '_candidates.csv', cands, float_format='%.4f')
    Path(args.out + '.partial').unlink(missing_ok=True)

    pooled = spearmanr(cands.confidence, cands.true_tm)[0]
    pooled_cons = spearmanr(cands.consensus, cands.true_tm)[0]
    # within-target rank correlation, averaged (the part that matters for ordering one target's five)
    within = table.spearman_within.mean()
    within_cons = np.nanmean([spearmanr(g.consensus, g.true_tm)[0] for _, g in cands.groupby('target_id')])
    # top-1 when ranking by consensus alone (prior and geometry weight 0), for comparison
    cons_only = [g.sort_values('consensus', ascending=False, kind='stable').true_tm.iloc[0] for _, g in cands.groupby('target_id', sort=False)]
    lines = [
        f'CASP15 validation ({len(table)} targets), Part 2 TM (exact US-align reproduction), seed 0',
        f'ensemble: members {" + ".join(DEFAULTS["members"])}, {args.candidates} candidates drawn per target (exact repeats removed: mean {table.n_candidates.mean():.1f} kept)',
        f'confidence weights (fixed before this run): {CONFIDENCE_WEIGHTS}; selection cluster_tm={ens.cluster_tm}, max_tm={ens.max_tm}',
        '',
        f'mean best-of-5 TM: ensemble {table.ensemble_best5.mean():.4f} | templates alone {table.templates_best5.mean():.4f} '
        f'| baseline alone {table.baseline_best5.mean():.4f} (all three in this run)',
        f'  top-5 by confidence without the diversity rule: {table.top5_by_confidence.mean():.4f}; oracle best of all candidates: {table.oracle_best.mean():.4f}',
        f'ranking: top-1 TM {table.top1_tm.mean():.4f} vs mean TM over candidates {table.mean_tm.mean():.4f} '
        f'(top-1 above the mean on {(table.top1_tm > table.mean_tm).sum()}/{len(table)} targets); top-1 by consensus alone {np.mean(cons_only):.4f}',
        f'Spearman(confidence, true TM): pooled over {len(cands)} candidates {pooled:.3f} (consensus alone {pooled_cons:.3f}); '
        f'within target, mean over targets {within:.3f} (consensus alone {within_cons:.3f})',
        f'seconds per target (draw + rank): mean {table.seconds.mean():.1f}, max {table.seconds.max():.1f} (machine and load in the stamp)',
    ]
    write_text(args.out + '.txt', '\n'.join(lines) + '\n')
    print('\n'.join(lines))

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    for tid, g in cands.groupby('target_id', sort=False):
        ax[0].scatter(g.confidence, g.true_tm, s=14, label=f'{tid} ({g.length.iloc[0]})')
        ch = g[g.chosen_rank == 1]; ax[0].scatter(ch.confidence, ch.true_tm, s=70, facecolors='none', edgecolors='k')
    ax[0].set_xlabel('confidence'); ax[0].set_ylabel('true TM-score (Part 2)')
    ax[0].set_title(f'candidates (circled: x_1); pooled Spearman {pooled:.2f}, within {within:.2f}'); ax[0].legend(fontsize=6, ncol=2)
    x = np.arange(len(table))
    for k, (col, lab) in enumerate([('mean_tm', 'mean of candidates'), ('top1_tm', 'top-1'), ('ensemble_best5', 'ensemble best-of-5'),
                                    ('templates_best5', 'templates best-of-5')]):
        ax[1].bar(x + (k - 1.5) * 0.2, table[col], 0.2, label=lab)
    ax[1].set_xticks(x, table.target_id, rotation=60, fontsize=7); ax[1].set_ylabel('TM-score'); ax[1].legend(fontsize=7)
    plt.tight_layout(); save_figure(fig, args.out + '.png', dpi=110)


if __name__ == '__main__':
    main()
