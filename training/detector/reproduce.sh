#!/bin/bash
# The exact sequence that produced models/detector/ (times on 2 shared CPU cores).
# Run from training/ with PYTHONPATH=$PWD.
set -euo pipefail
PY=.venv/bin/python
C=.cache/detector
mkdir -p $C
# 1. Round-1 mining with the public nets, 2 shards in parallel (~4 min).
for s in 0 1; do $PY -m detector.mining $s 2 & done; wait
# 2. P-Net (~4.5 min), then R-Net (~9.5 min) and O-Net (~11 min) in parallel, 1 thread each.
$PY -m detector.train pnet --steps 3000 --lr 1e-3 --threads 2 --pattern 'mined_*.npz'
$PY -m detector.train rnet --steps 3000 --threads 1 --pattern 'mined_*.npz' &
$PY -m detector.train onet --steps 1200 --threads 1 --frozen 4 --pattern 'mined_*.npz' &
wait
# 3. Round-2 mining behind the fine-tuned P-Net/R-Net (~3.5 min).
for s in 0 1; do $PY -m detector.mining $s 2 2 & done; wait
# 4. O-Net round 2 on both rounds' samples, from round 1 (~5.5 min).
$PY -m detector.train onet --steps 900 --lr 5e-4 --threads 1 --frozen 4 --init "" --tag _r2
# 5. Export the chosen states (P-Net, R-Net round 1; O-Net round 2) and check ORT == PyTorch (~10 s).
$PY -m detector.export --tags "" "" _r2
$PY detector/test_export.py --tags "" "" _r2
# 6. Round-3 mining behind the exported P-Net/R-Net (models/detector/); each sample also records
#    the mask class and width of its face (~4 min).
for s in 0 1; do $PY -m detector.mining $s 2 3 & done; wait
# 7. O-Net round 3 from the exported O-Net, every layer trained, positives of bare faces and of
#    faces under 16 px drawn twice as often (~24 min at 1 thread beside another job).
$PY -m detector.train onet --steps 1500 --lr 3e-4 --threads 1 --frozen 0 --init shipped \
    --pattern 'mined3_*.npz' --bare-weight 2 --tiny-weight 2 --tag _r3b
$PY -m detector.export --nets onet --tags "" "" _r3b
$PY detector/test_export.py --nets onet --tags "" "" _r3b
# Measured but not kept (no gain on val): R-Net round 2
#   detector.train rnet --steps 1000 --lr 5e-4 --threads 1 --init "" --tag _r2
# a further O-Net round from _r2 (600 more frozen steps, lr 3e-4); and in round 3, the first four body
# modules frozen (1500 steps, weights 2/2, and 2500 steps, weights 3/3): recall as high, lower
# precision than all layers trained (detector/onet_sweep.py on val).
