#!/bin/sh
# Suite cli: ecglens-cli as a user runs it — exit codes, messages and output.
# Usage: test-cli.sh PATH/TO/ecglens-cli SHARED_DIR
set -u
cli=$1
shared=$2
tmp=$(mktemp -d /tmp/ecglens-cli-test-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# expect NAME STATUS NEEDLE CMD...: CMD exits with STATUS and its stderr contains NEEDLE
expect() {
    name=$1 want=$2 needle=$3
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ] && grep -qF -- "$needle" "$tmp/err"; then
        ok "$name"
    else
        not_ok "$name"
        echo "#   exit $got (wanted $want); stderr:"
        sed 's/^/#   /' "$tmp/err" | head -5
    fi
}
# has NAME NEEDLE FILE
has() {
    if grep -qF -- "$2" "$3"; then ok "$1"; else not_ok "$1"; echo "#   '$2' not in:"; sed 's/^/#   /' "$3" | head -20; fi
}

expect "no command prints usage" 2 "Usage:" "$cli"
expect "unknown command" 2 "unknown command 'frobnicate'" "$cli" frobnicate

# ---- synth, info on a dataset ----
"$cli" synth -n 30 --fs 100 --seed 3 -o "$tmp/demo.h5" 2>"$tmp/err"
if [ $? -eq 0 ] && [ -f "$tmp/demo.h5" ]; then ok "synth writes a dataset"; else not_ok "synth writes a dataset"; cat "$tmp/err"; fi
"$cli" info "$tmp/demo.h5" >"$tmp/info" 2>&1
has "info names the record count" "30 records of 1000 samples at 100 Hz" "$tmp/info"
has "info prints the fold table" "| fold | NORM | MI | STTC | CD | HYP | none | records |" "$tmp/info"

# ---- bad input: clear message, non-zero exit, existing output untouched ----
cp "$tmp/demo.h5" "$tmp/keep.h5"
sum_before=$(md5sum <"$tmp/keep.h5")
expect "import of a missing folder" 1 "$tmp/nope: not a folder" "$cli" import "$tmp/nope" -o "$tmp/keep.h5"
mkdir -p "$tmp/empty"
expect "import of an empty folder" 1 "no ptbxl_database.csv" "$cli" import "$tmp/empty" -o "$tmp/keep.h5"
printf 'ecg_id,patient_id\n1,"2\n' >"$tmp/empty/ptbxl_database.csv"
expect "import with broken CSV quoting" 1 "ptbxl_database.csv: line 2: quoted field never closed" \
    "$cli" import "$tmp/empty" -o "$tmp/keep.h5"
[ "$(md5sum <"$tmp/keep.h5")" = "$sum_before" ] && ok "failed imports leave the existing file" || not_ok "failed imports leave the existing file"
echo "not hdf5" >"$tmp/text.h5"
expect "info on a non-HDF5 file" 1 "text.h5: not an HDF5 file" "$cli" info "$tmp/text.h5"
expect "synth to an unwritable path" 1 "/nonexistent-dir/x.h5" "$cli" synth -n 2 -o /nonexistent-dir/x.h5
expect "synth without -o" 2 "synth needs" "$cli" synth -n 2
printf 'x 12 100 1000\n' >"$tmp/bad.hea"
expect "info on a header with missing signal lines" 1 "bad.hea" "$cli" info "$tmp/bad.hea"
expect "peaks on a missing record" 1 "missing.hea" "$cli" peaks "$tmp/missing.hea"

# ---- train, score, eval on a small synthetic dataset ----
"$cli" synth -n 80 --fs 100 --seed 4 -o "$tmp/small.h5" 2>/dev/null
"$cli" train --data "$tmp/small.h5" --model cae --epochs 2 --seed 2 -o "$tmp/cae.model.h5" 2>"$tmp/err"
if [ $? -eq 0 ] && [ -f "$tmp/cae.model.h5" ]; then ok "train writes a checkpoint"; else not_ok "train writes a checkpoint"; cat "$tmp/err"; fi
has "train reports the calibrated threshold" "95-th percentile" "$tmp/err"
"$cli" score --model "$tmp/cae.model.h5" --data "$tmp/small.h5" -o "$tmp/scores.h5" 2>"$tmp/err"
if [ $? -eq 0 ] && [ -f "$tmp/scores.h5" ]; then ok "score writes scores"; else not_ok "score writes scores"; cat "$tmp/err"; fi
"$cli" score --model "$tmp/cae.model.h5" --data "$tmp/small.h5" --record 3 --windows "$tmp/w.h5" >"$tmp/out" 2>"$tmp/err"
has "score --windows reports the windows" "7 windows of 256 samples" "$tmp/out"
"$cli" eval --model "$tmp/cae.model.h5" --data "$tmp/small.h5" --json >"$tmp/out" 2>"$tmp/err"
for key in '"auroc"' '"auprc"' '"f1"' '"precision"' '"recall"' '"specificity"' '"threshold"' '"n"' \
    '"per_superclass"' '"linear_baseline"'; do
    has "eval --json has $key" "$key" "$tmp/out"
