"""Train, LoRA-adapt and evaluate Stage B (TorsionBERT-style) and ship the chosen weights.

Usage (from the repo root; works the same under `accelerate launch`):
    python scripts/train_torsion.py --full-minutes 30 --threads 1
Writes benchmarks/torsion/torsion_bert_eval.csv, torsion_bert_history.csv, torsion_bert_loss.png, each stamped (and
torsion_lora_adapters/ with --lora-minutes > 0) and the default weights in rna3d_kit/data/torsion_bert/
(unless --no-ship).
"""
import argparse
from pathlib import Path

import torch

from benchlib import RESULTS, stamp_file
from rna3d_kit.nn.torsion_model import default_torsion_model_dir
from rna3d_kit.training.torsion_train import run_torsion_benchmark

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--full-minutes', type=float, default=30.0)
    ap.add_argument('--lora-minutes', type=float, default=0.0, help='LoRA adaptation on SPOT TR after training (0: none)')
    ap.add_argument('--angle-bins', type=int, default=72, help='bins of the distribution head (0: sin/cos head only)')
    ap.add_argument('--lr', type=float, default=1.5e-3)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--hidden', type=int, default=96)
    ap.add_argument('--layers', type=int, default=3)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--max-len', type=int, default=128, help='training crop length')
    ap.add_argument('--no-allatom', action='store_true', help='train on SPOT-RNA-1D TR only')
    ap.add_argument('--init-from', type=Path, default=None, help='continue training this Stage B folder')
    ap.add_argument('--out', type=Path, default=RESULTS / 'torsion')
    ap.add_argument('--ship-dir', type=Path, default=default_torsion_model_dir(), help='where the chosen model is saved')
    ap.add_argument('--no-ship', action='store_true', help='do not save the chosen model')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    table = run_torsion_benchmark(a.out, None if a.no_ship else a.ship_dir, a.full_minutes, a.lora_minutes,
                                  a.hidden, a.layers, a.heads, a.max_len, use_allatom=not a.no_allatom, init_dir=a.init_from,
                                  angle_bins=a.angle_bins, lr=a.lr, seed=a.seed, log=lambda s: print(s, flush=True))
    for name in ('torsion_bert_eval.csv', 'torsion_bert_history.csv', 'torsion_bert_loss.png'): stamp_file(a.out / name)
    print(table.to_string(), flush=True)
