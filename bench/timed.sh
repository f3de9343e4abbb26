# timed.sh — sourced by the bench scripts: timed CMD... prints the wall and CPU seconds of
# a command, the best of 3 runs, its output discarded ("wall cpu"); $WORK holds a scratch
# file.
timed() {
    best=""
    for i in 1 2 3; do
        /usr/bin/time -f "%e %U %S" -o "$WORK/t" "$@" >/dev/null 2>&1 || true
        t=$(awk '{printf "%.3f %.3f", $1, $2 + $3}' "$WORK/t")
        if [ -z "$best" ] || [ "$(echo "$t $best" | awk '{print ($1 < $3)}')" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
