"""Quality reference: a plain PyTorch loop with the issue's recipe, on ganlab's own split.

Answers "is ganlab's classifier weaker than a plain recipe?" on the same images: the loop below
is what a user writes by hand (timm resnet18 from scratch, AdamW 1e-3, weight decay 0.01, cosine
decay to 0 over the epochs, early stopping on validation ROC-AUC with patience 6, hflip + vflip
+ 90-degree rotations + 10% colour jitter from torchvision, no bilateral filter or gamma). It
reads the train/val/test sides that ganlab's group-aware split makes for the study (the same
preprocessing cache), keeps the epoch with the best validation ROC-AUC, and scores the test side
with scikit-learn: ROC-AUC, and accuracy at 0.5 and at Youden's threshold chosen on validation.
Compare with ``ganlab classify train studies/paper.toml --profile cpu-best --seed S``.

    OMP_NUM_THREADS=1 python benchmarks/plain_recipe_reference.py --seed 0   # ~10 min, 1 thread
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score, roc_curve
from torch import nn

ROOT = Path(__file__).resolve().parents[1]


def load_sides(study: Path, profile: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """ganlab's train/val/test images (uint8) and labels for the study's data settings."""
    from ganlab.config import load_config
    from ganlab.data import prepare_data
    from ganlab.study import StudyLayout

    cfg = load_config(study, profile=profile)
    data = prepare_data(cfg.data, base_dir=Path(cfg.base_dir),
                        work_dir=StudyLayout.of_config(cfg).root)
    return {name: (side.images, side.labels)
            for name, side in (("train", data.train), ("val", data.val), ("test", data.test))}


def augmentation() -> nn.Module:
    from torchvision.transforms import v2

    class Rot90(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.rot90(x, int(torch.randint(0, 4, ())), dims=(-2, -1))

    return v2.Compose([v2.RandomHorizontalFlip(), v2.RandomVerticalFlip(), Rot90(),
                       v2.ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1)])


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    model.eval()
    out = [model(images[i:i + 256].float().div(255)).softmax(1)[:, 1]
           for i in range(0, len(images), 256)]
    return torch.cat(out).numpy()


def train(sides: dict, *, seed: int, epochs: int, patience: int, batch: int) -> dict[str, float]:
    import timm

    torch.manual_seed(seed)
    x, y = sides["train"]
    model = timm.create_model("resnet18", num_classes=2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * -(-len(y) // batch))
    augment, loss_fn = augmentation(), nn.CrossEntropyLoss()
    best, best_state, since = -1.0, None, 0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(y))
        for start in range(0, len(y), batch):
            idx = order[start:start + batch]
            xb = torch.stack([augment(img) for img in x[idx]]).float().div(255)
            loss = loss_fn(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        val_auc = roc_auc_score(sides["val"][1].numpy(), predict(model, sides["val"][0]))
        print(f"epoch {epoch}/{epochs} val roc_auc {val_auc:.4f}", flush=True)
        if val_auc > best:
            best, since = val_auc, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since += 1
            if since >= patience:
                break
    model.load_state_dict(best_state)
    val_y, val_p = sides["val"][1].numpy(), predict(model, sides["val"][0])
    fpr, tpr, thr = roc_curve(val_y, val_p)
    youden = float(thr[np.argmax(tpr - fpr)])
    test_y, test_p = sides["test"][1].numpy(), predict(model, sides["test"][0])
    return {"val_roc_auc": best, "test_roc_auc": roc_auc_score(test_y, test_p),
            "test_accuracy_0.5": float(((test_p >= 0.5) == test_y).mean()),
            "test_accuracy_youden": float(((test_p >= youden) == test_y).mean()),
            "epochs_run": epoch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=ROOT / "studies" / "paper.toml")
    parser.add_argument("--profile", default="cpu-best", help="whose data settings to read")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--patience", type=int, default=6)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    sides = load_sides(args.study, args.profile)
    start = time.perf_counter()
    result = train(sides, seed=args.seed, epochs=args.epochs, patience=args.patience,
                   batch=args.batch)
    print(f"plain loop, resnet18, seed {args.seed}, n = "
          f"{', '.join(f'{k} {len(v[1])}' for k, v in sides.items())}, "
          f"{time.perf_counter() - start:.0f} s, {torch.get_num_threads()} threads")
    for key, value in result.items():
        print(f"  {key:<22} {value:.4f}" if isinstance(value, float) else f"  {key:<22} {value}")


if __name__ == "__main__":
    main()
