"""Time and peak memory of one Pairformer block on this CPU (single thread).

Training: forward + backward of one `PairformerBlock` at N = 128, 256 (c_s 128, c_z 64, default config).
Inference: forward of one block under `torch.no_grad()` with chunking at N = 500, 1000 (and unchunked at 256
for comparison). Each measurement runs in a fresh process so that its peak resident memory (ru_maxrss) is its
own; `delta_rss_gb` is the peak minus the resident memory after the model and inputs were built.
Results go to benchmarks/pairformer/pairformer_bench.csv (stamped); per-trunk numbers are extrapolated as n_blocks x per-block.

    nohup .venv/bin/python scripts/bench_pairformer.py > /tmp/pairformer_bench.log 2>&1 &
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import time

from benchlib import result_path, write_csv

def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux reports kB

def measure(mode: str, n: int, chunk_size: int | None, repeats: int, queue) -> None:
    """Run in a child process: build one block and inputs, time `repeats` runs, report (seconds, peak, delta)."""
    import torch
    torch.set_num_threads(1)
    from rna3d_kit.nn.pairformer import PairformerBlock, PairformerConfig
    from rna3d_kit.nn.primitives import perturb_parameters_
    cfg = PairformerConfig()
    block = perturb_parameters_(PairformerBlock(cfg.c_s, cfg.c_z, cfg), seed=0)
    gen = torch.Generator().manual_seed(0)
    s, z = torch.randn(n, cfg.c_s, generator=gen), torch.randn(n, n, cfg.c_z, generator=gen)
    p = torch.rand(n, n, generator=gen); adjacency = (p + p.T) / 2
    mask = torch.ones(n)
    base = _rss_gb()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        if mode == 'train':
            block.train(); block.zero_grad()
            s_in, z_in = s.clone().requires_grad_(), z.clone().requires_grad_()
            s_out, z_out = block(s_in, z_in, mask, adjacency, chunk_size)
            (s_out.square().mean() + z_out.square().mean()).backward()
        else:
            block.eval()
            with torch.no_grad(): block(s, z, mask, adjacency, chunk_size)
        times.append(time.perf_counter() - t0)
    queue.put((min(times), _rss_gb(), _rss_gb() - base))

RUNS = [  # mode, N, chunk size, repeats
    ('train', 128, None, 2), ('train', 256, None, 1),
    ('infer', 256, None, 1), ('infer', 500, 32, 1), ('infer', 1000, 32, 1),
]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(result_path('pairformer', 'pairformer_bench.csv')))
    ap.add_argument('--quick', action='store_true', help='tiny sizes, to check that the script runs')
    args = ap.parse_args()
    runs = [('train', 24, None, 1), ('infer', 40, 16, 1)] if args.quick else RUNS
    os.environ['OMP_NUM_THREADS'] = '1'
    from tqdm import tqdm
    import torch
    import pandas as pd
    from rna3d_kit.nn.pairformer import PairformerConfig
    cfg, af3 = PairformerConfig(), PairformerConfig.af3()
    ctx = mp.get_context('spawn')
    rows = []
    for mode, n, chunk, repeats in tqdm(runs, desc='pairformer bench'):
        load = os.getloadavg()[0]
        q = ctx.Queue()
        proc = ctx.Process(target=measure, args=(mode, n, chunk, repeats, q))
        proc.start(); seconds, peak, delta = q.get(); proc.join()
        rows.append(dict(mode=mode, n=n, c_s=cfg.c_s, c_z=cfg.c_z, chunk_size=chunk or '', seconds_per_block=round(seconds, 3),
                         peak_rss_gb=round(peak, 3), delta_rss_gb=round(delta, 3),
                         seconds_trunk_default=round(seconds * cfg.n_blocks, 1), default_blocks=cfg.n_blocks,
                         load_avg_1min=round(load, 2), threads=1, torch=torch.__version__, cpu=platform.processor() or platform.machine()))
        print(rows[-1], flush=True)
    write_csv(args.out, pd.DataFrame(rows))
    print('wrote', args.out)

if __name__ == '__main__':
    main()
