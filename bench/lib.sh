# Shared by the bench scripts: run a command under GNU time and print its wall time and peak RSS.
# Usage: measure LABEL CMD...   (sets MEASURED_SECS and MEASURED_MB)
measure() {
  local label=$1; shift
  local out
  out=$(mktemp)
  /usr/bin/time -v -o "$out" "$@" >/dev/null
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  rm -f "$out"
  MEASURED_SECS=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }')
  MEASURED_MB=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')
  printf '%-28s wall %6.2f s   peak RSS %7.1f MB\n' "$label" "$MEASURED_SECS" "$MEASURED_MB"
}
