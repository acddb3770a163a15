"""The command line: train, generate, evaluate.

    cd project/example
    python -m chargpt train [--minutes 8] [--out output]
    python -m chargpt generate [--checkpoint output/chargpt.npz] [--prompt "def "] [--tokens 300]
                               [--temperature 0.8] [--top-k 20] [--seed 0] [--int8] [--no-cache]
    python -m chargpt evaluate [--checkpoint output/chargpt.npz]   # float vs int8 vs unigram
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from .checkpoint import load
from .corpus import decode, encode, load_corpus, random_windows, unigram_loss
from .generation import Sampler, generate
from .model import GPTConfig
from .quantize import quantize_model, weight_bytes
from .train import TrainSettings, evaluate, train, write_outputs

DEFAULT_OUT = Path("output")


def command_train(args):
    config = GPTConfig(embedding=args.embedding, hidden=args.hidden, layers=args.layers, heads=args.heads,
                       head_dim=args.head_dim, context=args.context)
    settings = TrainSettings(steps=args.steps, minutes=args.minutes, batch=args.batch, length=args.length,
                             lr=args.lr, lr_min=args.lr_min, warmup=args.warmup, seed=args.seed)
    corpus = load_corpus()
    model, history = train(corpus, config, settings)
    paths = write_outputs(model, history, args.out)
    print(f"{history['steps']} steps in {history['seconds']:.0f} s; final validation "
          f"{history['validation'][-1][1]:.3f} nats/char (unigram {history['unigram_loss']:.3f})")
    for name, path in paths.items():
        print(f"{name}: {path}")


def command_generate(args):
    model = load(args.checkpoint)
    if args.int8:
        quantize_model(model)
    sampler = Sampler(temperature=args.temperature, top_k=args.top_k, seed=args.seed)
    prompt = encode(args.prompt).tolist()
    start = time.perf_counter()
    tokens = generate(model, prompt, args.tokens, sampler, use_cache=not args.no_cache)
    seconds = time.perf_counter() - start
    print(decode(tokens))
    print(f"\n[{args.tokens} characters in {seconds:.1f} s, {args.tokens / seconds:.1f} chars/s, "
          f"{'int8' if args.int8 else 'float32'}, {'no cache' if args.no_cache else 'KV cache'}]", file=sys.stderr)


def command_evaluate(args):
    corpus = load_corpus()
    windows = random_windows(corpus.validation, args.windows, args.length, np.random.default_rng(2))
    model = load(args.checkpoint)
    # the baseline on the very characters the models predict (and on all of validation, printed below)
    results = {"unigram": unigram_loss(corpus.train, windows[:, 1:].ravel())}
    results["float32"], float_bytes = evaluate(model, windows), weight_bytes(model)
    quantize_model(model)
    results["int8"], int8_bytes = evaluate(model, windows), weight_bytes(model)
    for name, loss in results.items():
        print(f"{name:8s} {loss:.4f} nats/char  perplexity {math.exp(loss):.3f}")
    print(f"on {args.windows} validation windows of {args.length} characters; unigram on all of validation: "
          f"{unigram_loss(corpus.train, corpus.validation):.4f}")
    print(f"weights: float32 {float_bytes / 1024:.1f} KiB, int8 {int8_bytes / 1024:.1f} KiB")
    if args.json:
        args.json.write_text(json.dumps({"losses": results, "float_bytes": float_bytes, "int8_bytes": int8_bytes,
                                         "windows": args.windows, "length": args.length}, indent=1))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m chargpt", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train on the standard library's sources")
    defaults, model_defaults = TrainSettings(), GPTConfig()
    for name in ("steps", "batch", "length", "seed", "warmup"):
        p.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    for name in ("minutes", "lr", "lr_min"):
        p.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
    for name in ("embedding", "hidden", "layers", "heads", "head_dim", "context"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(model_defaults, name))
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.set_defaults(run=command_train)

    p = commands.add_parser("generate", help="sample text from a checkpoint")
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_OUT / "chargpt.npz")
    p.add_argument("--prompt", default="def ")
    p.add_argument("--tokens", type=int, default=300)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--int8", action="store_true", help="quantize the Linear layers to int8 first")
    p.add_argument("--no-cache", action="store_true", help="recompute every position for each token")
    p.set_defaults(run=command_generate)

    p = commands.add_parser("evaluate", help="validation loss of float32, int8 and the unigram baseline")
    p.add_argument("--checkpoint", type=Path, default=DEFAULT_OUT / "chargpt.npz")
    p.add_argument("--windows", type=int, default=2048)
    p.add_argument("--length", type=int, default=64)
    p.add_argument("--json", type=Path, default=None)
    p.set_defaults(run=command_evaluate)

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (FileNotFoundError, ValueError) as error:  # bad input: say what was wrong, no traceback
        parser.exit(2, f"python -m chargpt {args.command}: {error}\n")


if __name__ == "__main__":
    main()
