#!/usr/bin/env bash
# Rehearse the GPU device check on this machine, as the lent one will run it (docs/gpu.md):
# a fresh venv WITHOUT the system site-packages, given only the lent machine's package list
# (benchmarks/gpu_rehearsal_site.py links those this machine has, torch among them), the
# carried wheels fetched for this machine's Python (the same versions as .whl/ for 3.12) and a
# 40-per-class copy of the data; then benchmarks/gpu_check.sh --device cpu --smoke with no
# network (unshare -n where the kernel allows it; pip --no-index and HF_HUB_OFFLINE always).
#
#   bash benchmarks/gpu_rehearse.sh            # about 5 minutes on 2 cores
#   bash benchmarks/gpu_rehearse.sh --quick    # only: the wheels install offline and import
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
R=.rehearsal
pyver=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')

echo "== wheels for Python $pyver and the data copy"
bash benchmarks/gpu_prepare.sh --python-version "$pyver" --whl "$R/whl" --data "$R/train" \
  --per-class 40 2>&1 | grep -v "^WARNING: Location"
echo "== a fresh venv with the lent machine's packages only"
rm -rf "$R/venv"
"$PY" -m venv "$R/venv"
VPY=$R/venv/bin/python
"$PY" benchmarks/gpu_rehearsal_site.py "$R/venv"  # links from this interpreter
if "$VPY" -c "import optuna" 2>/dev/null; then
  echo "optuna is importable before the wheels are installed: the rehearsal would prove nothing"
  exit 1
fi
if [ "${1:-}" = --quick ]; then
  # The wheels install offline for this Python, and with the listed packages they are all
  # that ganlab's study, data and metrics code imports.
  rm -rf "$R/site"
  PIP_NO_INDEX=1 "$VPY" -m pip install -q --no-index --no-deps --no-compile --target "$R/site" \
    "$R"/whl/*.whl
  PYTHONPATH=$R/site:$PWD:$PWD/plugins "$VPY" -c "import optuna, cmaes, cleanfid, imagehash
import ganlab.study, ganlab.data, ganlab.metrics
print('the carried wheels install offline and import: optuna', optuna.__version__)"
  exit 0
fi
echo "== benchmarks/gpu_check.sh --device cpu --smoke, offline"
offline=()
unshare -n true 2>/dev/null && offline=(unshare -n)
[ ${#offline[@]} -gt 0 ] || echo "unshare -n is not allowed here: pip --no-index only"
PIP_NO_INDEX=1 PYTHON="$VPY" OMP_NUM_THREADS=2 "${offline[@]}" \
  bash benchmarks/gpu_check.sh --device cpu --smoke --whl "$R/whl" --data "$R/train"
