#!/usr/bin/env bash
# The GPU device check, in one go on a bare, offline machine (docs/gpu.md): about 5 minutes.
#
#   bash benchmarks/gpu_prepare.sh                    # first, here: .whl/ and .gpudata/train
#   bash benchmarks/gpu_check.sh                      # there, from the repository root
#   bash benchmarks/gpu_check.sh --device cpu --smoke --whl DIR --data DIR   # the rehearsal
#
# 1. installs the carried wheels (.whl/) with pip --no-index --no-deps --target into a temporary
#    folder and registers this checkout's ganlab there (benchmarks/gpu_install_ganlab.py); the
#    machine's own torch is used;
# 2. bench_gan.py: fp32 reference vs ganlab fp32 and bf16 + channels_last, then with compile;
# 3. the GPU tests (pytest -m gpu);
# 4. one trial of studies/paper.toml --profile gpu on the 64-px copy (GAN and classifier epochs
#    cut down), timed, and two short baseline classifiers (resnet18, compact_cnn) for their
#    step times;
# 5. the paper study's whole schedule estimated from those step times and its stage graph
#    (benchmarks/schedule_estimate.py) on 1, 2, 4 and 8 workers.
# Every step has a timeout; the log is $OUT/gpu_check.log; the exit status is 1 when any step
# failed (each failure is printed as a FAILED line), 2 for a usage error.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
device=cuda smoke=0 whl=.whl data=.gpudata/train
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --whl) whl=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "unknown option $1 (--device cuda|cpu, --smoke, --whl DIR, --data DIR)" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/gpu_check.XXXXXX)
SITE=$WORK/site
export HF_HUB_OFFLINE=1 MPLBACKEND=Agg PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
status=0

step() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }
# run SECONDS CMD...: the command under a timeout; a failure is recorded, never hidden.
run() {
  local limit=$1 t0=$SECONDS rc=0; shift
  timeout -k 10 "$limit" "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 124 ] && echo "FAILED (timed out after $limit s): $*" || echo "FAILED ($rc): $*"
    status=1
  fi
  echo "-- $((SECONDS - t0)) s"
  return "$rc"
}

