"""Measure the angle-distribution shift between SPOT-RNA-1D training and test sets and what constant baselines score under it.

    OMP_NUM_THREADS=1 python scripts/bench_torsion_shift.py    # -> benchmarks/torsion/torsion_shift.txt

Why: Stage B matches or beats the per-nucleotide circular-mean baseline on TS1/TS2 but not on every angle of TS3
(NMR structures). This script shows, with numbers, how far each test set's angle histograms are from TR's and how much
of the TS3 error of a TR-fitted constant disappears when the constant is fitted on TS3 itself (pure distribution shift).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from rna3d_kit.geometry.adjacency import fold
from benchlib import result_path, write_text
from rna3d_kit.nn.torsion_model import ANGLE_NAMES
from rna3d_kit.training.torsion_train import (NucleotideBaseline, angle_diff_deg, circular_median_deg, load_spot1d_chains,
                                     torsion_metrics)

EVAL_SPLITS = ('VL', 'TS1', 'TS2', 'TS3')
BIN_EDGES = np.arange(-180.0, 180.0 + 30.0, 30.0)  # 12 bins of 30 degrees from -180


def angle_histograms(chains) -> np.ndarray:
    """Share of labelled residues per 30-degree bin, `[9, 12]` (rows in `ANGLE_NAMES` order)."""
    rows = np.concatenate([c.angles_deg for c in chains])
    out = np.zeros((len(ANGLE_NAMES), len(BIN_EDGES) - 1))
    for k in range(len(ANGLE_NAMES)):
        v = rows[:, k][np.isfinite(rows[:, k])]
        v = np.mod(v + 180.0, 360.0) - 180.0  # +180 would otherwise fall outside the last bin
        counts, _ = np.histogram(v, BIN_EDGES)
        out[k] = counts / max(counts.sum(), 1)
    return out


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total variation distance 0.5 * sum |p - q| per row of two `[*, bins]` histograms."""
    return 0.5 * np.abs(p - q).sum(-1)


def paired_flags(chains) -> dict:
    """ViennaRNA MFE paired (True) / unpaired per residue, keyed by sequence (each distinct sequence folded once)."""
    return {s: fold(s, bpp=False).partner >= 0 for s in tqdm(sorted({c.sequence for c in chains}), desc='ViennaRNA folds')}


def fit_paired_rule(chains, paired: dict) -> dict:
    """Circular median `[9]` degrees per (nucleotide, paired-or-not), over the labelled residues of `chains`."""
    rule = {}
    for base in 'ACGU':
        for is_paired in (False, True):
            rows = np.concatenate([c.angles_deg[(np.array(list(c.sequence)) == base) & (paired[c.sequence] == is_paired)]
                                   for c in chains])
            rule[base, is_paired] = np.array([circular_median_deg(rows[:, k]) for k in range(rows.shape[1])], np.float32)
    return rule


def predict_paired_rule(rule: dict, chains, paired: dict) -> list[np.ndarray]:
    """Angles `[N, 9]` degrees per chain from the (nucleotide, paired) rule."""
    return [np.stack([rule[b, bool(p)] for b, p in zip(c.sequence, paired[c.sequence])]) for c in chains]


CONSTANTS = ('TR circular mean per nt', 'TR circular median per nt', 'ORACLE: TS3 median per nt fit on TS3')


def conclusion(hist: dict, tv: dict, mae: pd.DataFrame) -> str:
    """The headline numbers of the tables in one paragraph, computed from them (so a rerun never keeps old numbers)."""
    parts = []
    for a in ('gamma', 'delta'):
        k = ANGLE_NAMES.index(a)
        gain = hist['TS3'][k] - hist['TR'][k]
        bins = lambda i: f'{BIN_EDGES[i]:.0f}..{BIN_EDGES[i + 1]:.0f}'
        parts.append(f'TV from TR, {a} ' + '/'.join(EVAL_SPLITS) + ' = ' + '/'.join(f'{tv[s][k]:.3f}' for s in EVAL_SPLITS)
                     + f' (TS3 against TR: most mass gained in the {bins(gain.argmax())} deg bin, lost in {bins(gain.argmin())})')
    ts3 = mae[mae.split == 'TS3'].set_index('predictor')
    parts.append('TS3 MAE TR-mean/TR-median/TS3-oracle: ' + ', '.join(
        f'{a} ' + '/'.join(f'{ts3.loc[p, a]:.2f}' for p in CONSTANTS) for a in ('gamma', 'delta', 'alpha', 'mean')))
    for s in EVAL_SPLITS:
        m = mae[mae.split == s].set_index('predictor')
        wins = [a for a in ANGLE_NAMES if m.loc[CONSTANTS[0], a] < m.loc[CONSTANTS[1], a]]
        parts.append(f'{s}: the TR mean beats the TR median on {", ".join(wins) or "no angle"}')
    return '; '.join(parts) + ' (Stage B on the same splits: benchmarks/torsion/torsion_bert_eval.csv).'


