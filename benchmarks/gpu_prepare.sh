#!/usr/bin/env bash
# Prepare the GPU device check here, where the package registry can be reached (docs/gpu.md):
#  1. the wheels of benchmarks/gpu_wheels.txt for the lent machine (CPython 3.12, manylinux
#     x86-64) into .whl/, one version of each, without their dependencies (the list names them);
#  2. a 64-px copy of the ISIC train folder into .gpudata/train (a synthetic set without it).
# Both folders are ignored by git and travel with the `run` call's carry list.
#
#   bash benchmarks/gpu_prepare.sh                      # for the lent machine
#   bash benchmarks/gpu_prepare.sh --python-version 3.11 --whl .rehearsal/whl  # this machine's
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
pyver=3.12 whl=.whl data=.gpudata/train per_class=""
source_dir=${GANLAB_TRAIN_FOLDER:-../../shared/data/isic-benign-malignant/train}
[ -d "$source_dir" ] || source_dir=../shared/data/isic-benign-malignant/train
while [ $# -gt 0 ]; do
  case $1 in
    --python-version) pyver=$2; shift 2 ;;
    --whl) whl=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --source) source_dir=$2; shift 2 ;;
    --per-class) per_class=$2; shift 2 ;;
    --no-data) data=""; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

rm -rf "$whl" && mkdir -p "$whl"
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 \
         manylinux1_x86_64; do platforms+=(--platform "$p"); done
grep -v '^\s*#' benchmarks/gpu_wheels.txt | grep -v '^\s*$' | while read -r req; do
  timeout 300 "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$pyver" \
    --implementation cp "${platforms[@]}" -d "$whl" "$req"
done
n=$(ls "$whl"/*.whl | wc -l)
want=$(grep -cv '^\s*#\|^\s*$' benchmarks/gpu_wheels.txt)
[ "$n" = "$want" ] || { echo "expected $want wheels in $whl, found $n" >&2; exit 1; }
echo "$whl: $n wheels, $(du -sh "$whl" | cut -f1)"

if [ -n "$data" ]; then
  args=(--out "$data" --size 64)
  [ -d "$source_dir" ] && args+=(--source "$source_dir")
  [ -n "$per_class" ] && args+=(--per-class "$per_class")
  timeout 600 "$PY" benchmarks/gpu_data_copy.py "${args[@]}"
fi
