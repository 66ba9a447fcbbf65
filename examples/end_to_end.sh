#!/usr/bin/env bash
# The whole flow on the embedded sample corpus, from a web-dump-like sample to a chat model:
# pipeline -> tokenizer -> token streams -> pretrain `tiny` -> LoRA instruction tuning -> generate.
# About 3 minutes on 2 CPU cores. Run from the repository root: `make flow`, or with kopile on PATH:
#   bash examples/end_to_end.sh
set -euo pipefail
KOPILE=${KOPILE:-kopile}
PYTHON=${PYTHON:-python}
rm -rf build/sample-run build/flow   # every step below starts from scratch

$PYTHON examples/make_sample.py build/sample
$KOPILE run examples/sample.yaml --no-progress
$KOPILE train-tokenizer examples/tokenizer.yaml
$KOPILE tokenize examples/tokenize.yaml --no-progress
$KOPILE pretrain examples/pretrain.yaml --no-progress
$KOPILE generate build/flow/pretrain/final --prompt "대한민국의 주권은" --max-new-tokens 40
$PYTHON examples/make_instructions.py build/flow/instructions
$KOPILE finetune examples/finetune.yaml --no-progress
# Perplexity on the documents `kopile tokenize` put in the val split: pretraining never trained on them.
$KOPILE eval build/flow/pretrain/final --tokens build/flow/tokens --split val
$KOPILE eval build/flow/finetune/final --tokens build/flow/tokens --split val
for strategy in greedy beam sample; do
  echo "--- $strategy"
  $KOPILE generate build/flow/finetune/final --chat --system "당신은 대한민국 법령과 헌법을 잘 아는 도우미입니다." \
    --prompt "대한민국 헌법 제1조의 내용을 알려 주세요." --prompt "헌법 제40조는 어느 장에 속하나요?" \
    --strategy "$strategy" --max-new-tokens 60
done