def mae_row(name: str, split: str, chains, predicted) -> dict:
    """One table row: MAE per angle and their mean, from `torsion_metrics`."""
    m = torsion_metrics(chains, predicted)
    return {'predictor': name, 'split': split, **{a: m[f'mae_{a}'] for a in ANGLE_NAMES}, 'mean': m['mae_mean'],
            'n_res': m['n_residues']}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=result_path('torsion', 'torsion_shift.txt'), help='report file')
    out = parser.parse_args().out

    chains = load_spot1d_chains()
    by_split = {s: [c for c in chains if c.split == s] for s in ('TR',) + EVAL_SPLITS}
    hist = {s: angle_histograms(cs) for s, cs in by_split.items()}

    # Table 1a: histograms of TR, TS1 and TS3 side by side, in percent
    bins = [f'{int(lo)}' for lo in BIN_EDGES[:-1]]
    hist_rows = [{'angle': a, 'split': s, **dict(zip(bins, 100 * hist[s][k]))}
                 for k, a in enumerate(ANGLE_NAMES) for s in ('TR', 'TS1', 'TS3')]
    table_hist = pd.DataFrame(hist_rows).to_string(index=False, float_format='%.0f')
    # Table 1b: total variation distance of each split's histogram from TR's
    tv = {s: total_variation(hist['TR'], hist[s]) for s in EVAL_SPLITS}
    table_tv = pd.DataFrame(tv, index=pd.Index(ANGLE_NAMES, name='angle')).to_string(float_format='%.3f')

    # Table 2: constant predictors fitted on TR, plus the TS3-fitted oracle
    paired = paired_flags(chains)
    mean_base = NucleotideBaseline.fit(by_split['TR'], 'mean')
    median_base = NucleotideBaseline.fit(by_split['TR'], 'median')
    rule = fit_paired_rule(by_split['TR'], paired)
    rows = []
    for s in EVAL_SPLITS:
        cs = by_split[s]
        rows.append(mae_row(CONSTANTS[0], s, cs, mean_base.predict_chains(cs)[0]))
        rows.append(mae_row(CONSTANTS[1], s, cs, median_base.predict_chains(cs)[0]))
        rows.append(mae_row('TR median per (nt, Vienna paired)', s, cs, predict_paired_rule(rule, cs, paired)))
    oracle = NucleotideBaseline.fit(by_split['TS3'], 'median')
    rows.append(mae_row(CONSTANTS[2], 'TS3', by_split['TS3'],
                        oracle.predict_chains(by_split['TS3'])[0]))
    table_mae = pd.DataFrame(rows).to_string(index=False, float_format='%.2f')

    # constants themselves (TR vs TS3 medians) for gamma and delta: where the shift sits
    shift_rows = [{'nt': b, 'angle': a, 'TR_median': median_base.angle_deg[b][k], 'TS3_median': oracle.angle_deg[b][k],
                   'diff': float(angle_diff_deg(median_base.angle_deg[b][k], oracle.angle_deg[b][k]))}
                  for a in ('gamma', 'delta') for k in [ANGLE_NAMES.index(a)] for b in 'ACGU']
    table_const = pd.DataFrame(shift_rows).to_string(index=False, float_format='%.1f')

    paired_share = {s: float(np.mean(np.concatenate([paired[c.sequence] for c in by_split[s]]))) for s in by_split}
    header = [
        'SPOT-RNA-1D angle-distribution shift (TR vs VL/TS1/TS2/TS3) and constant baselines under it.',
        'data: load_spot1d_chains() ' + ', '.join(f'{s}={len(cs)} chains' for s, cs in by_split.items()),
        'Table 1a: percent of labelled residues per 30-degree bin (column = bin lower edge, degrees) for TR, TS1, TS3.',
        'Table 1b: total variation distance 0.5*sum|p-q| between TR and each split, over the 12 bins, per angle (0 = same, 1 = disjoint).',
        'Table 2: MAE (degrees, short-way) per angle via torsion_metrics; all constants fitted on TR except the ORACLE row,',
        '  which fits the per-nucleotide circular median on TS3 itself (not a legal predictor: it bounds how much a constant loses to shift).',
        '  "(nt, Vienna paired)": circular median per nucleotide and ViennaRNA MFE paired/unpaired state (fold(seq).partner >= 0).',
        'Table 3: TR vs TS3 per-nucleotide circular medians of gamma and delta.',
        'ViennaRNA paired share: ' + ', '.join(f'{s}={v:.2f}' for s, v in paired_share.items()),
        f'CONCLUSION: {conclusion(hist, tv, pd.DataFrame(rows))}',
    ]
    body = '\n\n'.join([f'## Table 1a: angle histograms (%)\n{table_hist}',
                        f'## Table 1b: total variation distance from TR\n{table_tv}',
                        f'## Table 2: MAE (degrees)\n{table_mae}',
                        f'## Table 3: TR vs TS3 constants (degrees)\n{table_const}'])
    text = '\n'.join('# ' + line for line in header) + '\n\n' + body + '\n'
    write_text(out, text)
    print(text)
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