done
cp "$tmp/cae.model.h5" "$tmp/keep.model.h5"
sum_before=$(md5sum <"$tmp/keep.model.h5")
"$cli" synth -n 12 --fs 100 --seed 5 -o "$tmp/tiny.h5" 2>/dev/null
expect "train without normal training records" 1 "no normal" \
    "$cli" train --data "$tmp/tiny.h5" --model cae --epochs 1 -o "$tmp/keep.model.h5"
[ "$(md5sum <"$tmp/keep.model.h5")" = "$sum_before" ] && ok "a failed training leaves the old checkpoint" || not_ok "a failed training leaves the old checkpoint"
expect "score with a dataset as the model" 1 "small.h5" "$cli" score --model "$tmp/small.h5" --data "$tmp/small.h5" -o "$tmp/s.h5"
expect "unknown model kind" 2 "train needs" "$cli" train --data "$tmp/small.h5" --model rnn -o "$tmp/x.model.h5"
"$cli" train --data "$tmp/small.h5" --model vae_bilstm --epochs 50 -o "$tmp/cancelled.model.h5" 2>"$tmp/err" &
pid=$!
sleep 2
kill -INT $pid
wait $pid
status=$?
if [ $status -ne 0 ] && [ ! -f "$tmp/cancelled.model.h5" ] && grep -q "cancelled" "$tmp/err"; then
    ok "Ctrl+C cancels training and writes nothing"
else
    not_ok "Ctrl+C cancels training and writes nothing (exit $status)"; cat "$tmp/err" | tail -3
fi
ls "$tmp" | grep -q "tmp-" && not_ok "no temporary files are left" || ok "no temporary files are left"

# ---- real data ----
if [ -f "$shared/ptbxl/ptbxl_database.csv" ]; then
    "$cli" import "$shared/ptbxl" -o "$tmp/ptbxl.h5" --rate 100 2>"$tmp/err"
    if [ $? -eq 0 ]; then ok "import of the PTB-XL sample"; else not_ok "import of the PTB-XL sample"; cat "$tmp/err"; fi
    has "import reports progress with records/s and ETA" "records/s  ETA" "$tmp/err"
    "$cli" info "$tmp/ptbxl.h5" >"$tmp/info" 2>&1
    # the label tables of shared/ptbxl/README.md, line for line
    for line in "| NORM (normal) | 528 |" "| MI (myocardial infarction) | 183 |" "| STTC (ST/T change) | 230 |" \
        "| CD (conduction disturbance) | 193 |" "| HYP (hypertrophy) | 97 |" "| no diagnostic superclass | 12 |" \
        "513 records are NORM only; 462 carry at least one abnormal superclass." \
        "| 1 | 52 | 15 | 26 | 22 | 13 | 1 | 101 |" "| 9 | 65 | 31 | 35 | 23 | 16 | 8 | 136 |" \
        "| 10 | 66 | 24 | 30 | 27 | 11 | 2 | 128 |"; do
        has "info: $line" "$line" "$tmp/info"
    done
    "$cli" import "$shared/ptbxl" -o "$tmp/ptbxl500.h5" --rate 500 --limit 20 2>"$tmp/err"
    has "import --limit at 500 Hz" "imported 20 of 20 records at 500 Hz" "$tmp/err"
else
    skip "import of the PTB-XL sample" "$shared/ptbxl not present"
fi
if [ -f "$shared/wfdb/100.hea" ]; then
    "$cli" info "$shared/wfdb/100.hea" >"$tmp/info" 2>&1
    has "info on MIT-BIH 100 checks first values and checksums" "first values and checksums match the header" "$tmp/info"
    has "info lists the leads" "MLII" "$tmp/info"
    "$cli" info "$shared/wfdb/s0010_re.hea" >"$tmp/info" 2>&1
    has "info on a two-file PTB record" "first values and checksums match the header" "$tmp/info"
    has "PTB's lower-case avr is aVR" "aVR" "$tmp/info"
    "$cli" peaks "$shared/wfdb/100.hea" >"$tmp/peaks" 2>"$tmp/err"
    count=$(wc -l <"$tmp/peaks")
    if [ "$count" -ge 2260 ] && [ "$count" -le 2285 ]; then ok "peaks on MIT-BIH 100 ($count, 2273 annotated)"; else not_ok "peaks on MIT-BIH 100 ($count)"; fi
    expect "peaks on a lead that is not there" 1 "no lead 'V9'" "$cli" peaks "$shared/wfdb/100.hea" --lead V9
else
    skip "WFDB records" "$shared/wfdb not present"
fi

echo "1..$n"
exit $failed
