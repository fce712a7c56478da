"""Measurements for `rna3d_kit.geometry.torsions` and `rna3d_kit.geometry.nerf` on the shared all-atom data; results go to benchmarks/nerf/.

    python scripts/bench_nerf.py torsions    # agreement with the SPOT-RNA-1D torsion table -> benchmarks/nerf/torsion_agreement.csv
    python scripts/bench_nerf.py roundtrip   # rebuild clean chains from their torsions -> benchmarks/nerf/nerf_roundtrip.{csv,txt,png}
    python scripts/bench_nerf.py speed       # MP-NeRF vs sequential NeRF at 100/1,000/4,000 nt -> benchmarks/nerf/nerf_speed.csv
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

import benchlib
from rna3d_kit.core import InputError, shared_dir
from rna3d_kit.geometry.torsions import (ANGLE_NAMES, TORSION_NAMES, TYPICAL_TORSIONS, internal_coords_from_coords, load_clean_chains,
                                torsions_from_coords)
from rna3d_kit.geometry.geometry_core import kabsch
from rna3d_kit.geometry.nerf import build_atoms, build_atoms_sequential
from rna3d_kit.io.structure import read_structure

OUT = benchlib.RESULTS / 'nerf'


def write_table(df: pd.DataFrame, name: str):
    """Write a table (stamped) under benchmarks/nerf/."""
    print('wrote', benchlib.write_csv(OUT / name, df, float_format='%.4g'))


def _residue_map(ours: str, theirs: str) -> dict:
    """Our residue index -> 0-based SEQRES index, from a global alignment with free end gaps (identical letters only)."""
    from Bio import Align
    aligner = Align.PairwiseAligner(mode='global', match_score=2, mismatch_score=-1, open_gap_score=-3, extend_gap_score=-1,
                                    end_gap_score=0)
    aln = aligner.align(ours, theirs)[0]
    out = {}
    for (a0, a1), (b0, b1) in zip(*aln.aligned):
        for k in range(a1 - a0):
            if ours[a0 + k] == theirs[b0 + k]: out[a0 + k] = b0 + k
    return out


def torsion_agreement():
    """Circular differences between our angles and the SPOT-RNA-1D table for chains in both sets."""
    data = shared_dir() / 'data'
    spot = pd.read_csv(data / 'torsions_spot1d' / 'torsions.csv')
    sources = []  # (target_id, structure file, chain) of every all-atom chain
    for name in ('rnabind', 'casp15_era_cif'):
        table = pd.read_csv(data / 'allatom' / name / 'chains.csv')
        sub = 'pdb' if name == 'rnabind' else 'cif'
        for r in table.itertuples():
            path = data / 'allatom' / name / sub / r.source_file
            sources.append((r.target_id, path if path.exists() else path.with_name(path.name + '.gz'), r.chain))
    solo = pd.read_csv(data / 'allatom' / 'rnasolo' / 'chains.csv')
    sources += [(r.target_id, data / 'allatom' / 'rnasolo' / 'pdb' / r.source_file, None) for r in solo.itertuples()]
    wanted = set(spot.target_id)
    seen, rows = set(), []
    for target_id, path, chain in tqdm([s for s in sources if s[0] in wanted], desc='chains'):
        if target_id in seen: continue
        found = read_structure(path, chains=[chain] if chain else None)
        if not found: continue
        s, seen = found[0], seen | {target_id}
        ours = np.degrees(torsions_from_coords(s.coords, s.sequence))
        theirs = spot[spot.target_id == target_id].sort_values('seqres_pos')
        mapping = _residue_map(s.sequence, ''.join(theirs.seqres_nt))
        for i, j in mapping.items():
            ref = theirs.iloc[j]
            if ref.resname not in 'ACGU': continue  # modified nucleotides: their atoms may differ
            rows.append(dict(target_id=target_id, residue=i, seqres_pos=int(ref.seqres_pos), nt=s.sequence[i],
                             **{f'{n}_ours': ours[i, ANGLE_NAMES.index(n)] for n in TORSION_NAMES + ('eta', 'theta')},
                             **{f'{n}_ref': ref[n] for n in TORSION_NAMES + ('eta', 'theta')}))
    pairs = pd.DataFrame(rows)
    summary = []
    for n in TORSION_NAMES + ('eta', 'theta'):
        a, b = pairs[f'{n}_ours'], pairs[f'{n}_ref']
        both = a.notna() & b.notna()
        diff = np.abs((a[both] - b[both] + 180) % 360 - 180)
        summary.append(dict(angle=n, n_residues=int(both.sum()), n_chains=pairs[both].target_id.nunique(),
                            median_deg=diff.median(), p95_deg=diff.quantile(0.95), mean_deg=diff.mean(),
                            frac_within_1deg=(diff <= 1).mean(), only_ours=int((a.notna() & b.isna()).sum()),
                            only_ref=int((a.isna() & b.notna()).sum())))
    summary = pd.DataFrame(summary)
    print(summary.to_string(index=False))
    write_table(summary, 'torsion_agreement.csv')


def residue_window_rmsd(model: np.ndarray,  # [N, 23, 3] rebuilt atoms
                        native: np.ndarray,  # [N, 23, 3] native atoms (NaN = absent)
                        half_width: int = 0,  # 0: residue i alone; 1: residues i-1..i+1 superposed together
                       ) -> np.ndarray:
    """`[N]` heavy-atom RMSD of each residue's window after superposing the window on the native one."""
    n = len(model)
    idx = np.clip(np.arange(n)[:, None] + np.arange(-half_width, half_width + 1)[None], 0, n - 1)  # [N, W]
    inside = (np.arange(n)[:, None] + np.arange(-half_width, half_width + 1)[None] == idx)[..., None]
    x, y = model[idx].reshape(n, -1, 3), native[idx].reshape(n, -1, 3)
    w = ((np.isfinite(x).all(-1) & np.isfinite(y).all(-1)) & np.repeat(inside, 23, 1)[..., 0]).astype(float)
    x, y = np.nan_to_num(x.astype(np.float64)), np.nan_to_num(y.astype(np.float64))
    R, t = kabsch(x, y, w)
    return np.sqrt((w * ((np.einsum('nij,naj->nai', R, x) + t[:, None] - y) ** 2).sum(-1)).sum(1) / w.sum(1))


