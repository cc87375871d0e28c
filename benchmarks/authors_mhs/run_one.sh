#!/bin/bash
# run_one.sh FOLDER SCRIPT SEED [x64]: copy FOLDER to runs/, run SCRIPT seeded, keep losses only
set -e
F=$1; S=$2; K=$3; MODE=${4:-f32}
R=/tmp/authors-mhs/runs/$F-${S%.py}-$K-$MODE
rm -rf $R; mkdir -p $R; cp /tmp/authors-mhs/src/$F/*.py $R/; cd $R
mkdir -p losses mds svs svs3 svs4 svs5 plots
. /tmp/authors-mhs/venv/bin/activate
if [ "$MODE" = x64 ]; then export JAX_ENABLE_X64=1; fi
start=$(date +%s.%N)
if [ "$F" = depth ]; then python $S $K > out.log 2>&1; else python /tmp/authors-mhs/run_seeded.py $K $S > out.log 2>&1; fi
end=$(date +%s.%N)
echo "$F $S $K $MODE $(echo "$end - $start" | bc) s" >> /tmp/authors-mhs/runs/times.log
rm -rf mds svs svs3 svs4 svs5 plots
