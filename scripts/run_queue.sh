#!/usr/bin/env bash
# Runs the commands of a queue file one after another, one at a time: the first line
# is taken off the file, run (stdout+stderr to runs/queue-logs/), then the next, so
# trainings chain from one config to the next while lines are appended to the file.
# Exits when the file is empty. Usage: bash scripts/run_queue.sh runs/queue.txt
set -uo pipefail
QUEUE="$1"
LOGS="$(dirname "$QUEUE")/queue-logs"
mkdir -p "$LOGS"
while true; do
  LINE="$(head -n 1 "$QUEUE" 2>/dev/null)"
  [ -z "$LINE" ] && break
  sed -i '1d' "$QUEUE"
  STAMP="$(date +%Y%m%d-%H%M%S)"
  echo "$STAMP start: $LINE" >> "$LOGS/queue.log"
  bash -c "$LINE" > "$LOGS/$STAMP.log" 2>&1
  RC=$?
  echo "$(date +%Y%m%d-%H%M%S) exit $RC: $LINE" >> "$LOGS/queue.log"
done
