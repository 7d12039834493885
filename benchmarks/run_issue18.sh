#!/usr/bin/env bash
# The issue-18 races, one after another on a quiet machine (nothing else running), each with uptime before and
# after; logs and JSON land in benchmarks/results/. Usage: bash benchmarks/run_issue18.sh [earlycut|throughput|moreseeds|hyperband|scale ...]
set -u
cd "$(dirname "$0")/.."
D=../shared/data
R=benchmarks/results
P=../shared/bench/peers.py
parts=${*:-earlycut scale}
race() {  # name table target task extra-args...
  local name=$1 table=$2 target=$3 task=$4; shift 4
  { echo "# $name: $table"; uptime; } > "$R/$name.txt"
  python "$P" "$D/$table" "$target" "$task" --engine "python -m tuning" --out "$R/$name.json" "$@" >> "$R/$name.txt" 2>&1
  uptime >> "$R/$name.txt"
}
for part in $parts; do
  case $part in
    earlycut)
      for t in "cps1988_wage.csv wage regression" "credit_status.csv Status classification" "ames_housing.csv Sale_Price regression"; do
        set -- $t
        race "earlycut_${1%%_*}" "$1" "$2" "$3" --trials 40 --seeds 0,1,2 --engine-args "--pruner asha" \
          --only engine,optuna-hb,random,halving --target-rule median
      done ;;
    throughput)
      for t in "cps1988_wage.csv wage regression" "credit_status.csv Status classification" "ames_housing.csv Sale_Price regression"; do
        set -- $t
        race "throughput_${1%%_*}" "$1" "$2" "$3" --trials 40 --seeds 0,1,2 --only engine,optuna,random --target-rule median
      done ;;
    moreseeds)  # five more seeds (3-7) where three left the ratios to luck
      for t in "cps1988_wage.csv wage regression" "credit_status.csv Status classification" "ames_housing.csv Sale_Price regression"; do
        set -- $t
        race "earlycut_${1%%_*}_seeds3-7" "$1" "$2" "$3" --trials 40 --seeds 3,4,5,6,7 --engine-args "--pruner asha" \
          --only engine,optuna-hb,random --target-rule median
      done
      race throughput_ames_seeds3-7 ames_housing.csv Sale_Price regression --trials 40 --seeds 3,4,5,6,7 \
        --only engine,optuna --target-rule median ;;
    hyperband)  # the engine's Hyperband (brackets from progress 1, 3 and 9) against the same peers
      for t in "cps1988_wage.csv wage regression" "credit_status.csv Status classification" "ames_housing.csv Sale_Price regression"; do
        set -- $t
        race "earlycut_hyperband_${1%%_*}" "$1" "$2" "$3" --trials 40 --seeds 0,1,2 --engine-args "--pruner hyperband" \
          --only engine,optuna-hb,random --target-rule median
      done ;;
    scale)
      { uptime; python benchmarks/bench_scale.py both; uptime; } > "$R/scale_fertility.txt" 2>&1 ;;
  esac
done
