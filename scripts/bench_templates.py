#!/usr/bin/env python
"""Benchmarks of template-based modelling (issue 4); results go to benchmarks/templates/ (stamped).

Usage (from the repository root, one core):
  .venv/bin/python scripts/bench_templates.py build      # DB build time/size: shared data + synthetic Part 2 size
  .venv/bin/python scripts/bench_templates.py speed      # search + transfer seconds per ~200-nt target; long queries
  .venv/bin/python scripts/bench_templates.py casp15     # CASP15 validation, date-filtered: templates vs baseline
  .venv/bin/python scripts/bench_templates.py loo [--n 558]  # leave-one-out on the training labels
  .venv/bin/python scripts/bench_templates.py ranking    # which hit statistic predicts the transferred model's TM
  .venv/bin/python scripts/bench_templates.py rnamark    # RNAmark (53 targets, 2022-23), date-honest, vs 10 published model sets
  .venv/bin/python scripts/bench_templates.py hits [--n 600]  # hit-level leave-one-out data over the full library (features, model TM)
  .venv/bin/python scripts/bench_templates.py complexes  # every 2-chain pdb_rna entry predicted with its own entry excluded
  .venv/bin/python scripts/bench_templates.py ranker     # train the template ranker on `hits` (date-honest), held-out quality, slot policy
  .venv/bin/python scripts/bench_templates.py scale      # build + search at Part 2 size: real pdb_rna, default library, 20,000 synthetic chains
  .venv/bin/python scripts/bench_templates.py loo_library [--n 650] [--before-code DIR]  # end-to-end LOO on the full library, kit before vs now
  .venv/bin/python scripts/bench_templates.py ssalign [--n 650]  # structure-aware re-alignment of remote hits (identity < 0.7) on the library LOO
"""
import os
for _v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'): os.environ.setdefault(_v, '1')

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import benchlib
from rna3d_kit.core import shared_dir
from rna3d_kit.io.structure import C1_INDEX, MAX_ATOMS, Target

OUT = benchlib.RESULTS / 'templates'
KAGGLE = shared_dir() / 'data' / 'kaggle_part1'


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob('*') if p.is_file()) / 2 ** 20


def write_text(path: Path, text: str, command: str | None = None):
    """Write a summary under its stamp (which names the machine and its load: timings under load are inflated)."""
    benchlib.write_text(path, text, command)
    print(text)


# ---------------------------------------------------------------- build (each measured in a child process)
def child_build(kind: str, folder: str, cache: str):
    """Run one build in this (fresh) process; print a JSON line with seconds, peak RSS and size."""
    from rna3d_kit.predictors.template_db import build_template_db, open_template_db, save_template_db, load_template_db
    t0 = time.perf_counter()
    if kind == 'shared':
        db = open_template_db(KAGGLE, cache_dir=cache, progress=False)
    elif kind == 'kaggle':
        db = open_template_db(folder, structure_dirs=[], cache_dir=cache, progress=False)
    elif kind == 'pdb_rna':  # the real PDB_RNA folder alone (1,259 mmCIF entries), parsing included
        db = open_template_db(None, structure_dirs=[shared_dir() / 'data' / 'pdb_rna' / 'PDB_RNA'], cache_dir=cache, progress=False)
    elif kind == 'default':  # the default development library: kaggle_part1 labels + every dated structure folder of shared data
        db = open_template_db(KAGGLE, cache_dir=cache, progress=False)
    elif kind == 'syn20k':  # 20,000 heavy-atom chains in families, generated in memory (generation not timed)
        entries = synthetic_family_entries()
        t0 = time.perf_counter()
        save_template_db(build_template_db(entries), Path(cache) / 'syn20k')
        db = load_template_db(Path(cache) / 'syn20k')
    elif kind == 'atoms':  # 8,600 heavy-atom chains generated in memory (generation not timed)
        entries = synthetic_atom_entries()
        t0 = time.perf_counter()
        save_template_db(build_template_db(entries), Path(cache) / 'atoms')
        db = load_template_db(Path(cache) / 'atoms')
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter(); from rna3d_kit.predictors.template_db import load_template_db as _l; _l(db.path); load = time.perf_counter() - t1
    print(json.dumps(dict(kind=kind, seconds=seconds, load_seconds=load, peak_rss_mb=peak_rss_mb(), entries=len(db),
                          residues=db.n_residues, disk_mb=folder_mb(db.path))))


def part2_lengths(n: int, total: int, longest: int, seed: int) -> np.ndarray:
    """`n` chain lengths: one of `longest`, the rest log-normal (RNA-like) scaled to sum to ~`total`."""
    rng = np.random.default_rng(seed)
    raw = rng.lognormal(np.log(80), 1.1, n - 1)
    raw = np.clip(raw * (total - longest) / raw.sum(), 5, 20000).astype(int)
    return np.r_[longest, raw]


def random_walk(n: int, rng) -> np.ndarray:
    steps = rng.normal(size=(n, 3)); steps *= 5.9 / np.linalg.norm(steps, axis=1, keepdims=True)
    return np.cumsum(steps, 0).astype(np.float32)


def synthetic_kaggle(folder: Path, n_targets=5716, total=1_500_000, longest=125_000, seed=0):
    """A Kaggle-layout folder (train_sequences.csv + train_labels.csv) of Part 2's size with random chains."""
    rng = np.random.default_rng(seed)
    lengths = part2_lengths(n_targets, total, longest, seed)
    ids = [f'SYN{i:05d}_A' for i in range(n_targets)]
    seqs = [''.join(rng.choice(list('ACGU'), L)) for L in lengths]
    dates = [str(dt.date(1990, 1, 1) + dt.timedelta(days=int(d))) for d in rng.integers(0, 12000, n_targets)]
    pd.DataFrame(dict(target_id=ids, sequence=seqs, temporal_cutoff=dates)).to_csv(folder / 'train_sequences.csv', index=False)
    tid = np.repeat(ids, lengths); resid = np.concatenate([np.arange(1, L + 1) for L in lengths])
    xyz = np.concatenate([random_walk(L, rng) for L in lengths])
    df = pd.DataFrame(dict(ID=[f'{t}_{r}' for t, r in zip(tid, resid)], resname=list(''.join(seqs)), resid=resid,
                           x_1=xyz[:, 0], y_1=xyz[:, 1], z_1=xyz[:, 2]))
    df.to_csv(folder / 'train_labels.csv', index=False, float_format='%.3f')
    return int(lengths.sum())


