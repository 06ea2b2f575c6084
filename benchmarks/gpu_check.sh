#!/usr/bin/env bash
# The GPU device check of issue 15, in one go (about 5 minutes on one GPU); prints every figure.
#
#   bash benchmarks/gpu_check.sh            # from the repository root, on a machine with CUDA
#
# 1. bench_gan.py on the GPU: fp32 reference vs ganlab bf16 + channels_last, without and with
#    torch.compile, plus the data-efficient step (DiffAugment/ADA + EMA + lazy R1) and the
#    paper-schedule estimate with its per-epoch breakdown;
# 2. the GPU tests (bf16 step with fused Adam, a real `ganlab gan train` killed and resumed);
# 3. one trial of studies/paper.toml --profile gpu-check (the gpu profile cut to 20 GAN
#    epochs), timed, on the ISIC folder when it is there (else on the synthetic set).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export HF_HUB_OFFLINE=1
OUT=${OUT:-$(mktemp -d)}
status=0
step() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }
run() { local t0=$SECONDS; "$@" || { echo "FAILED ($?): $*"; status=1; }; echo "-- $((SECONDS - t0)) s"; }

step "device"
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv || true
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'bf16', torch.cuda.is_bf16_supported(), torch.cuda.get_device_capability())"

step "bench_gan: fp32 reference vs ganlab fp32 and bf16 + channels_last (no compile)"
run $PY benchmarks/bench_gan.py --device cuda --steps 20 --rounds 3 --channels-last
run $PY benchmarks/bench_gan.py --device cuda --amp bf16 --steps 20 --rounds 3 --channels-last
step "bench_gan: bf16 + channels_last with torch.compile"
run $PY benchmarks/bench_gan.py --device cuda --amp bf16 --steps 20 --rounds 3 --channels-last \
  --compile --no-data-efficient

step "GPU tests (bf16 step, fused Adam, kill-and-resume)"
run $PY -m pytest -q -p no:cacheprovider -m gpu tests

step "one trial of studies/paper.toml --profile gpu-check"
study=studies/paper.toml
if [ ! -d ../shared/data/isic-benign-malignant/train ] && [ ! -d shared/data/isic-benign-malignant/train ]; then
  echo "ISIC folder not found: using the quickstart's synthetic set at 64 px instead"
  study=studies/quickstart.toml
fi
t0=$SECONDS
run $PY -m ganlab study run "$study" --profile gpu-check --device cuda --trials-only \
  2>&1 | tail -n 25
echo "trial wall: $((SECONDS - t0)) s"
for h in "$OUT"/../runs/*/trials/*/gan_history.json runs/*/trials/*/gan_history.json; do
  [ -f "$h" ] && $PY - "$h" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
steps = sum(e["seconds"] for e in h)
print(f"{sys.argv[1]}: {len(h)} epochs, step time {steps:.1f} s, "
      f"{sum(e['img_per_s'] for e in h) / len(h):.0f} img/s mean")
PY
done
exit $status
