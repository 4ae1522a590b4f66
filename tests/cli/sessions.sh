# Sessions and the commands around a run: two sessions of one sweep are independent; requeue of failed
# elements reruns exactly those; export --status filters; destroy of one session keeps the other;
# status --json (and export, sessions) work while a run goes on and show monotonic progress without
# disturbing it; --halt-on-failures stops a run early with exit 1.
source "$(dirname "$0")/../cli/lib-common.sh"

export SMX_REC="$SCRATCH/rec.txt" FAILMODE="$SCRATCH/failmode"
: >"$SMX_REC"
cat >task.sh <<'EOF'
#!/bin/sh
# Records "SESSION INDEX ATTEMPT"; fails for multiples of 5 while $FAILMODE exists.
printf '%s %s %s\n' "$SWEEPMUX_SESSION" "$SWEEPMUX_INDEX" "$SWEEPMUX_ATTEMPT" >> "$SMX_REC"
[ -n "${SMX_SLEEP:-}" ] && sleep "$SMX_SLEEP"
if [ -e "$FAILMODE" ] && [ $(( $1 % 5 )) -eq 0 ]; then exit 9; fi
exit 0
EOF
chmod +x task.sh
cat >spec.yaml <<EOF
name: sess
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 0, max: 19, step: 1}
EOF
touch "$FAILMODE"

# counts FILE SESSION: "total done failed running pending" from status --json.
counts() {
    status_json "$1" --session "$2" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["total"], j["done"], j["failed"], j["running"], j["pending"])'
}
# ran SESSION: sorted "INDEX ATTEMPT" executions of SESSION so far.
ran() { awk -v s="$1" '$1 == s {print $2, $3}' "$SMX_REC" | sort -n | tr '\n' ' '; }

# --- two independent sessions --------------------------------------------------------------------------
expect_rc 1 "session a (4 failures)" smx run spec.yaml --state run.h5 --session a
expect_rc 1 "session b (4 failures)" mpi 2 run spec.yaml --state run.h5 --session b
[ "$(counts run.h5 a)" = "20 16 4 0 0" ] || fail "session a counts: $(counts run.h5 a)"
[ "$(counts run.h5 b)" = "20 16 4 0 0" ] || fail "session b counts: $(counts run.h5 b)"
[ "$(awk '$1 == "a"' "$SMX_REC" | wc -l)" = 20 ] || fail "session a did not run each element once"
[ "$(awk '$1 == "b"' "$SMX_REC" | wc -l)" = 20 ] || fail "session b did not run each element once (its elements are not a's)"
grep -qv -e '^a ' -e '^b ' "$SMX_REC" && fail "a task saw an unexpected SWEEPMUX_SESSION: $(grep -v -e '^a ' -e '^b ' "$SMX_REC" | head -n 1)"
smx sessions run.h5 >sessions.txt || fail "sessions failed"
grep -Eq '^a +20 +16 +4 +0 +0$' sessions.txt && grep -Eq '^b +20 +16 +4 +0 +0$' sessions.txt ||
    fail "sessions does not list both a and b with their counts: $(cat sessions.txt)"
js=$(status_json run.h5 --session a)
"$PY" -c 'import json,sys; n=sorted(s["name"] for s in json.loads(sys.argv[1])["sessions"]); assert n == ["a","b"], n' "$js" ||
    fail "status --json 'sessions' does not list a and b: $js"

# --- export --status -------------------------------------------------------------------------------------
smx export run.h5 --session b --status failed >failed.csv
[ "$(cut -d, -f1 failed.csv | tail -n +2 | tr '\n' ' ')" = "0 5 10 15 " ] ||
    fail "export --status failed: indices $(cut -d, -f1 failed.csv | tail -n +2 | tr '\n' ' '), want 0 5 10 15"
