#!/usr/bin/env bash
# The seed report's experiment, on this market: 5 peers (3 buyers of salt, 1 seller of salt,
# and P4, the highest peer, which wins the election and trades), each buyer making its
# requests one after another, at 0.1, 0.2, 0.4 and 0.5 % re-election (the chance, per
# transaction, that the trader falls sick), next to the seed report's times.
#
#   tools/lab-table.sh [--requests N] [--seed S] [--repeat K]
#
# Uses `market` from $MARKET, else .build/release/market, else the one on PATH (build it with
# `swift build -c release --product market`). Each run's database is kept in a temporary
# directory, printed at the end, so every figure can be looked at with sqlite3 or market report.
set -euo pipefail
cd "$(dirname "$0")/.."

requests=1000
seed=1
repeat=1
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    *) echo "usage: tools/lab-table.sh [--requests N] [--seed S] [--repeat K]" >&2; exit 2 ;;
  esac
done

market=${MARKET:-}
if [ -z "$market" ]; then
  if [ -x .build/release/market ]; then market=.build/release/market
  elif command -v market >/dev/null; then market=$(command -v market)
  else echo "lab-table.sh: no market binary; build it with: swift build -c release --product market" >&2; exit 2
  fi
fi
command -v sqlite3 >/dev/null || { echo "lab-table.sh: the sqlite3 shell is needed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/market-lab.XXXXXX")
declare -A seed_report=([0.001]=65.4 [0.002]=67.3 [0.004]=82.2 [0.005]=106.5)

printf '%-12s %6s %9s %9s %10s %12s %12s %16s\n' "re-election" "runs" "requests" "elections" "takeovers" "mean wait" "run time" "seed report"
for rate in 0.001 0.002 0.004 0.005; do
  for run in $(seq 1 "$repeat"); do
    db="$work/lab-$rate-$run.db"
    if ! "$market" run --scenario tools/lab.json --requests "$requests" --sick-rate "$rate" \
         --seed $((seed + run - 1)) --db "$db" --json >"$work/lab-$rate-$run.json" 2>"$work/lab-$rate-$run.log"; then
      echo "lab-table.sh: the run at $rate failed; see $work/lab-$rate-$run.log" >&2
    fi
  done
  # One line per rate: the runs' history, averaged, straight from their databases. Durations
  # are whole microseconds from the time text (as in tools/queries/buyer-history.sql).
  for run in $(seq 1 "$repeat"); do
    sqlite3 -separator ' ' "$work/lab-$rate-$run.db" "
      SELECT (SELECT count(*) FROM requests),
             (SELECT count(*) FROM elections),
             (SELECT count(*) FROM requests WHERE epoch_decided > epoch_received),
             (SELECT avg((strftime('%s', substr(decided_at, 1, 19)) * 1000000 + substr(rtrim(substr(decided_at, 21), 'Z') || '00000', 1, 6)) - (strftime('%s', substr(received_at, 1, 19)) * 1000000 + substr(rtrim(substr(received_at, 21), 'Z') || '00000', 1, 6))) / 1000.0
              FROM requests WHERE decided_at IS NOT NULL),
             (SELECT ((strftime('%s', substr(finished_at, 1, 19)) * 1000000 + substr(rtrim(substr(finished_at, 21), 'Z') || '00000', 1, 6)) - (strftime('%s', substr(started_at, 1, 19)) * 1000000 + substr(rtrim(substr(started_at, 21), 'Z') || '00000', 1, 6))) / 1000000.0 FROM runs)"
  done | awk -v rate="$rate" -v theirs="${seed_report[$rate]}" '
    { n++; req += $1; el += $2; to += $3; wait += $4; secs += $5 }
    END { printf "%-12s %6d %9d %9.1f %10.1f %9.2f ms %10.2f s %14s s\n",
                 rate * 100 " %", n, req / n, el / n, to / n, wait / n, secs / n, theirs }'
done
echo
echo "run time: from the run's start to its end (runs.started_at to finished_at); mean wait: received to decided."
echo "the seed report's figures are its total times for the same experiment. Databases: $work"
