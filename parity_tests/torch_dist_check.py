"""Run as ``python -m parity_tests.torch_dist_check MODE PORT`` (MODE: ddp, fsdp2, single).

Two gloo processes on CPU train the same model on two halves of each batch with GraCos
(auto) and the AdaptiveScheduler; each rank prints its LR sequences as JSON. ``single``
trains one process on the whole batches (the reference: with mean losses and equal halves,
DDP's averaged gradients equal the full-batch gradients).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import torch_compat

STEPS, SPE = 24, 6


def model_fn():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))


def data():
    rng = np.random.default_rng(0)
    return [(torch.tensor(rng.normal(size=(16, 8)), dtype=torch.float32),
             torch.tensor(rng.normal(size=(16, 4)), dtype=torch.float32)) for _ in range(STEPS)]


def train(model, rank, world):
    out = {}
    for name in ("gracos", "adaptive"):
        m = model()
        opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        if name == "gracos":
            sched = torch_compat.GraCos(opt, 0.05, 0.005, SPE, STEPS // SPE, mode="auto")
        else:
            sched = torch_compat.AdaptiveScheduler(opt, m, min_steps_before_freeze=4,
                                                   freeze_threshold=0.05)
        lrs = []
        for x, y in data():
            half = x.shape[0] // world
            xs, ys = x[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half]
            lrs.append(float(opt.param_groups[0]["lr"]))
            loss = (m(xs) - ys).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            if name == "gracos":
                sched.update_gradient_norm()
                opt.step()
                sched.step()
            else:
                opt.step()
                if world > 1:  # the loss the scheduler sees is the global (mean) loss
                    loss = loss.detach().clone()
                    dist.all_reduce(loss)
                    loss /= world
                sched.step(loss)
        out[name] = lrs
    return out


def _ddp_model():
    return torch.nn.parallel.DistributedDataParallel(model_fn())


def _fsdp2_model():
    from torch.distributed.fsdp import fully_shard

    m = model_fn()
    for layer in m:
        if isinstance(layer, torch.nn.Linear):
            fully_shard(layer)
    fully_shard(m)
    return m


MODELS = {"ddp": _ddp_model, "fsdp2": _fsdp2_model}


def worker(rank, world, modes, port, out_dir):
    """Trains once per mode in one process group (one spawn for every mode)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        result = {mode: train(MODELS[mode], rank, world) for mode in modes.split(",")}
        # results go to a file before teardown: gloo's thread teardown at process exit can
        # abort ("terminate called without an active exception") after the work is done
        with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
            json.dump({"rank": rank, **result}, f)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def main():
    """``python -m parity_tests.torch_dist_check MODES PORT``: MODES is ``single`` or a comma
    list of ``ddp``/``fsdp2``; prints one ``RESULT {json}`` line per rank."""
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "single":
        print("RESULT " + json.dumps({"rank": 0, **train(model_fn, 0, 1)}), flush=True)
        return
    import tempfile

    with tempfile.TemporaryDirectory() as out_dir:
        try:
            mp.spawn(worker, args=(2, mode, port, out_dir), nprocs=2, join=True)
        except mp.ProcessExitedException as e:
            files = [os.path.join(out_dir, f"rank{r}.json") for r in range(2)]
            if not all(os.path.exists(f) for f in files):
                raise
            print(f"note: a worker aborted during teardown after finishing ({e})",
                  file=sys.stderr)
        for r in range(2):
            with open(os.path.join(out_dir, f"rank{r}.json")) as f:
                print("RESULT " + f.read(), flush=True)


if __name__ == "__main__":
    main()
