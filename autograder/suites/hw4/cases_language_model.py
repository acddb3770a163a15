"""hw4 language_model: Dictionary, Corpus, batchify and get_batch (data/datasets/ptb_dataset.py),
LanguageModel with an RNN or an LSTM (apps/models.py), and the PTB loops epoch_general_ptb,
train_ptb and evaluate_ptb (apps/simple_ml.py). The Transformer language model is graded
in the transformer part.

Corpus reads train.txt and test.txt written into a temporary folder in the Penn Treebank's
layout (one sentence per line, words separated by spaces, a leading space, `<unk>` and `N`
tokens; never course data): one dictionary numbers the words of both, train first, with
`<eos>` after every line. Word ids are graded as int64, batchify's array and get_batch's
Tensors as values (float64), with their shapes; get_batch's Tensors must be on the device.

LanguageModel is built right after `np.random.seed` (Embedding, then the RNN or LSTM, then
the Linear decoder, as the docstring orders them), so its seeded parameters are graded with
its outputs: the logits, the carried hidden state and, after a SoftmaxLoss backward, every
parameter's gradient (through `report_fingerprints`, whatever the model names its layers). The
loops are graded on such a model over a small batchified corpus: the accuracy and the average
loss they return (each chunk's loss weighted by its number of target words), and the
parameters after training (clipped to a total gradient norm in one epoch).

Tolerances: ids and batches exact; models and loops rtol = atol = 1e-4 (a few float32 steps;
SGD's steps move the parameters by amounts graded to about 1e-5).
"""
import numpy as np

from dlsys_harness import case, report
from _data import temporary_folder
from _hw4 import device, f64, integers, report_fingerprints, scalar, tensor

EXACT = dict(rtol=0.0, atol=0.0, timeout=30)
MODEL = dict(rtol=1e-4, atol=1e-4, timeout=60)

TRAIN_LINES = [
    " the cat sat on the mat ",
    " a dog sat on N <unk> mats ",
    " the <unk> ran ",
    " dogs and cats and the dog ",
    " on the mat the cat slept ",
]
TEST_LINES = [
    " the bird sat on the dog ",
    " a cat ran to N birds ",
    " mats and <unk> ",
]


def _ptb_folder(folder):
    (folder / "train.txt").write_text("\n".join(TRAIN_LINES) + "\n")
    (folder / "test.txt").write_text("\n".join(TEST_LINES) + "\n")
    return str(folder)


def _ids(values):
    return np.asarray(list(values), dtype=np.int64)


@case(part="language_model", points=1, **EXACT)
def ptb_dictionary():
    import needle as ndl

    dictionary = ndl.data.Dictionary()
    words = "b a c a d b b e a".split()
    report("ids_returned", _ids(dictionary.add_word(w) for w in words))
    report("length", np.int64(len(dictionary)))
    report("word2idx", _ids(dictionary.word2idx[w] for w in "a b c d e".split()))
    report("idx2word_is_inverse", _ids(dictionary.word2idx[w] for w in dictionary.idx2word))


@case(part="language_model", points=2, **EXACT)
def ptb_corpus():
    import needle as ndl

    with temporary_folder() as folder:
        base = _ptb_folder(folder)
        corpus = ndl.data.Corpus(base)
        report("train_ids", _ids(corpus.train))
        report("test_ids", _ids(corpus.test))
        report("dictionary_length", np.int64(len(corpus.dictionary)))
        report("eos_id", np.int64(corpus.dictionary.word2idx["<eos>"]))
        short = ndl.data.Corpus(base, max_lines=2)
        report("max_lines_2_train_ids", _ids(short.train))
        report("max_lines_2_test_ids", _ids(short.test))
        report("max_lines_2_dictionary_length", np.int64(len(short.dictionary)))