main() {
  step "device $device, smoke $smoke, python $($PY -V 2>&1), output $OUT"
  run 30 $PY -c "import sys, torch
print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())
if '$device' == 'cuda':
    assert torch.cuda.is_available(), 'no CUDA device visible'
    print(torch.cuda.get_device_name(), torch.cuda.get_device_capability(),
          'bf16', torch.cuda.is_bf16_supported())" || return
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
    --format=csv,noheader
  $PY -m pip --version
  $PY -c "import setuptools, wheel; print('setuptools', setuptools.__version__, 'wheel', \
wheel.__version__, '(not needed: ganlab is registered without a build)')" 2>&1 || true

  step "install the carried wheels and this checkout's ganlab"
  ls "$whl"/*.whl >/dev/null || { echo "FAILED: no wheels in $whl (run gpu_prepare.sh)"; return 1; }
  run 180 $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$whl"/*.whl || return
  run 30 $PY benchmarks/gpu_install_ganlab.py "$SITE" || return
  export PYTHONPATH=$SITE:$PWD:$PWD/plugins${PYTHONPATH:+:$PYTHONPATH} PATH=$SITE/bin:$PATH
  run 60 $PY -c "import optuna, cmaes, cleanfid, imagehash, ganlab
from ganlab.registry import GENERATORS, CLASSIFIERS
print('optuna', optuna.__version__, 'ganlab from', ganlab.__file__)
print('generators', [p.name for p in GENERATORS.list()],
      'classifiers', [p.name for p in CLASSIFIERS.list()])" || return
  [ -d "$data" ] || { echo "FAILED: no data copy at $data (run gpu_prepare.sh)"; return 1; }
  data=$(cd "$data" && pwd)

  if [ "$smoke" = 1 ]; then
    bench=(--device "$device" --threads 2 --batch 8 --steps 1 --rounds 1 --no-data-efficient)
    small=(--set gan.generator.ngf=8 --set gan.discriminator.ndf=8 --set gan.batch_size=16
           --set gan.epochs=2 --set classifier.epochs=2 --set gan.fid.enabled=false
           --set classifier.bootstrap=20)
    baselines=(compact_cnn) base_epochs=2
  else
    bench=(--device "$device" --steps 20 --rounds 3)
    small=(--set gan.epochs=100 --set gan.sample_every=50 --set classifier.epochs=10)
    baselines=(resnet18 compact_cnn) base_epochs=4
  fi
  step "bench_gan: fp32 reference vs ganlab fp32 / bf16 + channels_last (no compile)"
  run 180 $PY benchmarks/bench_gan.py "${bench[@]}" --channels-last
  run 180 $PY benchmarks/bench_gan.py "${bench[@]}" --amp bf16 --channels-last
  step "bench_gan: bf16 + channels_last with torch.compile"
  if [ "$smoke" = 1 ]; then  # inductor's C++ build alone takes minutes on a small CPU
    echo "skipped in the smoke run (on the GPU, compile builds Triton kernels instead)"
  else
    run 300 $PY benchmarks/bench_gan.py "${bench[@]}" --amp bf16 --channels-last --compile \
      --no-data-efficient
  fi

  step "GPU tests (pytest -m gpu; skipped without CUDA)"
  mapfile -t gpu_tests < <(grep -rl "pytest.mark.gpu" tests --include='test_*.py')
  run 300 $PY -m pytest -q -p no:cacheprovider -m gpu "${gpu_tests[@]}"

  step "one trial of studies/paper.toml --profile gpu on $data"
  local sets=(--set "study.output=\"$WORK/runs\"" --set "data.root=\"$data\"" "${small[@]}")
  local t0=$SECONDS
  run 300 $PY -m ganlab study run studies/paper.toml --profile gpu --device "$device" \
    --trials-only --n-trials 1 --log-format plain "${sets[@]}"
  echo "trial wall: $((SECONDS - t0)) s"
  local hist
  hist=$(find "$WORK/runs" -path '*gan-cache*' -name history.json | head -n 1)
  local trial_clf
  trial_clf=$(find "$WORK/runs/paper/trials" -name checkpoint.pt -not -path '*gan*' | head -n 1)
  [ -n "$hist" ] && cp "$hist" "$OUT/gan_history.json"

  step "baseline classifiers' step times (${baselines[*]}, $base_epochs epochs)"
  local measured=()
  [ -n "$trial_clf" ] && measured+=(--classifier "discriminator=$trial_clf")
  for m in "${baselines[@]}"; do
    local ref="{name=\"timm\", model=\"$m\"}" key="timm-$m"
    [ "$m" = compact_cnn ] && ref='{name="compact_cnn"}' key=compact_cnn
    run 180 $PY -m ganlab classify train studies/paper.toml --profile gpu --device "$device" \
      --out "$WORK/clf-$m" "${sets[@]}" --set "classifier.model=$ref" --set 'search={}' \
      --set "classifier.epochs=$base_epochs" &&
      measured+=(--classifier "$key=$WORK/clf-$m/checkpoint.pt")
  done

  step "the paper study's schedule (--profile gpu), estimated from the measured step times"
  if [ -z "$hist" ]; then
    echo "FAILED: the trial left no GAN history.json"; status=1
  else
    run 120 $PY benchmarks/schedule_estimate.py studies/paper.toml --profile gpu \
      --gan "$hist" "${measured[@]}" --workers 1,2,4,8
  fi
  return "$status"
}

main 2>&1 | tee "$OUT/gpu_check.log"
rc=${PIPESTATUS[0]}
# main's own status is lost in the pipe's subshell: recount the failures from the log.
grep -q '^FAILED' "$OUT/gpu_check.log" && rc=1
echo "gpu_check: exit $rc (log: $OUT/gpu_check.log)" | tee -a "$OUT/gpu_check.log"
exit "$rc"
