#!/usr/bin/env python
"""Build `fixtures/`: the small slice of the development data that the default test run reads.

`fixtures/` has the layout of `$RNA3D_SHARED` (`data/kaggle_part1`, `data/allatom/...`, `data/pdb_rna`,
`data/torsions_spot1d`, `usalign_reference`), so a lesson reads it exactly as it would read the whole set:
`rna3d_kit.core.fixtures_dir() / 'data' / 'kaggle_part1'`. Lessons that need all of the shared data are marked
`#| shared` and run with `nbdev_test --flags shared`.

Usage (from the repository root; deterministic, rerun after changing the selection below):
  .venv/bin/python scripts/build_fixtures.py            # reads $RNA3D_SHARED (default ../shared)
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

from rna3d_kit.core import repo_dir, shared_dir

# Kaggle Part 1: six CASP15 validation targets (30-157 nt; the demo's four among them) and a few training targets:
# templates of them released before their cutoffs (7LYG_A for R1116, 4KJI_D), a row with a '-' in its sequence
# (6WB1_C), and the first short labelled targets of the file.
VALIDATION = ['R1107', 'R1108', 'R1116', 'R1117v2', 'R1149', 'R1156']
TRAIN_SPECIAL = ['7LYG_A', '4KJI_D', '1SCL_A', '6WB1_C']
TRAIN_SHORT = 10  # more labelled training targets, the first of the file with at most TRAIN_MAX_NT residues
TRAIN_MAX_NT = 80
MSA_MAX_BYTES = 50_000  # training targets' MSAs are copied up to this size (the tRNAs' deep ones are left out)
RNASOLO = ['1XJR.pdb', '4LVW.pdb', '7D7W.pdb']  # clean single chains, 40-90 nt
RNABIND = ['1f27_rna.pdb.gz']
CASP15_ERA = ['1fir.cif.gz']
PDB_RNA = ['1zbh', '7b3d', '5guh']  # a homodimer, a heterodimer, a chain with a modified nucleotide
TORSION_CHAINS_PER_SPLIT = 10  # the shortest chains of each SPOT-RNA-1D split (training lessons)
TORSION_SPECIAL = ['1A60_A', '1XJR_A']  # the table's first rows (checked by hand); 1XJR_A is also in RNASOLO


def _copy(src: Path, dst: Path):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _write_csv(frame: pd.DataFrame, dst: Path, **kw):
    dst.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(dst, index=False, **kw)


def _target(ids: pd.Series) -> pd.Series:
    return ids.astype(str).str.rsplit('_', n=1).str[0]


def kaggle_part1(src: Path, dst: Path):
    val_seq = pd.read_csv(src / 'validation_sequences.csv')
    val_lab = pd.read_csv(src / 'validation_labels.csv')
    _write_csv(val_seq[val_seq.target_id.isin(VALIDATION)], dst / 'validation_sequences.csv')
    _write_csv(val_lab[_target(val_lab.ID).isin(VALIDATION)], dst / 'validation_labels.csv')
    seq = pd.read_csv(src / 'train_sequences.csv')
    lab = pd.read_csv(src / 'train_labels.csv')
    labelled = set(_target(lab.ID))
    short = seq[seq.target_id.isin(labelled) & (seq.sequence.str.len() <= TRAIN_MAX_NT) & ~seq.target_id.isin(TRAIN_SPECIAL)]
    keep = set(TRAIN_SPECIAL) | set(short.target_id[:TRAIN_SHORT])
    _write_csv(seq[seq.target_id.isin(keep)], dst / 'train_sequences.csv')
    _write_csv(lab[_target(lab.ID).isin(keep)], dst / 'train_labels.csv')
    for tid in sorted(keep | set(VALIDATION)):
        msa = src / 'MSA' / f'{tid}.MSA.fasta'
        if msa.exists() and (tid in VALIDATION or msa.stat().st_size <= MSA_MAX_BYTES): _copy(msa, dst / 'MSA' / msa.name)


def allatom(src: Path, dst: Path):
    for name, files, sub in (('rnasolo', RNASOLO, 'pdb'), ('rnabind', RNABIND, 'pdb'), ('casp15_era_cif', CASP15_ERA, 'cif')):
        table = pd.read_csv(src / name / 'chains.csv', dtype=str, keep_default_na=False)
        listed = table.source_file.isin(files) | (table.source_file + '.gz').isin(files)  # casp15_era_cif lists names without .gz
        _write_csv(table[listed], dst / name / 'chains.csv')
        for f in files: _copy(src / name / sub / f, dst / name / sub / f)
        if (src / name / 'LICENSE').exists(): _copy(src / name / 'LICENSE', dst / name / 'LICENSE')


def pdb_rna(src: Path, dst: Path):
    table = pd.read_csv(src / 'chains.csv', dtype=str, keep_default_na=False)
    _write_csv(table[table.pdb_id.str.lower().isin(PDB_RNA)], dst / 'chains.csv')
    dates = pd.read_csv(src / 'PDB_RNA' / 'pdb_release_dates_NA.csv', dtype=str)
    _write_csv(dates[dates['Entry ID'].str.lower().isin(PDB_RNA)], dst / 'PDB_RNA' / 'pdb_release_dates_NA.csv', quoting=1)
    for e in PDB_RNA: _copy(src / 'PDB_RNA' / f'{e}.cif.gz', dst / 'PDB_RNA' / f'{e}.cif.gz')


def torsions(src: Path, dst: Path):
    chains = pd.read_csv(src / 'chains.csv', dtype=str, keep_default_na=False)
    chains = chains.assign(length=chains.sequence.str.len())
    first = chains.sort_values(['length', 'target_id'], kind='stable').groupby('spot1d_split', sort=False).head(TORSION_CHAINS_PER_SPLIT)
    keep = chains[chains.target_id.isin(set(first.target_id) | set(TORSION_SPECIAL))]
    _write_csv(keep.drop(columns='length'), dst / 'chains.csv')
    table = pd.read_csv(src / 'torsions.csv', dtype=str, keep_default_na=False)
    _write_csv(table[table.target_id.isin(keep.target_id)], dst / 'torsions.csv')


def usalign(src: Path, dst: Path):
    pairs = pd.read_csv(src / 'pairs.csv', dtype=str, keep_default_na=False)
    _write_csv(pairs, dst / 'pairs.csv')
    for f in sorted(set(pairs.model_pdb) | set(pairs.native_pdb)): _copy(src / f, dst / f)


HAND_MADE = ('README.md', 'finishing')  # fixtures that are not cut from the shared data: kept through a rebuild


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', type=Path, default=repo_dir() / 'fixtures', help='fixture folder to (re)write')
    args = p.parse_args(argv)
    src = shared_dir()
    out = args.out
    kept = {f: f.read_bytes() for name in HAND_MADE for f in ([out / name] if (out / name).is_file() else sorted((out / name).rglob('*')))
            if f.is_file()}  # rewritten as they were after the rebuild
    if out.exists(): shutil.rmtree(out)
    kaggle_part1(src / 'data' / 'kaggle_part1', out / 'data' / 'kaggle_part1')
    allatom(src / 'data' / 'allatom', out / 'data' / 'allatom')
    pdb_rna(src / 'data' / 'pdb_rna', out / 'data' / 'pdb_rna')
    torsions(src / 'data' / 'torsions_spot1d', out / 'data' / 'torsions_spot1d')
    usalign(src / 'usalign_reference', out / 'usalign_reference')
    for f, content in kept.items():
        f.parent.mkdir(parents=True, exist_ok=True); f.write_bytes(content)
    size = sum(f.stat().st_size for f in out.rglob('*') if f.is_file())
    print(f'wrote {out}: {sum(1 for f in out.rglob("*") if f.is_file())} files, {size / 1e6:.2f} MB', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