@case(part="language_model", points=2, **EXACT)
def ptb_batchify_and_get_batch(device_name):
    import needle as ndl

    dev = device(device_name)
    ids = list(range(100, 127))  # 27 ids: 6 rows of 4 columns, the last 3 ids dropped
    batches = ndl.data.batchify(ids, 4, dev, "float32")
    report("batchify_4", f64(batches))
    report("batchify_5", f64(ndl.data.batchify(ids[:20], 5, dev, "float32")))
    for name, i, bptt in (("first", 0, 3), ("middle", 2, 3), ("last_short", 3, 3), ("bptt_1", 4, 1)):
        data, target = ndl.data.get_batch(batches, i, bptt, device=dev, dtype="float32")
        report(f"{name}_data", f64(data))
        report(f"{name}_target", f64(target))
        report(f"{name}_on_device", np.int64(data.device == dev and target.device == dev))


def _language_model(dev, seed, seq_model, vocabulary=11, embedding=6, hidden=5, layers=2):
    from models import LanguageModel

    np.random.seed(seed)
    return LanguageModel(embedding, vocabulary, hidden, num_layers=layers, seq_model=seq_model, device=dev)


def _model_outputs(dev, model, seed, prefix):
    """Logits of two chunks in a row (the second starts from the first's state), and the
    gradients of the SoftmaxLoss of the second chunk for the embedding and the decoder."""
    import needle.nn as nn

    x = tensor(integers(seed, 11, 4, 3), dev, requires_grad=False)
    logits, h = model(x)
    report(f"{prefix}_logits", f64(logits))
    states = h if isinstance(h, tuple) else (h,)
    for k, state in enumerate(states):
        report(f"{prefix}_state_{k}", f64(state))
    logits, h = model(tensor(integers(seed + 1, 11, 4, 3), dev, requires_grad=False), h)
    report(f"{prefix}_second_logits", f64(logits))
    loss = nn.SoftmaxLoss()(logits, tensor(integers(seed + 2, 11, 12), dev, requires_grad=False))
    report(f"{prefix}_loss", scalar(loss))
    loss.backward()
    report_fingerprints(f"{prefix}_gradients", (p.grad for p in model.parameters()))


@case(part="language_model", points=2, **MODEL)
def language_model_rnn(device_name):
    dev = device(device_name)
    _model_outputs(dev, _language_model(dev, 6001, "rnn"), 6002, "rnn")


@case(part="language_model", points=1, **MODEL)
def language_model_lstm(device_name):
    dev = device(device_name)
    _model_outputs(dev, _language_model(dev, 6011, "lstm"), 6012, "lstm")


def _ptb_setup(dev, seed):
    """A batchified corpus of 41 random ids in 3 columns (13 rows) and a seeded one-layer RNN model."""
    import needle as ndl

    data = ndl.data.batchify([int(v) for v in integers(seed, 11, 41)], 3, dev, "float32")
    return data, _language_model(dev, seed + 1, "rnn", layers=1)


@case(part="language_model", points=1.5, **MODEL)
def ptb_evaluate_and_train(device_name):
    from simple_ml import evaluate_ptb, train_ptb

    dev = device(device_name)
    data, model = _ptb_setup(dev, 6021)
    accuracy, loss = evaluate_ptb(model, data, seq_len=4, device=dev)  # chunks of 4, 4, 4
    report("evaluate_accuracy", scalar(accuracy))
    report("evaluate_loss", scalar(loss))
    accuracy, loss = train_ptb(model, data, seq_len=5, n_epochs=2, lr=0.5, device=dev)  # chunks of 5, 5, 2
    report("train_accuracy", scalar(accuracy))
    report("train_loss", scalar(loss))
    report_fingerprints("parameters_after_train", model.parameters())


@case(part="language_model", points=0.5, **MODEL)
def ptb_epoch_with_clipped_gradients(device_name):
    # clip: every gradient scaled by clip / (the norm of all gradients together) when that norm exceeds it
    import needle as ndl
    import needle.nn as nn
    from simple_ml import epoch_general_ptb

    dev = device(device_name)
    data, model = _ptb_setup(dev, 6031)
    opt = ndl.optim.SGD(model.parameters(), lr=0.3)
    accuracy, loss = epoch_general_ptb(data, model, seq_len=4, loss_fn=nn.SoftmaxLoss(), opt=opt, clip=0.5, device=dev)
    report("accuracy", scalar(accuracy))
    report("loss", scalar(loss))
    report_fingerprints("parameters_after", model.parameters())
