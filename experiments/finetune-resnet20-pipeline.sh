#!/usr/bin/env bash
# Train dense → prune → fine-tune, in stages, for ResNet-20 on the JPEG-decoded CIFAR-10 pixels.
#
# Every stage runs the same recipe on the dense row and on the pruned rows, so each pruned row
# has a dense row with exactly as many epochs behind it (the comparison the fine-tuning targets ask for):
#   stage 1: the pretrained model, 8 epochs plain fine-tuning                  → s1/resnet20-dense
#   stage 2: from s1 dense: prune colnm 2:4 and 1:4 (one shot), 5 epochs with distillation from the
#            s1 dense model and statistics matching; the dense row distils from itself  → s2/*
#   stage 3: 5 more epochs, teacher = the s2 dense model: the s2 2:4 model again, the s2 2:4 model
#            pruned further to 1:4 (iterative pruning), and the s2 dense model          → s3/*
# Each stage writes per-run rows (JSON) that `finetune.mjs --from` renders as one table.
#
#   bash experiments/finetune-resnet20-pipeline.sh [OUT_DIR]      (default out/finetune-resnet20)
#
# Needs `npm run build` and ../shared/data. About 95 minutes on a 2-vCPU machine (2 threads, one
# process at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/finetune-resnet20}
mkdir -p "$OUT"
FT="node experiments/finetune.mjs --lr 0.01 --threads 2"

$FT --model resnet20 --patterns dense --epochs 8 --save "$OUT/s1" --rows "$OUT/s1.json"

$FT --model "$OUT/s1/resnet20-dense.onnx" --patterns colnm:2:4,colnm:1:4,dense --epochs 5 \
  --distill 0.7:4 --bn-match --save "$OUT/s2" --rows "$OUT/s2.json"

S2=$OUT/s2/resnet20
$FT --model "$S2-colnm24.onnx" --teacher "$S2-dense.onnx" --patterns colnm:2:4,colnm:1:4 --epochs 5 \
  --distill 0.7:4 --bn-match --save "$OUT/s3" --rows "$OUT/s3-pruned.json"
$FT --model "$S2-dense.onnx" --patterns dense --epochs 5 --distill 0.7:4 --save "$OUT/s3" --rows "$OUT/s3-dense.json"

for s in s1 s2; do node experiments/finetune.mjs --from "$OUT/$s.json" > "$OUT/$s.md"; done
node experiments/finetune.mjs --from "$OUT/s3-dense.json,$OUT/s3-pruned.json" > "$OUT/s3.md"
