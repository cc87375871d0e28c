#!/bin/bash
# run_one.sh FOLDER SCRIPT SEED [x64]: copy FOLDER to runs/, run SCRIPT seeded, keep losses only
set -e
F=$1; S=$2; K=$3; MODE=${4:-f32}
R=/tmp/authors-mhs/runs/$F-${S%.py}-$K-$MODE
rm -rf $R; mkdir -p $R; cp /tmp/authors-mhs/src/$F/*.py $R/; cd $R
mkdir -p losses mds svs svs3 svs4 svs5 plots
# gdln5.py imports replot_debug (absent from the repository) and at once re-imports
# plot_outputs from replot: a shim re-exporting replot.plot_outputs changes nothing
[ -f replot_debug.py ] || echo "from replot import plot_outputs  # noqa: F401" > replot_debug.py
. /tmp/authors-mhs/venv/bin/activate
if [ "$MODE" = x64 ]; then export JAX_ENABLE_X64=1; fi
start=$(date +%s.%N)
if [ "$F" = depth ]; then python $S $K > out.log 2>&1; else python /tmp/authors-mhs/run_seeded.py $K $S > out.log 2>&1; fi
end=$(date +%s.%N)
echo "$F $S $K $MODE $(echo "$end - $start" | bc) s" >> /tmp/authors-mhs/runs/times.log
rm -rf mds svs svs3 svs4 svs5 plots
