"""Korean-aware tokenizer training (HF `tokenizers`) and packing of the corpus into token streams."""