grep -v '^index' failed.csv | grep -qv ',failed,' && fail "export --status failed has non-failed rows"
smx export run.h5 --session b --status done >done.csv
[ "$(csv_rows done.csv)" = 16 ] || fail "export --status done: $(csv_rows done.csv) rows, want 16"
smx export run.h5 --session b --status pending >pending.csv
[ "$(csv_rows pending.csv)" = 0 ] || fail "export --status pending: $(csv_rows pending.csv) rows, want 0"
smx export run.h5 --session b --status failed --format json >failed.json
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["index"] for x in r] == [0,5,10,15] and all(x["status"] == "failed" and x["exit_code"] == 9 for x in r), r' failed.json ||
    fail "export --status failed --format json is wrong: $(cat failed.json)"

# --- requeue failed, then resume reruns only those (in session a only) -----------------------------------
expect_rc 0 "requeue a --status failed" smx requeue run.h5 --session a --status failed
[ "$(counts run.h5 a)" = "20 16 0 0 4" ] || fail "after requeue: session a counts $(counts run.h5 a), want 4 pending"
[ "$(counts run.h5 b)" = "20 16 4 0 0" ] || fail "requeue of session a changed session b: $(counts run.h5 b)"
smx export run.h5 --session a --status pending >requeued.csv
[ "$(cut -d, -f1 requeued.csv | tail -n +2 | tr '\n' ' ')" = "0 5 10 15 " ] || fail "requeued elements: $(cat requeued.csv)"
rm "$FAILMODE"
before_b=$(ran b)
nrec=$(wc -l <"$SMX_REC")
expect_rc 0 "resume of session a after requeue" mpi 2 run --state run.h5 --session a
new_a=$(tail -n +$((nrec + 1)) "$SMX_REC" | awk '$1 == "a" {print $2, $3}' | sort -n | tr '\n' ' ')
[ "$new_a" = "0 2 5 2 10 2 15 2 " ] || fail "resume after requeue ran '$new_a', want only the failed ones at attempt 2: '0 2 5 2 10 2 15 2'"
[ "$(ran b)" = "$before_b" ] || fail "resuming session a ran elements of session b"
[ "$(counts run.h5 a)" = "20 20 0 0 0" ] || fail "session a after requeue+resume: $(counts run.h5 a)"
[ "$(counts run.h5 b)" = "20 16 4 0 0" ] || fail "session b changed: $(counts run.h5 b)"

# --- destroy one session, keep the other -----------------------------------------------------------------
expect_rc 0 "destroy session b" smx destroy run.h5 --session b
smx sessions run.h5 >sessions.txt
grep -Eq '^a ' sessions.txt || fail "destroying b removed a: $(cat sessions.txt)"
grep -Eq '^b ' sessions.txt && fail "session b still listed after destroy: $(cat sessions.txt)"
[ "$(counts run.h5 a)" = "20 20 0 0 0" ] || fail "session a after destroying b: $(counts run.h5 a)"
smx export run.h5 --session a >a.csv
[ "$(csv_rows a.csv)" = 20 ] || fail "export of a after destroying b: $(csv_rows a.csv) rows"
rc=0
smx status run.h5 --session b --json >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "status of the destroyed session b succeeded"
# destroy without --session removes the whole file.
expect_rc 0 "destroy the whole file" smx destroy run.h5
[ ! -e run.h5 ] || fail "destroy without --session left run.h5"

