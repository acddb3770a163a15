"""The corpus: the Python standard library's own source files, read at run time.

Every machine with Python has them, offline, and nothing is committed. The files are the
`*.py` directly in the stdlib folder (not its packages or tests), sorted by name, so a run on
the same Python version reads the same text. Every `VALIDATION_EVERY`-th file goes to
validation, the rest to training: whole files, so validation text is never seen in training.

Characters map to a fixed vocabulary (printable ASCII, newline and one "unknown" id for
everything else), so a checkpoint's vocabulary does not depend on the corpus it was trained on.
"""
import string
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VALIDATION_EVERY = 10
UNKNOWN = "\x00"  # stands for every character outside the vocabulary (tabs, non-ASCII)
VOCAB = UNKNOWN + "\n" + "".join(c for c in string.printable if c.isprintable())
VOCAB_SIZE = len(VOCAB)
_IDS = np.zeros(0x110000, dtype=np.uint8)  # code point -> id; 0 (UNKNOWN) by default
for _i, _c in enumerate(VOCAB):
    _IDS[ord(_c)] = _i


def encode(text: str) -> np.ndarray:
    """Character ids (uint8) of `text`; characters outside the vocabulary become UNKNOWN."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return _IDS[points]


def decode(ids) -> str:
    return "".join(VOCAB[int(i)] for i in ids)


def stdlib_files(stdlib: Path | None = None) -> list[Path]:
    """The corpus files, sorted by name."""
    stdlib = Path(stdlib or sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no *.py files in the standard library folder {stdlib}")
    return files


@dataclass
class Corpus:
    train: np.ndarray  # uint8 ids
    validation: np.ndarray
    files: int

    def describe(self) -> str:
        return (f"{self.files} stdlib files: {len(self.train):,} training characters, "
                f"{len(self.validation):,} validation characters")


def load_corpus(max_chars: int | None = None, stdlib: Path | None = None) -> Corpus:
    """Read and split the corpus; `max_chars` caps each split (the first characters of it)."""
    files = stdlib_files(stdlib)
    train, validation = [], []
    for index, path in enumerate(files):
        text = path.read_text(encoding="utf-8", errors="replace").replace("\t", "    ")
        (validation if index % VALIDATION_EVERY == VALIDATION_EVERY - 1 else train).append(text)
    train_ids, validation_ids = encode("\n".join(train)), encode("\n".join(validation))
    if max_chars is not None:
        train_ids, validation_ids = train_ids[:max_chars], validation_ids[:max_chars]
    return Corpus(train_ids, validation_ids, len(files))


def unigram_loss(train: np.ndarray, validation: np.ndarray) -> float:
    """Cross-entropy (nats per character) on `validation` of the character frequencies of
    `train` (add-one smoothed): the baseline a model that ignores context reaches."""
    counts = np.bincount(train, minlength=VOCAB_SIZE).astype(np.float64) + 1.0
    log_probs = np.log(counts / counts.sum())
    return float(-log_probs[validation].mean())


def random_windows(ids: np.ndarray, batch: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """`batch` windows of `length + 1` consecutive ids at random offsets: (batch, length + 1)."""
    starts = rng.integers(0, len(ids) - length - 1, size=batch)
    return np.stack([ids[s:s + length + 1] for s in starts]).astype(np.int64)