def c1_rmsd(model: np.ndarray, native: np.ndarray) -> float:
    """Whole-chain C1' RMSD after one superposition."""
    x, y = model[:, 11].astype(np.float64), native[:, 11].astype(np.float64)
    R, t = kabsch(x, y, np.ones((1, len(x))))
    return float(np.sqrt((((x @ R[0].T + t[0]) - y) ** 2).sum(-1).mean()))


MODES = {  # name -> (pucker from the native?, native internal coordinates?)
    'ideal table, native pucker': (True, False),
    'ideal table, pucker from delta': (False, False),
    'native internals, native pucker': (True, True),
}


def roundtrip():
    """Rebuild every clean chain from its own torsions in three modes; local error and C1' RMSD per chain."""
    chains = [('rnasolo', *c) for c in load_clean_chains('rnasolo')] + [('rnabind', *c) for c in load_clean_chains('rnabind')]
    rows, residues = [], []
    for source, target_id, s in tqdm(chains, desc='chains'):
        angles = torch.as_tensor(torsions_from_coords(s.coords, s.sequence))
        internal = internal_coords_from_coords(s.coords, s.sequence)
        for mode, (native_pucker, native_internal) in MODES.items():
            model = build_atoms(s.sequence, angles[:, :7], angles[:, 7:9] if native_pucker else None,
                                internal=internal if native_internal else None).numpy()
            local, window = residue_window_rmsd(model, s.coords), residue_window_rmsd(model, s.coords, 1)
            rows.append(dict(source=source, target_id=target_id, length=s.n, mode=mode, local_rmsd=local.mean(),
                             window_rmsd=window.mean(), c1_rmsd=c1_rmsd(model, s.coords)))
            residues.append(pd.DataFrame(dict(mode=mode, source=source, local=local, window=window)))
    per_chain, per_residue = pd.DataFrame(rows), pd.concat(residues)
    write_table(per_chain, 'nerf_roundtrip.csv')
    bins = pd.cut(per_chain.length, [0, 50, 100, 200, 10_000], right=False, labels=['<50', '50-99', '100-199', '>=200'])
    lines = [f'Stage C round trip: {per_chain.target_id.nunique()} clean chains ({(per_chain[per_chain["mode"] == list(MODES)[0]].source.value_counts().to_dict())}), '
             f'{len(per_residue) // len(MODES)} residues; rebuilt from their own torsions (scripts/bench_nerf.py roundtrip)', '',
             'Local error = heavy-atom RMSD of each residue (incl. its P) superposed on the native residue; window = residues i-1..i+1 together.',
             '', 'mean over residues (A):']
    agg = per_residue.groupby('mode')[['local', 'window']].agg(['mean', lambda v: v.quantile(0.95)])
    agg.columns = ['local_mean', 'local_p95', 'window_mean', 'window_p95']
    lines += [agg.loc[list(MODES)].round(3).to_string(), '', "whole-chain C1' RMSD after superposition (A), mean [median] by length:"]
    table = per_chain.assign(bin=bins).groupby(['mode', 'bin'], observed=True).c1_rmsd.agg(['count', 'mean', 'median']).round(2)
    lines += [table.loc[list(MODES)].to_string()]
    text = '\n'.join(lines) + '\n'
    print(text)
    benchlib.write_text(OUT / 'nerf_roundtrip.txt', text)
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for mode in MODES:
        sub = per_chain[per_chain['mode'] == mode]
        axes[0].scatter(sub.length, sub.c1_rmsd, s=10, label=mode)
        axes[1].hist(per_residue[per_residue['mode'] == mode].local, bins=np.linspace(0, 0.6, 61), histtype='step', label=mode)
    axes[0].set(xscale='log', yscale='log', xlabel='chain length (nt)', ylabel="C1' RMSD (A)", title='whole chain')
    axes[1].set(xlabel='residue heavy-atom RMSD (A)', ylabel='residues', title='local error')
    axes[1].legend(fontsize=8)
    fig.tight_layout(); print('wrote', benchlib.save_figure(fig, OUT / 'nerf_roundtrip.png', dpi=110))