# --- status/export/sessions while a run goes on ----------------------------------------------------------
cat >slow.yaml <<EOF
name: slow
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 1, max: 120, step: 1}
EOF
# Tasks long enough for several polls during the run. In the sanitizer build (SMX_TIME_SCALE > 1)
# each poll, three sweepmux commands, takes seconds on a loaded machine: the tasks take longer.
export SMX_SLEEP=0.05
[ "$SMX_TIME_SCALE" = 1 ] || SMX_SLEEP=0.3
bg_setsid live.out timeout -k 5 "$(scaled 120)" "$MPIEXEC" -n 2 "$SWEEPMUX" run slow.yaml --state live.h5 --slots 2 --sync-interval 0.2
job=$BG_PID
prev=-1
during=0
polls=0
while kill -0 "$job" 2>/dev/null; do
    if [ -e live.h5 ]; then
        polls=$((polls + 1))
        rc=0
        timeout "$(scaled 20)" "$SWEEPMUX" status live.h5 --json >poll.json 2>poll.err || rc=$?
        if [ "$rc" = 4 ] || [ "$rc" = 5 ] || [ "$rc" = 124 ]; then
            cat poll.err >&2
            fail "status --json during the run exited $rc (poll $polls)"
        fi
        if [ "$rc" = 0 ]; then
            d=$(jget done <poll.json)
            [ "$d" -ge "$prev" ] || fail "status --json went backwards: done $prev then $d"
            [ "$d" -gt 0 ] && [ "$d" -lt 120 ] && during=$((during + 1))
            prev=$d
        elif [ "$prev" -ge 0 ]; then
            cat poll.err >&2
            fail "status --json failed (exit $rc) during the run after having worked"
        fi
        timeout "$(scaled 20)" "$SWEEPMUX" export live.h5 --status done >poll.csv 2>poll.err ||
            { [ "$prev" -lt 0 ] || { cat poll.err >&2; fail "export failed during the run"; }; }
        timeout "$(scaled 20)" "$SWEEPMUX" sessions live.h5 >/dev/null 2>poll.err ||
            { [ "$prev" -lt 0 ] || { cat poll.err >&2; fail "sessions failed during the run"; }; }
    fi
    sleep 0.05
done
wait_rc "$job"
unset SMX_SLEEP
[ "$WAIT_RC" = 0 ] || { cat live.out >&2; fail "the run polled by status exited $WAIT_RC"; }
log "status polled $polls times during the run, $during of them mid-way"
[ "$during" -ge 3 ] || fail "status --json showed progress mid-run only $during times (polls: $polls)"
[ "$(counts live.h5 default)" = "120 120 0 0 0" ] || fail "polled run: $(counts live.h5 default)"
[ "$(awk '$1 == "default"' "$SMX_REC" | wc -l)" = 120 ] || fail "the polled run did not run each element exactly once"

# --- --halt-on-failures ------------------------------------------------------------------------------------
touch "$FAILMODE"
cat >halt.yaml <<EOF
name: halt
command: ["$SCRATCH/task.sh", "{x}"]
parameters:
  x: {min: 0, max: 199, step: 1}
EOF
export SMX_SLEEP=0.02
expect_rc 1 "--halt-on-failures 3" mpi 2 run halt.yaml --state halt.h5 --halt-on-failures 3
read -r total done failed running pending <<<"$(counts halt.h5 default)"
log "halt 3: done $done failed $failed pending $pending"
[ "$failed" -ge 3 ] || fail "--halt-on-failures 3 stopped with only $failed failures"
# Completions reach rank 0 in batches, so a few more elements finish before the stop takes effect
# (up to 9 failures seen on 2 ranks); without the halt there would be 40.
[ "$failed" -le 15 ] || fail "--halt-on-failures 3 went on to $failed failures"
[ "$pending" -gt 100 ] || fail "--halt-on-failures 3 did not stop early: $pending pending"
[ "$running" = 0 ] || fail "--halt-on-failures left $running elements running"
# By percentage: every 5th element fails (20%); 10% halts, 50% does not.
expect_rc 1 "--halt-on-failures 10%" mpi 2 run halt.yaml --state halt10.h5 --halt-on-failures 10%
read -r total done failed running pending <<<"$(counts halt10.h5 default)"
log "halt 10%: done $done failed $failed pending $pending"
[ "$pending" -gt 0 ] || fail "--halt-on-failures 10% with 20% failing did not stop early"
expect_rc 1 "--halt-on-failures 50%" mpi 2 run halt.yaml --state halt50.h5 --halt-on-failures 50%
[ "$(counts halt50.h5 default)" = "200 160 40 0 0" ] ||
    fail "--halt-on-failures 50% with 20% failing stopped or miscounted: $(counts halt50.h5 default)"
