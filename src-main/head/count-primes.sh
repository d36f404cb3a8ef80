#!/bin/sh
# The demo job's task: count the primes in [INDEX*STEP, (INDEX+1)*STEP) by trial division and
# write the count to OUT_DIR/INDEX. Usage: count-primes.sh OUT_DIR STEP INDEX
set -eu
out=$1
step=$2
index=$3
count=$(awk -v lo="$((index * step))" -v hi="$(((index + 1) * step))" 'BEGIN {
  n = 0
  for (k = (lo < 2 ? 2 : lo); k < hi; k++) {
    prime = 1
    for (d = 2; d * d <= k; d++) if (k % d == 0) { prime = 0; break }
    n += prime
  }
  print n
}')
echo "$count" > "$out/$index"
echo "[$((index * step)), $(((index + 1) * step))): $count primes"