def speed(lengths=(100, 1000, 4000), repeats: int = 5):
    """Wall time of MP-NeRF (forward, forward+backward) and the sequential NeRF on random chains (float32), and their rounding errors."""
    rows = []
    for n in lengths:
        g = torch.Generator().manual_seed(n)
        seq = ''.join('ACGU'[k] for k in torch.randint(0, 4, (n,), generator=g))
        typical = torch.tensor([TYPICAL_TORSIONS[k] for k in TORSION_NAMES]).deg2rad()
        tors = typical + 0.2 * torch.randn(n, 7, generator=g)
        def clock(fn, reps):
            times = []
            for _ in range(reps):
                t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
            return float(np.median(times))
        fast = clock(lambda: build_atoms(seq, tors), repeats)
        leaf = tors.clone().requires_grad_()
        backward = clock(lambda: build_atoms(seq, leaf).nan_to_num().sum().backward(), repeats)
        slow = clock(lambda: build_atoms_sequential(seq, tors), 1 if n > 1000 else 3)
        t64 = tors.double()
        exact = build_atoms(seq, t64)  # float64 MP-NeRF: the reference for rounding error
        err = lambda x: float((x.double() - exact).nan_to_num().abs().max())
        rows.append(dict(length=n, mp_nerf_s=fast, mp_nerf_fwd_bwd_s=backward, sequential_s=slow, speedup=slow / fast,
                         mp_vs_sequential_float64_A=err(build_atoms_sequential(seq, t64)),
                         mp_float32_error_A=err(build_atoms(seq, tors)), sequential_float32_error_A=err(build_atoms_sequential(seq, tors)),
                         extent_A=float(exact.nan_to_num().abs().max()), threads=torch.get_num_threads()))
        print(rows[-1])
    write_table(pd.DataFrame(rows), 'nerf_speed.csv')


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('what', choices=['torsions', 'roundtrip', 'speed'])
    parser.add_argument('--threads', type=int, default=1, help='torch threads (the machine is shared)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    {'torsions': torsion_agreement, 'roundtrip': roundtrip, 'speed': speed}[args.what]()
