#!/usr/bin/env bash
# Reproduce the bundled model (models/numina-tiny-q8_0.gguf) from scratch: the six stages of models/README.md, each
# crafting its data (verified in the sandbox) and training on from the stage before. About six and a half hours on 2 cores.
# The stages are the recorded commands; stage 1 stopped on a time budget at step 2,300 of a 3,200-step schedule and
# stage 5 is given the step it reached (--stop-at), so the schedules are the ones the shipped weights saw.
set -euo pipefail
cd "$(dirname "$0")/.."
trainer() { dotnet run -c Release --project Trainer -- "$@"; }

# 1. Format and arithmetic, one sentence per family (81.7 min).
trainer pipeline --seed 1 --data data/tir --out artifacts/training --train 24000 --self-corrections 0.15 --steps 3200 --stop-at 2300
# 2. Digits weighted x4, batches of similar length, new data; resumes the stage-1 checkpoint (62.9 min).
trainer craft --seed 1 --data data/tir2
trainer pipeline --seed 1 --data data/tir2 --out artifacts/training --steps 5800 --digit-weight 4 --length-buckets
# 3. Three code layouts (46.3 min).
trainer craft --seed 2 --data data/tir3 --train 30000 --layouts 3
trainer pipeline --seed 2 --data data/tir3 --out artifacts/stage3 --init-from artifacts/training/numina-tiny-q8_0.gguf \
    --lr 1e-3 --steps 3400 --digit-weight 4 --length-buckets --eval 0
# 4. Four layouts, two-step problems also solved in one block (26.2 min).
trainer craft --seed 3 --data data/tir4 --train 30000 --layouts 4 --direct 0.5
trainer pipeline --seed 3 --data data/tir4 --out artifacts/stage4 --init-from artifacts/stage3/numina-tiny-f32.gguf \
    --lr 3e-4 --steps 2000 --digit-weight 4 --length-buckets --eval 0
# 5. What people type: 30,000 traces in varied wording (28 families) and 8,000 in the old templates (issue #16).
trainer craft --seed 8 --data data/tir5v --train 30000 --heldout 300 --layouts 4 --direct 0.5 --self-corrections 0.15 --wording Varied
trainer craft --seed 9 --data data/tir5t --train 8000 --heldout 100 --layouts 4 --direct 0.5 --self-corrections 0.15 --wording Template
mkdir -p data/tir5
cat data/tir5v/train.jsonl data/tir5t/train.jsonl > data/tir5/train.jsonl
cp data/tir5v/heldout.jsonl data/tir5/heldout.jsonl
trainer pipeline --seed 10 --data data/tir5 --out artifacts/stage5 --init-from artifacts/stage4/numina-tiny-q8_0.gguf \
    --lr 1e-3 --steps 8500 --digit-weight 4 --length-buckets --eval 0 --threads 2
# 6. Broad wording: everyday operation names, subtraction, unit conversions, equations and expression trees copied
#    into Python, rough surface forms; nothing worded as a hand-written probe problem (--decontaminate).
trainer craft --seed 11 --data data/tir6b --train 32000 --heldout 300 --layouts 4 --direct 0.5 --self-corrections 0.15 --wording Broad \
    --decontaminate models/probe-handwritten.jsonl models/probe-handwritten-2.jsonl models/probe-handwritten-3.jsonl
trainer craft --seed 12 --data data/tir6t --train 6000 --heldout 100 --layouts 4 --direct 0.5 --self-corrections 0.15 --wording Template \
    --decontaminate models/probe-handwritten.jsonl models/probe-handwritten-2.jsonl models/probe-handwritten-3.jsonl
mkdir -p data/tir6
cat data/tir6b/train.jsonl data/tir6t/train.jsonl > data/tir6/train.jsonl
cp data/tir6b/heldout.jsonl data/tir6/heldout.jsonl
trainer pipeline --seed 13 --data data/tir6 --out artifacts/stage6 --init-from artifacts/stage5/numina-tiny-q8_0.gguf \
    --lr 1e-3 --steps 8500 --digit-weight 4 --length-buckets --eval 0 --threads 2 --ship models
