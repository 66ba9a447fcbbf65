"""Korean-aware tokenizer training and packing into token streams (issue 5: not built yet)."""
