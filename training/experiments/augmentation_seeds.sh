#!/usr/bin/env bash
# Runs finetune_mnist.py's augmentation comparison for several seeds, JOBS runs at a time,
# one thread each (more total throughput on few cores: benchmarks/bench_parallel_runs.py),
# then tables the results.
#
#   training/experiments/augmentation_seeds.sh OUT STEPS "SEEDS" "AUGMENTATIONS" [finetune_mnist.py args]
#
# e.g. the from-scratch comparison of docs/finetuning.md:
#   training/experiments/augmentation_seeds.sh runs/scratch-mnist-200x10k 10000 "0 1 2 3" "none diffaugment" --from-scratch
#   JOBS=3 training/experiments/augmentation_seeds.sh runs/scratch-mnist-200x10k 10000 "0 1 2" ada --from-scratch
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
export out=$1 steps=$2
seeds=$3 augmentations=$4
shift 4
export here=$(cd "$(dirname "$0")" && pwd) python=${PYTHON:-python} extra_args="$*"
mkdir -p "$out"
export TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1

run_one() {  # SEED AUGMENTATION
  local run="$out/seed$1-$2"
  # shellcheck disable=SC2086  # extra_args is a list of words
  "$python" "$here/finetune_mnist.py" --steps "$steps" --eval-every 2000 --only-augmentation \
    --seed "$1" --augmentations "$2" --out "$run" $extra_args > "$run.log" 2>&1 \
    || { echo "failed: $run (see $run.log)" >&2; return 255; }
  echo "done: $run"
}
export -f run_one

for seed in $seeds; do
  for augmentation in $augmentations; do
    echo "$seed $augmentation"
  done
done | xargs -P "${JOBS:-2}" -L 1 bash -c 'run_one "$@"' _
"$python" "$here/summarize_runs.py" "$out"
