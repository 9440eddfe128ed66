#!/usr/bin/env bash
# packaging.slurm: docs/batches.md's Slurm array recipe, run for real on a one-node Slurm cluster
# that this test starts on localhost (munged, slurmctld and slurmd from Debian's munge and
# slurm-wlm, every file of theirs in a scratch folder, on free ports). The recipe is read from
# the docs, not copied here; only its cluster-sized numbers are scaled to this machine (4 shards
# instead of 16, one CPU per task instead of 4) and /data is the scratch folder. convpool is the
# package's own /usr/bin/convpool, unpacked from the .deb that packaging.deb made.
# `sbatch --array=1-4 --wait`, then `convpool merge-reports`: the shards' files together must be
# byte for byte those of one unsharded run, and the merged report its report apart from timings.
# Usage: check_slurm.sh SOURCE_DIR BUILD_DIR PACKAGING_DIR
set -euo pipefail
name=packaging.slurm
source "$(dirname "$0")/common.sh"
need_root
for tool in munged slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null ||
    skip "$tool is not installed (Debian's munge and slurm-wlm; scripts/test.sh installs them)"
done
src=$(cd "$1" && pwd)
dir=$(cd "$3" && pwd)
deb=$(the_deb "$dir")
work=$dir/slurm
rm -rf "$work"
mkdir -p "$work"
start=$SECONDS

# The cluster's daemons, stopped and the folder removed however the test ends.
stop_cluster() {
  for pid in "$work"/slurmd.pid "$work"/slurmctld.pid "$work"/munge/munged.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$work"
}
trap stop_cluster EXIT

# The package's files, unpacked: the binary finds its plugins next to itself (../lib/convpool).
dpkg-deb -x "$deb" "$work/installed"
convpool=$work/installed/usr/bin/convpool
"$convpool" --version >/dev/null || fail "the packaged convpool does not start"

# The data: eight photos from samples/ and a pipeline file, as the recipe's /data holds them.
data=$work/data
mkdir -p "$data/images"
for f in camera.png astronaut.jpg brick.png grass.png text.png horse.png cell.png chelsea.png; do
  [ -f "$src/samples/$f" ] && cp "$src/samples/$f" "$data/images/"
done
[ "$(ls "$data/images" | wc -l)" = 8 ] || fail "too few sample images copied from $src/samples"
echo "$pipeline" >"$data/pipe.txt"

# The recipe: the ```sh block of docs/batches.md that starts with '#!/bin/bash' and names Slurm.
recipe=$work/convpool.sbatch
awk '/^```sh$/ {block = ""; inside = 1; next}
     /^```$/ && inside {if (block ~ /#SBATCH/) {printf "%s", block; exit} inside = 0; next}
     inside {block = block $0 "\n"}' "$src/docs/batches.md" >"$work/recipe.orig"
grep -q '^#SBATCH --cpus-per-task=4$' "$work/recipe.orig" && grep -q '/16"' "$work/recipe.orig" &&
  grep -q '/data/images' "$work/recipe.orig" ||
  fail "docs/batches.md's Slurm recipe changed; update the substitutions in this test"
sed -e "s|/data|$data|g" -e 's|/16"|/4"|' -e 's|^#SBATCH --cpus-per-task=4$|#SBATCH --cpus-per-task=1|' \
  "$work/recipe.orig" >"$recipe"

# munged with a fresh key and its own socket; Slurm authenticates through it.
mkdir -m 700 "$work/munge"
head -c 1024 /dev/urandom >"$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/socket" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/seed" \
  --log-file="$work/munge/munged.log" || fail "munged did not start"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=convpool-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName=localhost CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF" || { cat "$work/slurmctld.log" >&2; fail "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" -N localhost || { cat "$work/slurmd.log" >&2; fail "slurmd did not start"; }
for _ in $(seq 60); do
  [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -n localhost -o %t)" = idle ] ||
  { cat "$work/slurmctld.log" "$work/slurmd.log" >&2; fail "the node did not come up idle"; }
up=$SECONDS
echo "$name: cluster up in $((up - start)) s"

# The array job, from the data folder (the recipe's @pipe.txt is relative), with the package's
# convpool first on PATH; --wait returns when every task has ended, non-zero if one failed.
(cd "$data" && PATH=$work/installed/usr/bin:$PATH sbatch --array=1-4 --wait \
  -o "$work/task-%a.log" "$recipe") >"$work/sbatch.log" 2>&1 ||
  { cat "$work/sbatch.log" "$work"/task-*.log >&2; fail "sbatch --array=1-4 --wait failed"; }
for k in 1 2 3 4; do
  [ -f "$data/out/shard$k/report.json" ] || fail "shard $k wrote no report.json"
done
echo "$name: 4 array tasks ran in $((SECONDS - up)) s"

"$convpool" merge-reports "$data"/out/shard* -o "$data/out/merged" -q ||
  fail "convpool merge-reports failed"
(cd "$data" && "$convpool" run "$data/images" -r -p @pipe.txt -o "$work/whole" -q --report none) ||
  fail "the unsharded run failed"
python3 "$src/tests/packaging/same_shards.py" "$work/whole" "$data/out/merged" "$data"/out/shard? ||
  fail "the sharded Slurm run differs from one unsharded run"
echo "$name: merged shards equal one unsharded run ($((SECONDS - start)) s in all)"
