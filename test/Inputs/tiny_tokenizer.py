#!/usr/bin/env python3
"""Prints a small Gemma-style BPE tokenizer.json (about 330 pieces), so that
small synthetic checkpoints (--vocab 4096) compile into complete model files.
Same structure as Gemma 3's: <pad> <eos> <bos> <unk>, chat turn markers,
256 byte-fallback pieces, lowercase letters and a few merges."""
import json

specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"]
pieces = specials + ["<0x%02X>" % b for b in range(256)]
pieces += ["\u2581"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
merges = [("\u2581", "t"), ("h", "e"), ("\u2581t", "he"), ("i", "s"), ("\u2581", "is"),
          ("\u2581", "a"), ("o", "f"), ("\u2581", "of")]
pieces += [left + right for left, right in merges]
vocab = {piece: i for i, piece in enumerate(pieces)}

print(json.dumps({
    "version": "1.0",
    "added_tokens": [{"id": vocab[s], "content": s, "special": True} for s in specials],
    "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    "pre_tokenizer": None,
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
              "byte_fallback": True, "vocab": vocab,
              "merges": [[left, right] for left, right in merges]},
}, ensure_ascii=False))
