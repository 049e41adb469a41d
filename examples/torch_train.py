"""Train the same MLP on sklearn's digits in PyTorch with torch_compat.GraCosOOP + Adam.

    python examples/torch_train.py --out out             # GraCos, 10 epochs
    python examples/torch_train.py --schedule cyclic_lr --epochs 5

Writes ``OUT/torch_train.png`` (LR of every parameter tensor, and the loss) and prints the
test accuracy. ``--schedule NAME`` picks any schedule of the library (``torch_compat``
class built from the optax factory's arguments; override them with ``--NAME value``).
"""

from __future__ import annotations

import time

import torch

import torch_compat
from _common import digits, epoch_batches, parse, parser, progress, report, schedule_kwargs


def main(argv=None):
    args, over = parse(parser(__doc__.splitlines()[0]), argv)
    xtr, xte, ytr, yte = digits()
    steps = len(xtr) // args.batch_size
    kw = schedule_kwargs(args.schedule, steps, args.epochs, args.lr, over)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    # "path" order: each tensor gets the phase examples/flax_train.py gives its twin
    groups = torch_compat.per_tensor_param_groups(model, order="path")
    opt = torch.optim.Adam(groups, lr=args.lr)
    if args.schedule == "gracos":
        sched = torch_compat.GraCosOOP(opt, **kw, clip_norm=1.0)
    else:
        sched = torch_compat.from_name(args.schedule, opt, **kw)
    names = [g["name"] for g in groups]
    lrs, losses = {n: [] for n in names}, []
    t0 = time.perf_counter()
    bar = progress(args.epochs * steps, args.no_progress)
    for epoch in range(args.epochs):
        for x, y in epoch_batches(xtr, ytr, args.batch_size, epoch):
            for n, lr in zip(names, sched.get_last_lr()):
                lrs[n].append(float(lr))
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)),
                                                     torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            if args.schedule == "gracos":
                sched.update_gradient_norm()  # records the raw norm, then clips with it
            else:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.4f}", lr=f"{lrs[names[0]][-1]:.2e}")
    bar.close()
    with torch.no_grad():
        acc = float((model(torch.from_numpy(xte)).argmax(-1).numpy() == yte).mean())
    report(args, "torch", steps, lrs, losses, acc, t0)
    return acc


if __name__ == "__main__":
    main()
