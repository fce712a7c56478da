#!/usr/bin/env python
"""Benchmarks of the full-atom rebuild and the restrained OpenMM minimisation (issue 7, items 2-3).

Usage (from the repository root, one core):
  OPENMM_CPU_THREADS=1 .venv/bin/python scripts/bench_minimise.py rebuild   # -> benchmarks/finishing/minimise_rebuild.csv
  OPENMM_CPU_THREADS=1 .venv/bin/python scripts/bench_minimise.py minimise  # -> benchmarks/finishing/minimise.csv

`rebuild`: the 18 clean RNAsolo chains rebuilt from C1' alone (trace frames, and pair frames with the natives'
own canonical pairs; with and without the backbone closure): per-residue heavy-atom RMSD, geometry checks, open
O3'-P links and heavy-atom pairs under 2.2 A, seconds.
`minimise`: (a) natives with every heavy atom displaced by Gaussian noise (sigma 0.3 A), (b) natives rebuilt from
C1', (c) C1'-only windows of 50, 100 and 200 nt of 8SA3 rebuilt then minimised; vacuum, OBC2 and GBn2 (1.2 nm
cutoff, 200 steps; GBn2 up to 60 nt): clashscore, outliers, C1' shift, heavy-atom RMSD to the native, wall and CPU
seconds per residue (with the load average: the machine is shared).
"""
import os
for _v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OPENMM_CPU_THREADS'): os.environ.setdefault(_v, '1')

import argparse
import itertools
import time
import warnings

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from benchlib import RESULTS, write_csv
from rna3d_kit.geometry.fullatom import canonical_partners, geometry_report, model_defects, rebuild_full_atom
from rna3d_kit.geometry.torsions import load_clean_chains
from rna3d_kit.geometry.minimise import minimise
from rna3d_kit.io.structure import RNAStructure

OUT = RESULTS / 'finishing'


def heavy_rmsd(model: RNAStructure, ref: RNAStructure) -> float:
    """Heavy-atom RMSD over atoms present in both, in place (models keep the native's C1' frame)."""
    m = model.atom_mask & ref.atom_mask
    return float(np.sqrt(((model.coords - ref.coords)[m] ** 2).sum(-1).mean()))


def per_residue_rmsd(model: RNAStructure, ref: RNAStructure) -> np.ndarray:
    m = model.atom_mask & ref.atom_mask
    d = np.where(m, ((model.coords - ref.coords) ** 2).sum(-1), 0.0)
    return np.sqrt(d.sum(1) / np.maximum(m.sum(1), 1))


def c1_trace(s: RNAStructure) -> RNAStructure:
    return RNAStructure.from_c1(s.sequence, s.c1, s.chain_ids, s.res_nums, s.name)


def write(rows, name):
    write_csv(OUT / name, pd.DataFrame(rows), float_format='%.4g')


def bench_rebuild():
    rows = []
    for tid, s in tqdm(load_clean_chains('rnasolo'), desc='rebuild'):
        partners = canonical_partners(s)
        for (mode, p), closed in itertools.product((('trace', None), ('pairs', partners)), (True, False)):
            t = time.perf_counter(); r = rebuild_full_atom(c1_trace(s), partners=p, close_links=closed); sec = time.perf_counter() - t
            per = per_residue_rmsd(r, s); g = geometry_report(r); d = model_defects(r)
            rows.append(dict(chain=tid, n=s.n, n_paired=int((partners >= 0).sum()), frames=mode, closed=closed, seconds=sec,
                             per_residue_rmsd_mean=per.mean(), per_residue_rmsd_median=float(np.median(per)),
                             heavy_rmsd=heavy_rmsd(r, s), **g, links_over_2A=d['broken_links'], contacts_under_2_2A=d['close_contacts']))
        write(rows, 'minimise_rebuild.csv')
    df = pd.DataFrame(rows)
    for (mode, closed), d in df.groupby(['frames', 'closed']):
        w = d.n / d.n.sum()
        print(f'{mode}, closed {closed}: links over 2 A {d.links_over_2A.sum()} of {(d.n - 1).sum()}; pairs under 2.2 A {d.contacts_under_2_2A.sum()}; residue-weighted mean per-residue RMSD {(d.per_residue_rmsd_mean * w).sum():.3f} A; '
              f'chirality errors {d.chirality_errors.sum()}; bond outliers per residue {d.bond_outliers.sum() / d.n.sum():.2f}; '
              f'clashscore mean {d.clashscore.mean():.1f}; seconds per residue {d.seconds.sum() / d.n.sum():.4f}')


def bench_minimise(settings, gbn2_max_n):
    chains = dict(load_clean_chains('rnasolo'))
    rng = np.random.default_rng(0)
    cases = []
    big = chains['8SA3_A']
    for n in (50, 100, 200):  # the size series first: it is what a run budget is planned from
        w = big.select(range(n))
        cases.append((f'c1_window_{n}', '8SA3_A', w, rebuild_full_atom(c1_trace(w), partners=canonical_partners(w))))
    for tid in ('7D7W_A', '4ENC_A', '4LVW_A'):
        s = chains[tid]
        noisy = s.with_coords(s.coords + rng.normal(0, 0.3, s.coords.shape).astype(np.float32))
        cases.append(('native+noise0.3', tid, s, noisy))
        cases.append(('rebuilt_from_c1', tid, s, rebuild_full_atom(c1_trace(s), partners=canonical_partners(s))))
    rows = []
    for kind, tid, ref, model in tqdm(cases, desc='cases'):
        for solvent, iters in settings:
            if solvent == 'gbn2' and model.n > gbn2_max_n: continue  # ~30x vacuum per step: keep the run affordable
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                out, rep = minimise(model, solvent=solvent, max_iterations=iters, threads=1)
            g = geometry_report(out)
            rows.append(dict(case=kind, chain=tid, **rep.as_dict(), max_iterations=iters,
                             seconds_per_residue=rep.seconds / model.n, cpu_seconds_per_residue=rep.cpu_seconds / model.n,
                             load_average=os.getloadavg()[0],
                             heavy_rmsd_to_native_before=heavy_rmsd(model, ref), heavy_rmsd_to_native_after=heavy_rmsd(out, ref),
                             chirality_errors_after=g['chirality_errors']))
            print({k: rows[-1][k] for k in ('case', 'chain', 'solvent', 'success', 'seconds', 'cpu_seconds', 'clashscore_before', 'clashscore_after',
                                            'bond_outliers_before', 'bond_outliers_after', 'c1_rmsd_moved')}, flush=True)
            write(rows, OUT_NAME)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=('rebuild', 'minimise'))
    ap.add_argument('--settings', default='vacuum:200,obc2:200,gbn2:200', help='solvent:max_iterations list')
    ap.add_argument('--gbn2-max-n', type=int, default=60, help='skip GBn2 above this many residues')
    ap.add_argument('--out', default='minimise.csv', help='file name under benchmarks/finishing/')
    a = ap.parse_args()
    OUT_NAME = a.out
    if a.what == 'rebuild': bench_rebuild()
    else: bench_minimise([(x.split(':')[0], int(x.split(':')[1])) for x in a.settings.split(',')], a.gbn2_max_n)