def synthetic_atom_entries(n=8600, total=1_500_000, longest=125_000, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for i, L in enumerate(part2_lengths(n, total, longest, seed)):
        c1 = random_walk(L, rng)
        atoms = (c1[:, None, :] + rng.normal(scale=3.0, size=(L, MAX_ATOMS, 3))).astype(np.float32)
        atoms[:, C1_INDEX] = c1
        out.append(dict(id=f'S{i:05d}_A', sequence=''.join(rng.choice(list('ACGU'), L)), release_date=dt.date(2000, 1, 1),
                        source='synthetic', c1=c1, atoms=atoms))
    return out


def synthetic_family_entries(n=20000, n_families=2500, total=2_000_000, longest=5500, seed=2):
    """`n` heavy-atom chains in `n_families` families (each chain a 5-30% mutated copy of its family's sequence, cut to its
    own length): Part 2's ~20,000 chains with its redundancy, lengths log-normal up to `longest`."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(part2_lengths(n, total, longest, seed), 8, longest)
    seeds = [''.join(rng.choice(list('ACGU'), longest)) for _ in range(n_families)]
    out = []
    for i, L in enumerate(lengths):
        fam = seeds[rng.integers(n_families)]
        s = np.array(list(fam[:L]))
        mut = rng.random(L) < rng.uniform(0.05, 0.3)
        s[mut] = rng.choice(list('ACGU'), mut.sum())
        c1 = random_walk(L, rng)
        atoms = (c1[:, None, :] + rng.normal(scale=3.0, size=(L, MAX_ATOMS, 3))).astype(np.float32)
        atoms[:, C1_INDEX] = c1
        out.append(dict(id=f'F{i:05d}_A', sequence=''.join(s), release_date=dt.date(2000, 1, 1), source='synthetic', c1=c1, atoms=atoms,
                        group=f'F{i:05d}'))
    return out


def scale_search(cache: str, n_queries: int = 30, length: int = 200):
    """Search + transfer + completion of the top hit for 200-nt queries (20% mutated windows of library chains), one core."""
    from rna3d_kit.predictors.template_db import load_template_db, search_templates
    from rna3d_kit.predictors.templates import TemplatePredictor
    db = load_template_db(Path(cache) / 'syn20k')
    pred = TemplatePredictor(db=db, progress=False, ranker=None)
    ranking = TemplatePredictor(db=db, progress=False)
    ranking.query_partner('ACGU' * 10)  # first-use import of ViennaRNA is not a per-query cost
    rng = np.random.default_rng(5)
    long_enough = [e for e in range(len(db)) if db.length(e) >= length]
    rows = []
    for e in rng.choice(long_enough, n_queries, replace=False):
        start = rng.integers(0, db.length(e) - length + 1)
        q = np.array(list(db.sequence(int(e))[start:start + length]))
        mut = rng.random(length) < 0.2
        q[mut] = rng.choice(list('ACGU'), mut.sum())
        t = Target(f'q{e}', ''.join(q))
        c0 = time.process_time(); hits = search_templates(db, t.sequence, z_min=6.0); c1 = time.process_time()
        if hits: pred.build_model(t, {t.sequence: hits[0]})
        c2 = time.process_time()
        ranked = ranking.search(t)[t.sequence]  # the predictor's own search: z >= 3, features (Stage A fold, C1' pairs, consensus), ranker
        if ranked: ranking.build_model(t, {t.sequence: ranked[0]})
        c3 = time.process_time()
        rows.append(dict(search=c1 - c0, total=c2 - c0, ranked_total=c3 - c2,
                         found=bool(hits) and int(db.group[hits[0].entry]) == int(db.group[int(e)])))
    print(json.dumps(dict(kind='syn20k_search', rows=rows)))


def run_child(*args) -> dict:
    r = subprocess.run([sys.executable, __file__, '_child', *args], capture_output=True, text=True)
    if r.returncode: raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_build():
    lines = [f'# template database build ({dt.datetime.now():%Y-%m-%d %H:%M}, one core; '
             'command: .venv/bin/python scripts/bench_templates.py build)', '']
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        r = run_child('shared', '-', str(tmp / 'cache_shared'))
        lines.append(f"shared data (kaggle_part1 train labels + allatom rnabind/rnasolo/casp15_era_cif): {r['entries']} entries, "
                     f"{r['residues']:,} residues; build {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB, "
                     f"on disk {r['disk_mb']:.1f} MB, load {r['load_seconds'] * 1000:.0f} ms")
        from rna3d_kit.predictors.template_db import structure_entries
        for name in ('rnabind', 'casp15_era_cif'):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                ents = structure_entries(shared_dir() / 'data' / 'allatom' / name)
            sec = time.perf_counter() - t0; res = sum(len(e['sequence']) for e in ents)
            lines.append(f'  parsing {name}: {len(ents)} chains, {res:,} residues in {sec:.1f} s = {res / sec:,.0f} residues/s '
                         f'-> 1.5M residues of mmCIF would parse in ~{1.5e6 / (res / sec) / 60:.0f} min (extrapolated)')
        syn = tmp / 'synthetic'; syn.mkdir()
        t0 = time.perf_counter(); total = synthetic_kaggle(syn); gen = time.perf_counter() - t0
        r = run_child('kaggle', str(syn), str(tmp / 'cache_syn'))
        lines.append(f"synthetic Part 2 size, Kaggle labels CSV (5,716 targets, {total:,} residues, longest 125,000 nt, "
                     f"CSV {folder_mb(syn):.0f} MB, written in {gen:.0f} s): build {r['seconds']:.1f} s (CSV parse included), "
                     f"peak RSS {r['peak_rss_mb']:.0f} MB, on disk {r['disk_mb']:.0f} MB, load {r['load_seconds'] * 1000:.0f} ms")
        r = run_child('atoms', '-', str(tmp / 'cache_atoms'))
        lines.append(f"synthetic Part 2 size, heavy atoms (8,600 chains, {r['residues']:,} residues x 23 atoms, built in memory, "
                     f"file parsing not included): build+save {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
                     f"(includes the generated input), on disk {r['disk_mb']:.0f} MB, load {r['load_seconds'] * 1000:.0f} ms")
    write_text(OUT / 'templates_build.txt', '\n'.join(lines) + '\n')


# ---------------------------------------------------------------- speed
def bench_speed(with_predict: bool = True, with_long: bool = True):
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    from rna3d_kit.predictors.templates import TemplatePredictor
    pred = TemplatePredictor(KAGGLE, leave_one_out=True)
    db = pred.db
    targets = {t.target_id: t for t in read_sequences(KAGGLE / 'train_sequences.csv', unknown='A')}
    labels = read_labels(KAGGLE / 'train_labels.csv')
    queries = [targets[t] for t, l in labels.items() if 150 <= l.n <= 250][:30]
    pred.predict(queries[0], 5)  # warm-up: first-use imports (scipy.optimize, ViennaRNA) are not per-target costs
    rows = []
    for t in queries:  # wall-clock and CPU seconds (CPU time is what one free core would take: the machine is shared)
        t0, c0 = time.perf_counter(), time.process_time(); hits = pred.search(t); t1, c1 = time.perf_counter(), time.process_time()
        picks = {s: (h[0] if h else None) for s, h in hits.items()}
        if all(p is not None for p in picks.values()):
            pred.build_model(t, picks); t2, c2 = time.perf_counter(), time.process_time()
        else: t2 = c2 = float('nan')
        t3 = time.perf_counter()
        if with_predict: pred.predict(t, 5)
        t4 = time.perf_counter()
        rows.append(dict(target_id=t.target_id, n=t.n, search_s=t1 - t0, search_transfer_s=t2 - t0, predict5_s=t4 - t3,
                         search_cpu=c1 - c0, search_transfer_cpu=c2 - c0))
    df = pd.DataFrame(rows)
    lines = [f'# template search + transfer speed ({dt.datetime.now():%Y-%m-%d %H:%M}, one core, shared DB of {len(db)} entries / '
             f'{db.n_residues:,} residues; command: .venv/bin/python scripts/bench_templates.py speed{"" if with_long else " --quick"})', '',
             f'{len(df)} training targets of 150-250 nt (mean {df.n.mean():.0f} nt), date filter + leave-one-out:',
             f'  search: wall mean {df.search_s.mean():.3f} s, max {df.search_s.max():.3f} s; '
             f'CPU mean {df.search_cpu.mean():.3f} s, max {df.search_cpu.max():.3f} s',
             f'  search + transfer + completion of the top model ({df.search_transfer_s.notna().sum()} targets with a significant hit): '
             f'wall mean {df.search_transfer_s.mean():.3f} s, max {df.search_transfer_s.max():.3f} s; '
             f'CPU mean {df.search_transfer_cpu.mean():.3f} s, max {df.search_transfer_cpu.max():.3f} s']
    if with_predict:
        lines.append(f'  full predict (5 models, baseline fill included): mean {df.predict5_s.mean():.2f} s, max {df.predict5_s.max():.2f} s')
    rng = np.random.default_rng(0)
    longest = max(targets.values(), key=lambda t: t.n)
    for t in (longest, Target('random6000', ''.join(rng.choice(list('ACGU'), 6000)))) if with_long else ():
        c0 = time.process_time(); pred.search(t)
        lines.append(f'  long query {t.target_id} ({t.n} nt): search CPU {time.process_time() - c0:.1f} s')
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            models = pred.predict(t, 5)
        ok = len(models) == 5 and all(np.isfinite(m.c1).all() and m.n == t.n for m in models)
        lines.append(f'  long query {t.target_id} ({t.n} nt): predict 5 in {time.perf_counter() - t0:.1f} s, complete={ok}, '
                     f'template models={sum("_tpl" in m.name for m in models)}, warnings={len(w)}')
    write_text(OUT / ('templates_speed.txt' if with_long else 'templates_speed_quick.txt'), '\n'.join(lines) + '\n')


# ---------------------------------------------------------------- CASP15 and leave-one-out
class CachedBaseline:
    """The geometric baseline with its 5 samples per target computed once: the templates' fill slots and the
    baseline column then use the same samples (the fill takes the first ones), halving the baseline's cost.
    With `folder`, samples are also kept on disk (keyed by sequence, chains and seed), so reruns reuse them."""
    name = 'baseline'

    def __init__(self, folder: Path | None = None):
        from rna3d_kit.predictors.baseline import GeometricBaseline
        self.inner, self.cache, self.folder = GeometricBaseline(), {}, folder

    def _file(self, target, seed):
        import hashlib
        key = hashlib.sha256(f'{target.sequence}|{"".join(target.chains)}|{seed}'.encode()).hexdigest()[:20]
        return self.folder / f'{key}.npy'

    def predict(self, target, n_samples=5, seed=0):
        from rna3d_kit.io.structure import RNAStructure
        key = (target.target_id, target.sequence, seed)
        if key not in self.cache or len(self.cache[key]) < n_samples:
            f = self._file(target, seed) if self.folder else None
            if f is not None and f.exists() and len(np.load(f)) >= n_samples:
                xyz = np.load(f)
                models = [RNAStructure.from_c1(target.sequence, x, chain_ids=target.chains, name=f'{target.target_id}_baseline_{k + 1}')
                          for k, x in enumerate(xyz)]
            else:
                models = self.inner.predict(target, max(n_samples, 5), seed)
                if f is not None:
                    f.parent.mkdir(parents=True, exist_ok=True)
                    np.save(f, np.stack([m.c1 for m in models]).astype(np.float32))
            self.cache = {key: models}
        return self.cache[key][:n_samples]


BASELINE_CACHE = Path.home() / '.cache' / 'rna3d_kit' / 'bench_baseline'  # baseline samples shared by benchmark reruns
RNAMARK = shared_dir() / 'data' / 'rnamark'


def evaluate(targets, labels, predictor, baseline, out_csv: Path, title: str):
    from rna3d_kit.geometry.metric import score_target
    from tqdm import tqdm
    rows = []
    for t in tqdm(targets, desc=title, unit='target'):
        t0 = time.perf_counter()
        hits = predictor.search(t)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            models = predictor.predict(t, 5)
        sec = time.perf_counter() - t0
        ref = labels[t.target_id].coords
        tm = float(score_target(np.stack([m.c1 for m in models]), ref, mode='part2'))
        top = max((h[0] for h in hits.values() if h), key=lambda h: h.usefulness, default=None)
        row = dict(target_id=t.target_id, n=t.n, temporal_cutoff=t.temporal_cutoff, tm_templates=round(tm, 4),
                   n_template_models=sum('_tpl' in m.name for m in models), significant=top is not None,
                   top_template=top.template_id if top else '', top_release=top.release_date if top else '',
                   top_z=round(top.z, 1) if top else np.nan, top_coverage=round(top.coverage, 3) if top else np.nan,
                   top_identity=round(top.identity, 3) if top else np.nan, seconds=round(sec, 2))
        if baseline is not None:
            bm = baseline.predict(t, 5)
            row['tm_baseline'] = round(float(score_target(np.stack([m.c1 for m in bm]), ref, mode='part2')), 4)
        rows.append(row)
        pd.DataFrame(rows).to_csv(out_csv.with_suffix('.partial'), index=False)
    df = pd.DataFrame(rows)
    benchlib.write_csv(out_csv, df)
    out_csv.with_suffix('.partial').unlink(missing_ok=True)
    return df


def bench_casp15():
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    from rna3d_kit.predictors.templates import TemplatePredictor
    targets = read_sequences(KAGGLE / 'validation_sequences.csv')
    labels = read_labels(KAGGLE / 'validation_labels.csv')
    baseline = CachedBaseline(BASELINE_CACHE)
    df = evaluate(targets, labels, TemplatePredictor(KAGGLE, fallback=baseline, progress=False), baseline, OUT / 'templates_casp15.csv', 'casp15')
    lines = [f'# CASP15 validation (12 targets), templates from shared data released strictly before each target\'s cutoff '
             f'({dt.datetime.now():%Y-%m-%d %H:%M}; command: .venv/bin/python scripts/bench_templates.py casp15)',
             f'mean best-of-5 TM (Part 2 mode): templates {df.tm_templates.mean():.4f}, geometric baseline {df.tm_baseline.mean():.4f}; '
             f'{int(df.significant.sum())}/{len(df)} targets had a significant template', '',
             df.to_string(index=False)]
    write_text(OUT / 'templates_casp15.txt', '\n'.join(lines) + '\n')


def bench_loo(n: int):
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    from rna3d_kit.predictors.templates import TemplatePredictor
    all_t = {t.target_id: t for t in read_sequences(KAGGLE / 'train_sequences.csv', unknown='A')}
    labels = read_labels(KAGGLE / 'train_labels.csv')
    ids = [t for t in labels if np.isfinite(labels[t].coords[0]).sum() >= 3]
    ids = ids[::max(1, len(ids) // n)][:n]  # evenly spread over the file (which runs roughly by release date)
    baseline = CachedBaseline()
    df = evaluate([all_t[t] for t in ids], labels, TemplatePredictor(KAGGLE, leave_one_out=True, fallback=baseline), baseline,
                  OUT / 'templates_loo.csv', 'leave-one-out')
    sig = df[df.significant]
    lines = [f'# leave-one-out on the training labels: each target from the others, its own id and identical sequences removed, '
             f'templates released strictly before its cutoff ({dt.datetime.now():%Y-%m-%d %H:%M}; '
             f'command: .venv/bin/python scripts/bench_templates.py loo --n {n})',
             f'{len(df)} targets: mean best-of-5 TM (Part 2 mode) templates {df.tm_templates.mean():.4f}, '
             f'geometric baseline {df.tm_baseline.mean():.4f}',
             f'{len(sig)} with a significant template: templates {sig.tm_templates.mean():.4f} vs baseline {sig.tm_baseline.mean():.4f}',
             f'{len(df) - len(sig)} without (baseline fallback): {df[~df.significant].tm_templates.mean():.4f}',
             f'mean seconds per target (search + 5 models, incl. fallback): {df.seconds.mean():.2f}']
    write_text(OUT / 'templates_loo.txt', '\n'.join(lines) + '\n')


def bench_ranking():
    """Which hit statistic predicts the TM of the transferred model? (calibrates the ranking and z_min)."""
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    from rna3d_kit.geometry.metric import score_target
    from rna3d_kit.predictors.templates import TemplatePredictor
    from tqdm import tqdm
    targets = {t.target_id: t for t in read_sequences(KAGGLE / 'train_sequences.csv', unknown='A')}
    labels = read_labels(KAGGLE / 'train_labels.csv')
    pred = TemplatePredictor(KAGGLE, leave_one_out=True, z_min=-1e9, max_hits=8, ranker=None)  # every hit, alignment-score order
    rows = []
    for tid in tqdm(list(labels)[::2], desc='ranking', unit='target'):
        t, ref = targets[tid], labels[tid].coords
        if np.isfinite(ref[0]).all(1).sum() < 5: continue
        for rank, h in enumerate(pred.search(t)[t.sequence]):
            m = pred.build_model(t, {t.sequence: h}, seed=rank)
            rows.append(dict(target_id=tid, n=t.n, rank=rank, z=h.z, score=h.score, coverage=h.coverage, identity=h.identity,
                             usefulness=h.usefulness, tm=float(score_target(m.c1[None], ref, mode='part2'))))
    df = pd.DataFrame(rows)
    benchlib.write_csv(OUT / 'templates_ranking.csv', df)
    corr = df[['score', 'z', 'usefulness', 'coverage', 'identity', 'tm']].corr(method='spearman')['tm'].drop('tm')
    lines = [f'# which hit statistic predicts the transferred model\'s TM (leave-one-out, date-filtered, every other training '
             f'target; one model per hit, completed and relaxed, no hybrid; command: .venv/bin/python scripts/bench_templates.py ranking)',
             f'{df.target_id.nunique()} targets with hits, {len(df)} hits (up to 8 per target, no significance cut)',
             'Spearman correlation with TM: ' + ', '.join(f'{k} {v:.2f}' for k, v in corr.items()),
             'mean TM by z: ' + ', '.join(f'{iv}: {m:.3f} (n={c})' for iv, (m, c) in
                                         df.groupby(pd.cut(df.z, [-1e9, 3, 4, 5, 6, 8, 10, 15, 25, 1e9]), observed=True).tm.agg(['mean', 'count']).iterrows())]
    for zmin in (4, 5, 6, 7, 8):
        sig = df[df.z >= zmin]; g = sig.groupby('target_id')
        picks = {c: sig.loc[g[c].idxmax()].tm.mean() for c in ('score', 'z', 'usefulness')}
        lines.append(f'z >= {zmin}: {sig.target_id.nunique()} targets; mean TM of the top hit ranked by ' +
                     ', '.join(f'{c} {v:.3f}' for c, v in picks.items()) + f'; oracle {g.tm.max().mean():.3f}')
    write_text(OUT / 'templates_ranking.txt', '\n'.join(lines) + '\n')


def loo_library_targets(db, n: int, seed: int = 0, lengths=(15, 500)) -> list[int]:
    """`n` date-honest leave-one-out targets of the library, as a query from the PDB comes: chains of 15-500 nt, ACGU
    only, dated, with C1' for at least 80% of residues; one random chain per distinct sequence, `n` sequences drawn at
    random (seed 0), in entry order. A later copy of an earlier structure is a fair target: its earlier copy is a
    legitimate template (drawing only deduplicated representatives would leave identical templates only where the
    structure differs, and teach the ranker that identity is worth little)."""
    rng = np.random.default_rng(seed)
    by_seq = {}
    for e in range(len(db)):
        if db.release[e] >= 0 and lengths[0] <= db.length(e) <= lengths[1] and set(db.sequence(e)) <= set('ACGU') \
                and np.isfinite(db.entry_c1(e)).all(1).mean() >= 0.8:
            by_seq.setdefault(db.sequence(e), []).append(e)
    one = [int(rng.choice(v)) for _, v in sorted(by_seq.items())]
    return sorted(rng.choice(one, min(n, len(one)), replace=False).tolist())


def hit_rows(pred, target, ref, baseline, z_floor: float = 3.0, max_hits: int = 10) -> tuple[list[dict], dict]:
    """Rows (features + model TM) for every hit of a single-chain `target` and one summary row (baseline TMs)."""
    from rna3d_kit.geometry.metric import prediction_scores
    from rna3d_kit.predictors.template_db import search_templates
    from rna3d_kit.predictors.templates import RANK_FEATURES, hit_features
    db, seq = pred.db, target.sequence
    t0 = time.process_time()
    hits = search_templates(db, seq, cutoff=target.temporal_cutoff, exclude_ids=(target.target_id,), z_min=z_floor, max_hits=max_hits)
    search_s = time.process_time() - t0
    feats = hit_features(db, hits, seq, pred.query_partner(seq))
    base = baseline.predict(target, 5)
    base_tm = prediction_scores(np.stack([m.c1 for m in base]), ref[None], mode='part2')
    rows = []
    for k, h in enumerate(hits):
        partial = h.coverage < pred.hybrid_below
        scaffold = base[0].c1 if partial else None
        m = pred.build_model(target, {seq: h}, seed=k, scaffold=scaffold)
        row = dict(target_id=target.target_id, n=target.n, release=target.temporal_cutoff, rank=k, template_id=h.template_id,
                   template_release=h.release_date, **dict(zip(RANK_FEATURES, feats[k])),
                   tm=float(prediction_scores(m.c1[None], ref[None], mode='part2')[0]))
        others = [x for x in hits if x is not h][:2]
        if partial and others:
            ma = pred.build_model(target, {seq: h}, seed=k, scaffold=scaffold, extra={seq: others})
            row['tm_assembled'] = float(prediction_scores(ma.c1[None], ref[None], mode='part2')[0])
        rows.append(row)
    return rows, dict(target_id=target.target_id, n=target.n, release=target.temporal_cutoff, n_hits=len(hits), search_cpu_s=search_s,
                      **{f'tm_baseline_{i + 1}': float(v) for i, v in enumerate(base_tm)})


def bench_hits(n: int):
    """Hit-level leave-one-out data over the full default library: every hit's features and the TM of its model."""
    from tqdm import tqdm
    from rna3d_kit.predictors.templates import TemplatePredictor
    baseline = CachedBaseline(BASELINE_CACHE)
    pred = TemplatePredictor(KAGGLE, fallback=baseline, progress=False, ranker=None)
    db = pred.db
    ids = loo_library_targets(db, n)
    rows, summary = [], []
    partial = OUT / 'templates_hits.partial.csv'
    for e in tqdm(ids, desc='hits', unit='target'):
        t = Target(db.ids[e], db.sequence(e), db.release_date(e))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            r, srow = hit_rows(pred, t, db.entry_c1(e).astype(np.float64), baseline)
        rows += r; summary.append(srow)
        if len(summary) % 20 == 0: pd.DataFrame(rows).to_csv(partial, index=False)
    command = f'.venv/bin/python scripts/bench_templates.py hits --n {n}'
    benchlib.write_csv(OUT / 'templates_hits.csv', pd.DataFrame(rows), command, index=False)
    benchlib.write_csv(OUT / 'templates_hits_targets.csv', pd.DataFrame(summary), command, index=False)
    partial.unlink(missing_ok=True)
    print(f'{len(summary)} targets, {len(rows)} hits')


def complex_tm(models, ref, n_first: int, homo: bool) -> float:
    """Best-of-5 Part 2 TM of a two-chain complex; for a homodimer also with the two copies swapped (chains matched by permutation)."""
    from rna3d_kit.geometry.metric import prediction_scores
    xyz = np.stack([m.c1 for m in models])
    best = float(np.nanmax(prediction_scores(xyz, ref[None], mode='part2')))
    if homo: best = max(best, float(np.nanmax(prediction_scores(np.concatenate([xyz[:, n_first:], xyz[:, :n_first]], 1), ref[None], mode='part2'))))
    return best


def contacts(c1: np.ndarray, n_first: int, cutoff: float = 12.0) -> int:
    """C1' pairs between the two chains closer than `cutoff` Å."""
    d = np.linalg.norm(c1[:n_first, None] - c1[None, n_first:], axis=-1)
    return int((d < cutoff).sum())


def bench_complexes():
    """Every 2-chain pdb_rna entry (15-200 nt chains) predicted with its own entry excluded (templates released strictly
    before it): complex templates vs chains packed in contact vs the baseline."""
    from tqdm import tqdm
    from rna3d_kit.predictors.templates import TemplatePredictor
    baseline = CachedBaseline(BASELINE_CACHE)
    pred = TemplatePredictor(KAGGLE, fallback=baseline, progress=False)
    packed = TemplatePredictor(db=pred.db, fallback=baseline, progress=False, ranker=pred.ranker, complexes=False)
    db, rows = pred.db, []
    groups = {}
    for e in range(len(db)):
        if db.sources[e] == 'PDB_RNA': groups.setdefault(db.group_names[db.group[e]], []).append(e)
    dimers = [(g, m) for g, m in groups.items() if len(m) == 2 and all(15 <= db.length(e) <= 200 and set(db.sequence(e)) <= set('ACGU') for e in m)]
    for g, (a, b) in tqdm(dimers, desc='complexes', unit='entry'):
        sa, sb = db.sequence(a), db.sequence(b)
        t = Target(g, sa + sb, db.release_date(a), chain_ids=(db.ids[a].split('_')[-1],) * len(sa) + (db.ids[b].split('_')[-1],) * len(sb))
        ref, homo = np.concatenate([db.entry_c1(a), db.entry_c1(b)]).astype(np.float64), sa == sb
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            t0 = time.perf_counter(); m_cpx = pred.predict(t, 5); sec = time.perf_counter() - t0
            m_pack = packed.predict(t, 5)
            cands = pred.candidates(t, pred.search(t))
        first = cands[0][1] if cands else {}
        blocks = pred._frame_blocks(pred._segment_picks(t, first)) if cands else []
        rows.append(dict(entry=g, kind='homodimer' if homo else 'heterodimer', lengths=f'{len(sa)}+{len(sb)}', release=t.temporal_cutoff,
                         complex_template='+'.join(h.template_id for h in pred._segment_picks(t, first) if h is not None) if any(len(x[2]) > 1 for x in blocks) else '',
                         tm_complex_templates=round(complex_tm(m_cpx, ref, len(sa), homo), 4),
                         tm_chains_packed=round(complex_tm(m_pack, ref, len(sa), homo), 4),
                         tm_baseline=round(complex_tm(baseline.predict(t, 5), ref, len(sa), homo), 4),
                         contacts_native=contacts(ref, len(sa)), contacts_model1=contacts(m_cpx[0].c1, len(sa)),
                         contacts_packed1=contacts(m_pack[0].c1, len(sa)),
                         min_interchain_model1=round(float(np.linalg.norm(m_cpx[0].c1[:len(sa), None] - m_cpx[0].c1[None, len(sa):], axis=-1).min()), 1),
                         seconds=round(sec, 2)))
    df = pd.DataFrame(rows)
    command = '.venv/bin/python scripts/bench_templates.py complexes'
    benchlib.write_csv(OUT / 'templates_complexes.csv', df, command, index=False)
    has = df[df.complex_template != '']
    lines = [f'# two-chain pdb_rna entries (chains 15-200 nt), each predicted with templates released strictly before it (its own entry excluded); '
             'best-of-5 TM of the whole complex, Part 2 mode (homodimers: best over the two copy orders); contacts = inter-chain C1\' pairs < 12 Å',
             f'{len(df)} entries ({(df.kind == "homodimer").sum()} homodimers, {(df.kind == "heterodimer").sum()} heterodimers): '
             f'mean TM complex templates {df.tm_complex_templates.mean():.4f}, chains packed {df.tm_chains_packed.mean():.4f}, baseline {df.tm_baseline.mean():.4f}',
             f'{len(has)} with a complex template as model 1: complex templates {has.tm_complex_templates.mean():.4f} vs chains packed {has.tm_chains_packed.mean():.4f}; '
             f'model 1 with inter-chain contacts: {(df.contacts_model1 > 0).mean():.0%} (native {(df.contacts_native > 0).mean():.0%}); '
             f'median closest inter-chain C1\' pair in model 1 {df.min_interchain_model1.median():.1f} Å',
             '', df.to_string(index=False)]
    write_text(OUT / 'templates_complexes.txt', '\n'.join(lines) + '\n', command)


RANKER_CUTOFF = dt.date(2022, 1, 1)  # the shipped ranker sees only targets (and so templates) released before this: RNAmark and CASP15 stay held out
SPLIT_DATE = dt.date(2016, 1, 1)  # temporal held-out test of the ranker: trained on targets before, tested on targets from it to RANKER_CUTOFF


def heldout_hit_rows(pred, baseline) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hit rows (features + model TM) of the RNAmark and CASP15 targets (templates released before each target)."""
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    rows, summary = [], []
    for name, folder, split in (('rnamark', RNAMARK, 'validation'), ('casp15', KAGGLE, 'validation')):
        labels = read_labels(folder / f'{split}_labels.csv')
        for t in read_sequences(folder / f'{split}_sequences.csv'):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                r, srow = hit_rows(pred, t, labels[t.target_id].coords[0], baseline)
            rows += [dict(x, set=name) for x in r]; summary.append(dict(srow, set=name))
    return pd.DataFrame(rows), pd.DataFrame(summary)


def rank_quality(df: pd.DataFrame, score: np.ndarray) -> dict:
    """Spearman of `score` with the model TM (all pairs; mean within targets) and top-1 TM vs the best hit available."""
    from scipy.stats import spearmanr
    d = df.assign(s=score)
    within = [spearmanr(g.s, g.tm)[0] for _, g in d.groupby('target_id') if len(g) >= 3 and g.tm.nunique() > 1]
    top = d.loc[d.groupby('target_id').s.idxmax()]
    return dict(pairs=len(d), targets=d.target_id.nunique(), spearman=spearmanr(d.s, d.tm)[0], spearman_within=np.nanmean(within),
                top1=top.tm.mean(), oracle=d.groupby('target_id').tm.max().mean())


def read_bench_csv(path: Path) -> pd.DataFrame:
    return benchlib.read_csv(path, parse_dates=['release'])


def simulate_slots(df: pd.DataFrame, targets: pd.DataFrame, ptm: np.ndarray, ptm_min: float, slots, z_min: float = 0.0) -> pd.Series:
    """Best-of-5 TM per target of the slot policy (template models by predicted TM, baseline samples in the other slots),
    from the recorded per-hit model TMs (assembled model where one was built) and baseline sample TMs."""
    from rna3d_kit.predictors.templates import template_slots
    d = df.assign(p=ptm, tmx=df.tm_assembled.fillna(df.tm) if 'tm_assembled' in df else df.tm)
    d = d[(d.p >= ptm_min) & (d.z >= z_min)].sort_values(['target_id', 'p'], ascending=[True, False])
    base = targets.set_index('target_id')[[f'tm_baseline_{i}' for i in range(1, 6)]]
    out = {}
    for tid, row in base.iterrows():
        g = d[d.target_id == tid]
        k = min(5, template_slots(g.p.iloc[0], slots)) if len(g) else 0
        chosen = list(g.tmx.iloc[:k]) + list(row.iloc[:5 - min(k, len(g))])
        out[tid] = max(chosen)
    return pd.Series(out)


def bench_ranker():
    from rna3d_kit.predictors.templates import RANKER_FILE, RANK_FEATURES, TemplateRanker, TemplatePredictor, TEMPLATE_SLOTS, PTM_MIN, Z_RANKED
    from rna3d_kit.core import package_data_dir
    hits, targets = read_bench_csv(OUT / 'templates_hits.csv'), read_bench_csv(OUT / 'templates_hits_targets.csv')
    X, y = hits[list(RANK_FEATURES)].to_numpy(), hits.tm.to_numpy()
    cut, split = pd.Timestamp(RANKER_CUTOFF), pd.Timestamp(SPLIT_DATE)
    lines = [f'# template ranker: ridge regression of the model TM on hit features ({", ".join(RANK_FEATURES)}), trained on leave-one-out '
             f'hit pairs of the library ({hits.target_id.nunique()} targets with hits of {len(targets)}, {len(hits)} pairs, z >= 3, up to 10 hits; '
             'benchmarks/templates/templates_hits.csv)']
    # 1) temporal held-out: train on targets released before SPLIT_DATE, test on SPLIT_DATE .. RANKER_CUTOFF
    tr, te = hits.release < split, (hits.release >= split) & (hits.release < cut)
    r = TemplateRanker.fit(X[tr], y[tr])
    lines.append(f'temporal held-out: trained on {hits[tr].target_id.nunique()} targets released before {SPLIT_DATE}, tested on '
                 f'{hits[te].target_id.nunique()} released {SPLIT_DATE} .. {RANKER_CUTOFF}:')
    for name, score in (('ranker', r.predict(X[te])), ('alignment score', -hits['rank'][te]),
                        ('z', hits.z[te]), ('coverage x identity', (hits.coverage * hits.identity)[te])):
        q = rank_quality(hits[te], np.asarray(score, float))
        lines.append(f'  {name:20s} Spearman {q["spearman"]:.3f} (within targets {q["spearman_within"]:.3f}); top-1 TM {q["top1"]:.4f} vs best available {q["oracle"]:.4f}')
    # 2) the shipped ranker: every target before RANKER_CUTOFF; held out: RNAmark + CASP15
    ship = hits.release < cut
    ranker = TemplateRanker.fit(X[ship], y[ship], meta=dict(trained_on=f'{hits[ship].target_id.nunique()} leave-one-out library targets released before {RANKER_CUTOFF} ({int(ship.sum())} hit pairs)',
                                                             latest_structure=str(hits[ship].release.max().date()), cutoff=str(RANKER_CUTOFF),
                                                             command='.venv/bin/python scripts/bench_templates.py hits --n 650 && ... ranker'))
    pred = TemplatePredictor(KAGGLE, fallback=CachedBaseline(BASELINE_CACHE), progress=False, ranker=None)
    ho, ho_t = heldout_hit_rows(pred, pred.baseline)
    for name in ('rnamark', 'casp15'):
        part = ho[ho.set == name]
        if not len(part): continue
        for label, score in (('ranker', ranker.predict(part[list(RANK_FEATURES)].to_numpy())), ('alignment score', -part['rank']), ('z', part.z)):
            q = rank_quality(part, np.asarray(score, float))
            lines.append(f'held-out {name} ({q["targets"]} targets with hits, {q["pairs"]} pairs) {label:16s} Spearman {q["spearman"]:.3f} '
                         f'(within {q["spearman_within"]:.3f}); top-1 TM {q["top1"]:.4f} vs best available {q["oracle"]:.4f}')
    # 3) slot policy on the library (out-of-fold predicted TM: 5 folds by target)
    ids = hits.target_id.unique(); fold = dict(zip(ids, np.random.default_rng(0).permutation(len(ids)) % 5))
    oof = np.zeros(len(hits))
    for f in range(5):
        m = hits.target_id.map(fold).to_numpy() == f
        oof[m] = TemplateRanker.fit(X[~m], y[~m]).predict(X[m])
    policies = []
    for z_min in (3.0, 4.5, 6.0):
        for ptm_min in (0.1, 0.15, 0.2, 0.25, 0.3):
            for slots in (((0.0, 5),), ((0.5, 5), (0.35, 3), (0.0, 2)), ((0.45, 5), (0.3, 3), (0.0, 1)), ((0.6, 5), (0.4, 3), (0.0, 2)),
                          ((0.4, 4), (0.0, 2)), ((0.5, 4), (0.0, 3)), ((0.0, 3),), ((0.5, 4), (0.3, 3), (0.0, 2))):
                v = simulate_slots(hits, targets, oof, ptm_min, slots, z_min)
                policies.append((v.mean(), z_min, ptm_min, slots))
    policies.sort(key=lambda x: -x[0])
    base_only = targets[[f'tm_baseline_{i}' for i in range(1, 6)]].max(1).mean()
    cur = simulate_slots(hits, targets, oof, PTM_MIN, TEMPLATE_SLOTS, Z_RANKED).mean()
    top1 = simulate_slots(hits, targets, -hits['rank'].to_numpy(float), -1e9, ((-1e9, 5),), 6.0).mean()
    lines.append(f'slot policy on the {len(targets)} library targets (simulated from recorded model TMs, out-of-fold predicted TM): '
                 f'baseline only {base_only:.4f}; hits by alignment score, z >= 6, up to five (the kit before) {top1:.4f}; '
                 f'shipped Z_RANKED={Z_RANKED}, PTM_MIN={PTM_MIN}, TEMPLATE_SLOTS={TEMPLATE_SLOTS}: {cur:.4f}; best five:')
    lines += [f'  {v:.4f}  z_min {zm}, ptm_min {pm}, slots {sl}' for v, zm, pm, sl in policies[:5]]
    lines.append(f'shipped ranker: {ranker.meta["trained_on"]}; weights in rna3d_kit/data/{RANKER_FILE}')
    ranker.save(package_data_dir() / RANKER_FILE)
    benchlib.write_csv(OUT / 'templates_heldout_hits.csv', ho, '.venv/bin/python scripts/bench_templates.py ranker', index=False)
    write_text(OUT / 'templates_ranker.txt', '\n'.join(lines) + '\n', '.venv/bin/python scripts/bench_templates.py ranker')


def bench_scale():
    """Build time, memory and disk of the real pdb_rna library, the default library and 20,000 synthetic chains; then
    search + transfer seconds per 200-nt query against the 20,000 chains (CPU seconds: the machine is shared)."""
    command = '.venv/bin/python scripts/bench_templates.py scale'
    lines = ['# template library at scale: each build in a fresh process (peak RSS of that process), one core']
    with tempfile.TemporaryDirectory() as tmp:
        for kind, what in (('pdb_rna', 'real pdb_rna/PDB_RNA (1,259 mmCIF entries; parsing included)'),
                           ('default', 'default development library (kaggle_part1 labels + allatom/* + pdb_rna/PDB_RNA; parsing included)'),
                           ('syn20k', 'synthetic Part 2 size: 20,000 heavy-atom chains in 2,500 families, up to 5,500 nt (built in memory; generation not timed)')):
            r = run_child(kind, '-', str(Path(tmp) / kind))
            lines.append(f"{what}: {r['entries']:,} chains, {r['residues']:,} residues; build {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB, "
                         f"on disk {r['disk_mb']:.0f} MB, load {r['load_seconds'] * 1000:.0f} ms")
        out = subprocess.run([sys.executable, __file__, '_child_search', str(Path(tmp) / 'syn20k')], capture_output=True, text=True)
        if out.returncode: raise RuntimeError(out.stderr[-2000:])
        rows = pd.DataFrame(json.loads(out.stdout.strip().splitlines()[-1])['rows'])
        lines.append(f'search + transfer + completion of the top hit, 200-nt queries (20% mutated windows of library chains) against the '
                     f'20,000 synthetic chains, {len(rows)} queries: CPU per query mean {rows.total.mean():.2f} s, max {rows.total.max():.2f} s '
                     f'(search alone mean {rows.search.mean():.2f} s); the source family found first in {rows.found.mean():.0%}; '
                     f'with the predictor\'s ranking (z >= 3 hits, features, ranker) + the top model: mean {rows.ranked_total.mean():.2f} s, max {rows.ranked_total.max():.2f} s')
    write_text(OUT / 'templates_scale.txt', '\n'.join(lines) + '\n', command)


def dated_ranker(hits: pd.DataFrame, before, exclude: str, min_pairs: int = 300):
    """A ranker fitted on the hit pairs of library targets released strictly before `before` (never `exclude`); None if too few."""
    from rna3d_kit.predictors.templates import RANK_FEATURES, TemplateRanker
    train = hits[(hits.release < pd.Timestamp(before)) & (hits.target_id != exclude)]
    if len(train) < min_pairs: return None
    return TemplateRanker.fit(train[list(RANK_FEATURES)].to_numpy(), train.tm.to_numpy())


def loo_run(targets_csv: str, out_npz: str, dated: str = ''):
    """Predict 5 models per target of `targets_csv` with whatever rna3d_kit is importable (the kit now, or an older export on
    PYTHONPATH); with `dated`, each target ranks its hits with a ranker trained only on targets released before it."""
    from rna3d_kit.predictors.templates import TemplatePredictor
    tt = pd.read_csv(targets_csv, dtype=str)
    baseline = CachedBaseline(BASELINE_CACHE)
    pred = TemplatePredictor(KAGGLE, fallback=baseline, progress=False) if not dated else TemplatePredictor(KAGGLE, fallback=baseline, progress=False, ranker=None)
    hits = read_bench_csv(Path(dated)) if dated else None
    out, info = {}, []
    from tqdm import tqdm
    for r in tqdm(list(tt.itertuples()), desc=Path(out_npz).stem, unit='target'):
        t = Target(r.target_id, r.sequence, dt.date.fromisoformat(r.release))
        if dated:  # the kit's defaults, with this target's own dated ranker (score order and z >= Z_MIN while too few targets precede it)
            from rna3d_kit.predictors.templates import Z_MIN, Z_RANKED
            pred.ranker = dated_ranker(hits, t.temporal_cutoff, t.target_id)
            pred.z_min = Z_RANKED if pred.ranker is not None else Z_MIN
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            c0 = time.process_time(); models = pred.predict(t, 5); cpu = time.process_time() - c0
        out[t.target_id] = np.stack([m.c1 for m in models]).astype(np.float32)
        info.append(dict(target_id=t.target_id, n_template_models=sum('_tpl' in m.name for m in models), cpu_s=cpu,
                         ranked=bool(dated) and pred.ranker is not None))
    np.savez_compressed(out_npz, **out)
    pd.DataFrame(info).to_csv(Path(out_npz).with_suffix('.csv'), index=False)


def bench_loo_library(n: int, before_code: str | None):
    """End-to-end leave-one-out on the full library: the kit now (dated ranker) vs the kit at `before_code` (an export of an
    older commit), same targets, each predicted from templates released strictly before it."""
    from rna3d_kit.geometry.metric import prediction_scores
    from rna3d_kit.predictors.template_db import open_template_db
    db = open_template_db(KAGGLE, progress=False)
    ids = loo_library_targets(db, n)
    command = f'.venv/bin/python scripts/bench_templates.py loo_library --n {n}' + (f' --before-code {before_code}' if before_code else '')
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pd.DataFrame(dict(target_id=[db.ids[e] for e in ids], sequence=[db.sequence(e) for e in ids],
                          release=[str(db.release_date(e)) for e in ids])).to_csv(tmp / 'targets.csv', index=False)
        runs = {'now': ['_loo_run', str(tmp / 'targets.csv'), str(tmp / 'now.npz'), str(OUT / 'templates_hits.csv')]}
        if before_code: runs['before'] = ['_loo_run', str(tmp / 'targets.csv'), str(tmp / 'before.npz'), '']
        preds, infos = {}, {}
        for name, args in runs.items():
            env = dict(os.environ, PYTHONPATH=str(Path(before_code).resolve()), RNA3D_SHARED=str(shared_dir())) if name == 'before' else dict(os.environ)
            r = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
            if r.returncode: raise RuntimeError(r.stderr[-3000:])
            preds[name] = dict(np.load(tmp / f'{name}.npz')); infos[name] = pd.read_csv(tmp / f'{name}.csv').set_index('target_id')
    rows = []
    for e in ids:
        tid, ref = db.ids[e], db.entry_c1(e).astype(np.float64)
        row = dict(target_id=tid, n=db.length(e), release=db.release_date(e))
        for name in preds:
            row[f'tm_{name}'] = round(float(np.nanmax(prediction_scores(preds[name][tid].astype(np.float64), ref[None], mode='part2'))), 4)
            row[f'templates_{name}'] = int(infos[name].n_template_models[tid])
        row['cpu_s_now'] = round(float(infos['now'].cpu_s[tid]), 2)
        rows.append(row)
    df = pd.DataFrame(rows)
    benchlib.write_csv(OUT / 'templates_loo_library.csv', df, command, index=False)
    sig = df[df.templates_now > 0]
    lines = [f'# end-to-end leave-one-out on the full default library ({len(df)} chains of 15-500 nt, one per distinct sequence, drawn at random): '
             'each target predicted from templates released strictly before it (so never itself, nor its own entry), the ranker '
             'refitted per target on library targets released before it; best-of-5 TM, Part 2 mode, against the chain itself',
             f'all {len(df)} targets: now {df.tm_now.mean():.4f}' + (f', before {df.tm_before.mean():.4f}' if 'tm_before' in df else ''),
             f'{len(sig)} with a template model now: now {sig.tm_now.mean():.4f}' + (f', before {sig.tm_before.mean():.4f}' if 'tm_before' in df else ''),
             f'{len(df) - len(sig)} without: now {df[df.templates_now == 0].tm_now.mean():.4f}' + (f', before {df[df.templates_now == 0].tm_before.mean():.4f}' if 'tm_before' in df else ''),
             f'CPU seconds per target now (search, rank, models, baseline samples from a disk cache): mean {df.cpu_s_now.mean():.2f}']
    if 'tm_before' in df:
        bs = df[df.templates_before > 0]
        lines.append(f'{len(bs)} with a template model before: now {bs.tm_now.mean():.4f}, before {bs.tm_before.mean():.4f}; '
                     f'now better on {(df.tm_now > df.tm_before + 0.01).sum()}, worse on {(df.tm_now < df.tm_before - 0.01).sum()} (by > 0.01)')
    write_text(OUT / 'templates_loo_library.txt', '\n'.join(lines) + '\n', command)


def bench_ssalign(n: int):
    """Does re-aligning remote hits on the base x pairing-state alphabet give better models? Library leave-one-out targets."""
    from tqdm import tqdm
    from rna3d_kit.geometry.metric import prediction_scores
    from rna3d_kit.predictors.template_db import search_templates
    from rna3d_kit.predictors.templates import TemplatePredictor, _pair_f1, c1_pairs, structure_aligned
    baseline = CachedBaseline(BASELINE_CACHE)
    pred = TemplatePredictor(KAGGLE, fallback=baseline, progress=False, ranker=None)
    db, rows = pred.db, []
    for e in tqdm(loo_library_targets(db, n), desc='ssalign', unit='target'):
        t = Target(db.ids[e], db.sequence(e), db.release_date(e))
        ref, seq = db.entry_c1(e).astype(np.float64)[None], t.sequence
        hits = [h for h in search_templates(db, seq, cutoff=t.temporal_cutoff, exclude_ids=(t.target_id,), z_min=3.0, max_hits=10) if h.identity < 0.7]
        if not hits: continue
        part = pred.query_partner(seq)
        base = baseline.predict(t, 1)[0].c1
        for k, h in enumerate(hits):
            tp = c1_pairs(db.entry_c1(h.entry), db.sequence(h.entry))
            row = dict(target_id=t.target_id, n=t.n, template_id=h.template_id, z=h.z, identity=h.identity, coverage=h.coverage,
                       pairs_f1=_pair_f1(h, tp, part))
            for name, hh in (('seq', h), ('ss', structure_aligned(db, h, seq, part))):
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    m = pred.build_model(t, {seq: hh}, seed=k, scaffold=base if hh.coverage < pred.hybrid_below else None)
                row[f'tm_{name}'] = float(prediction_scores(m.c1[None], ref, mode='part2')[0])
                if name == 'ss': row.update(identity_ss=hh.identity, coverage_ss=hh.coverage, pairs_f1_ss=_pair_f1(hh, tp, part))
            rows.append(row)
    df = pd.DataFrame(rows)
    command = f'.venv/bin/python scripts/bench_templates.py ssalign --n {n}'
    benchlib.write_csv(OUT / 'templates_ssalign.csv', df, command, index=False)
    lines = [f'# remote hits (identity < 0.7, z >= 3) of {df.target_id.nunique()} library leave-one-out targets (date-honest): model TM '
             'from the sequence alignment vs the base x pairing-state alignment (structure_aligned)',
             f'{len(df)} hits: mean TM sequence {df.tm_seq.mean():.4f}, structure-aware {df.tm_ss.mean():.4f}; better by > 0.01 on '
             f'{(df.tm_ss > df.tm_seq + 0.01).sum()}, worse on {(df.tm_ss < df.tm_seq - 0.01).sum()}; pair F1 {df.pairs_f1.mean():.3f} -> {df.pairs_f1_ss.mean():.3f}',
             'by identity: ' + ', '.join(f'{iv}: {g.tm_seq.mean():.3f} -> {g.tm_ss.mean():.3f} (n={len(g)})'
                                         for iv, g in df.groupby(pd.cut(df.identity, [0, 0.4, 0.5, 0.6, 0.7]), observed=True)),
             'per target, best hit: ' + f'{df.groupby("target_id").tm_seq.max().mean():.4f} -> {df.groupby("target_id").tm_ss.max().mean():.4f}']
    keep = df.pairs_f1_ss > df.pairs_f1  # the predictor's rule: the re-alignment only where its pairs agree better with Stage A
    cov = df.coverage_ss >= df.coverage - 0.05
    lines.append(f'rules: re-aligned only where the pair F1 rises ({keep.mean():.0%} of hits): {np.where(keep, df.tm_ss, df.tm_seq).mean():.4f} '
                 f'(chosen); only where coverage drops < 0.05: {np.where(cov, df.tm_ss, df.tm_seq).mean():.4f}; never {df.tm_seq.mean():.4f}; always {df.tm_ss.mean():.4f}')
    write_text(OUT / 'templates_ssalign.txt', '\n'.join(lines) + '\n', command)


def bench_rnamark():
    """RNAmark: the kit (default template library, date-honest) against the 10 published model sets, per target."""
    from rna3d_kit.io.kaggle_io import read_labels, read_sequences
    from rna3d_kit.predictors.templates import TemplatePredictor
    targets = read_sequences(RNAMARK / 'validation_sequences.csv')
    labels = read_labels(RNAMARK / 'validation_labels.csv')
    baseline = CachedBaseline(BASELINE_CACHE)
    pred = TemplatePredictor(KAGGLE, fallback=baseline, progress=False)
    df = evaluate(targets, labels, pred, baseline, OUT / 'templates_rnamark.partial.csv', 'rnamark')
    (OUT / 'templates_rnamark.partial.csv').unlink(missing_ok=True)
    peers = pd.read_csv(RNAMARK / 'peers_scores.csv')
    peers['set'] = peers.method + np.where(peers.msa == 'with MSA', '_MSA', np.where(peers.msa == 'without MSA', '_noMSA', ''))
    wide = peers.pivot_table(index='target_id', columns='set', values='tm_c1_tmscore1')
    table = df.set_index('target_id')[['n', 'temporal_cutoff', 'tm_templates', 'tm_baseline', 'n_template_models', 'top_template',
                                       'top_release', 'top_z', 'top_coverage', 'top_identity']].join(wide)
    sets = list(wide.columns)
    means = table[['tm_templates', 'tm_baseline'] + sets].mean().sort_values(ascending=False)
    wins = {c: int((table.tm_templates > table[c]).sum()) for c in sets}
    command = '.venv/bin/python scripts/bench_templates.py rnamark'
    lib = pred.db
    benchlib.write_csv(OUT / 'templates_rnamark.csv', table.round(4), command, index=True)
    lines = [f'# RNAmark: {len(table)} PDB targets released 2022-01-12 .. 2023-07-05; kit = TemplatePredictor over the default library '
             f'({len(lib)} chains, {int((np.asarray(lib.rep) == np.arange(len(lib))).sum())} after sequence+structure deduplication), '
             'each target using only chains released strictly before its temporal_cutoff; best-of-5 TM, Part 2 mode (C1\', '
             'normalised by the native). Peers: RNAmark\'s published models (one per target and set), tm_c1_tmscore1 of peers_scores.csv.',
             'mean TM: ' + ', '.join(f'{k} {v:.4f}' for k, v in means.items()),
             f'{int(df.significant.sum())}/{len(df)} targets with a significant template; kit > set on: ' + ', '.join(f'{k} {v}' for k, v in wins.items()),
             '', table.round(3).to_string()]
    write_text(OUT / 'templates_rnamark.txt', '\n'.join(lines) + '\n', command)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '_child':
        child_build(*sys.argv[2:5]); sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == '_loo_run':
        loo_run(*sys.argv[2:5]); sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == '_child_search':
        scale_search(sys.argv[2]); sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['build', 'speed', 'casp15', 'loo', 'ranking', 'rnamark', 'hits', 'complexes', 'ranker', 'scale', 'loo_library', 'ssalign'])
    ap.add_argument('--quick', action='store_true', help='speed: search + transfer only (no full predict, no long queries)')
    ap.add_argument('--n', type=int, default=600, help='leave-one-out: number of training targets (all labelled ones by default)')
    ap.add_argument('--before-code', default=None, help='loo_library: folder with an older rna3d_kit package (e.g. git archive of a commit)')
    a = ap.parse_args()
    import torch  # the baseline's relaxation uses torch: one thread (not imported by build children, so their RSS is the DB's)
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    {'build': bench_build, 'speed': lambda: bench_speed(not a.quick, not a.quick), 'casp15': bench_casp15, 'loo': lambda: bench_loo(a.n), 'ranking': bench_ranking, 'rnamark': bench_rnamark, 'hits': lambda: bench_hits(a.n), 'complexes': bench_complexes, 'ranker': bench_ranker, 'scale': bench_scale, 'loo_library': lambda: bench_loo_library(a.n, a.before_code), 'ssalign': lambda: bench_ssalign(a.n)}[a.what]()
