"""A compact training driver: pretraining on packed token streams, instruction finetuning
(full or LoRA), generation and perplexity, on Llama-style models from `transformers`."""
