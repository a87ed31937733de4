#!/usr/bin/env python3
"""Golden token ids from llama.cpp (through llama-cpp-python) for the Tokenizer tests.

For each vocabulary (SmolLM2-135M-Instruct: byte-level BPE, pre-tokenizer
`smollm`; stories260K: SentencePiece with byte fallback; the Llama-2 SPM test
vocabulary) and each input in CASES (given as bytes, invalid UTF-8 included),
records what llama.cpp's `llama_tokenize` and `llama_detokenize` return:

  ids              add_special=False, parse_special=False  (hdrec tokenize TEXT)
  ids_special      add_special=False, parse_special=True   (hdrec tokenize --special)
  ids_add_special  add_special=True,  parse_special=False  (BOS/EOS as the model's flags say)
  decoded_hex      detokenize(ids, remove_special=False, unparse_special=False)
  decoded_special_hex  detokenize(ids_special, remove_special=False, unparse_special=True)

The other byte-level pre-tokenizers (`llama-bpe`, `default`, `gpt-2`) have no
model under ../shared, so the SmolLM2 vocabulary is also written as a vocab-only
GGUF with `tokenizer.ggml.pre` replaced (a temporary file) and run through
llama.cpp the same way; those files (`smollm2-pre-<name>.json`) keep `ids` and
`decoded_hex` only.

Inputs are stored as hex (`text_hex`) so that invalid UTF-8 survives JSON, plus
`text` when they are valid UTF-8. Sequences that llama.cpp itself cannot handle
(UTF-8 forms of values past U+10FFFF, which make it throw) are left out.

Usage (needs llama-cpp-python and the models under ../shared/models):
  .venv-tools/bin/python Tools/make_tokenizer_goldens.py [--shared ../shared]
Writes Tests/TokenizerTests/Fixtures/goldens/<name>.json.
"""
import argparse
import ctypes
import hashlib
import json
import os
import random
import sys

import tempfile

import gguf
import llama_cpp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "TokenizerTests", "Fixtures", "goldens")

MODELS = {
    "smollm2": "models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
    "stories260K": "models/stories260K/stories260K.gguf",
    "llama-spm": "models/llama-spm-vocab/ggml-vocab-llama-spm.gguf",
}

HAND_CASES = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\t\n", " \n \n", "\r\n", "a\r\nb", "  \n  \n",
    "Hello world", " Hello world", "Hello World", "  Hello", "   Hello", "    Hello\n    Hello",
    "Hello, world!", "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
    "The capital of France is",
    "don't", "I'm", "we've", "they'll", "she'd", "IT'S", "You'RE", "' era", " '", "x ' y", "'s",
    "rock 'n' roll", "it 's . , ? !", "a . b , c ! d ? e",
    "3", "33", "333", "3333", "33333", "3333333", "12345", "3.14159", "1,000,000", "-42", "v1.2.3", "2024-01-15",
    "!!!!!!", "...", "?!?", "(a)", "[x]", "{y}", "<z>", "$5 + 3 = 8", "a|b^c~d", "`code`", "#hashtag @user",
    "title: Fluke 87-V Digital Multimeter, brand: Fluke",
    "[SEQ]", "[ALIGN]", "[SEQ] item 12 [ALIGN] item 7", "Bought [SEQ][SEQ] then [ALIGN].",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>", "<s> </s> <unk>", "<s>hello</s>", " <s>", "text<|im_end|>more",
    "café naïve résumé", "e\u0301", "Ångström", "ſ µ ß ẞ", "İstanbul ıi",
    "нещо на Български", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום", "नमस्ते दुनिया", "สวัสดีชาวโลก",
    "កាន់តែពិសេសអាចខលចេញ", "你好，世界！", "日本語のテキスト", "한국어 텍스트",
    "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
    "👍🏽👨‍👩‍👧‍👦🇫🇷", "∑x² ≤ ∞ ± √2", "½ ¾ ² ³ Ⅻ ①", "１２３ ＡＢＣ", "٣٤٥ ३४५",
    "a\u00a0b", "a\u2003b", "a\u2028b", "a\u200bb", "\ufeffBOM", "a\u0085b", "tab\there", "\x1b[31mred\x1b[0m",
    "NUL\x00byte", "\x7f\x01\x02",
    "Pneumonoultramicroscopicsilicovolcanoconiosis", "supercalifragilisticexpialidocious" * 3,
    "https://example.com/path?q=1&r=two#frag", "user@example.org",
    "def f(x):\n    return x ** 2\n", "if (a && b) { c(); }", "  leading and trailing  ",
    "3M 8210 N95 Particulate Respirator, 20-Pack", "Hanna Instruments HI98129 pH/EC/TDS Tester (0.00-14.00 pH)",
    "Stainless Steel 304 Sheet, 0.036\" Thick, 12\" x 12\"", "Loctite 242™ Threadlocker® Blue",
]

# Invalid or unusual UTF-8, as bytes.
BYTE_CASES = [
    b"\xff\xfe abc", b"caf\xc3", b"\xc3\x28", b"\xe2\x82", b"\xe2\x82 x", b"\xed\xa0\x80", b"\xc0\x80",
    b"\x80\x80", b"\xf0\x9f\x98", b"\xf0\x9f\x98 end", b"abc\xbf", b"\xc3\xa9\xe9", b"\xf8\x88\x80\x80\x80",
    b"[SEQ]\xff[ALIGN]", b"\xe4\xbd\xa0\xe5",
]


def random_cases(seed, count):
    """Strings mixing scripts, digits, punctuation and whitespace, from a fixed seed."""
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789", " ", "  ", "\n", "\t", ".,;:!?'\"()[]{}<>-_/\\|@#$%^&*+=~`",
        "éèêëàâäôöûüçñßøåæœ", "абвгдежзийклмнопрстуфхцчшщыэюя", "的一是不了人我在有他这为之大来以个中上们",
        "あいうえおかきくけこアイウエオ", "😀😁😂🤣😃🚀✅❤️👍", "½²³①⅓", "’“”…–—•",
    ]
    out = []
    for _ in range(count):
        n = rng.randint(1, 24)
        s = "".join(rng.choice(rng.choice(pools)) for _ in range(n))
        out.append(s)
    return out


def random_byte_cases(seed, count):
    """Byte strings built from valid and broken UTF-8 fragments."""
    rng = random.Random(seed)
    parts = [b"a", b"Z", b" ", b"\n", b"9", b"'", b"\xc3\xa9", b"\xe4\xbd\xa0", b"\xf0\x9f\x98\x80",
             b"\xc3", b"\xe4\xbd", b"\xf0\x9f", b"\x80", b"\xbf", b"\xfe", b"\xff", b"\xc0\xaf", b"\xed\xb0\x80"]
    return [b"".join(rng.choice(parts) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def item_titles(shared, count):
    """The first product titles of the bundled Amazon 'Industrial and Scientific' data."""
    path = os.path.join(shared, "data", "amazon-scientific", "Scientific.item.json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        items = json.load(f)
    titles = []
    for key in sorted(items, key=lambda k: int(k))[:count]:
        item = items[key]
        titles.append(f"title: {item.get('title', '')}, brand: {item.get('brand', '')}")
    return titles


PRE_VARIANTS = ["llama-bpe", "default", "gpt-2"]


def vocab_only_copy(src, dst, pre):
    """Writes the metadata of GGUF `src` (no tensors) to `dst` with tokenizer.ggml.pre = `pre`."""
    reader = gguf.GGUFReader(src)
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    writer = gguf.GGUFWriter(dst, arch)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if key == "tokenizer.ggml.pre":
            writer.add_string(key, pre)
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = field.types[1]
            if sub == gguf.GGUFValueType.STRING:
                values = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
            else:
                values = [field.parts[i].tolist()[0] for i in field.data]
            writer.add_key_value(key, values, vtype, sub_type=sub)
        elif vtype == gguf.GGUFValueType.STRING:
            writer.add_string(key, bytes(field.parts[-1]).decode("utf-8"))
        else:
            writer.add_key_value(key, field.parts[-1].tolist()[0], vtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def load_vocab(path):
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(path.encode(), params)
    if not model:
        sys.exit(f"cannot load {path}")
    return model, llama_cpp.llama_model_get_vocab(model)


def write_doc(name, doc, cases):
    out = os.path.join(OUT_DIR, f"{name}.json")
    with open(out, "w", encoding="utf-8") as f:
        # One case per line: compact, and diffs stay readable.
        f.write(json.dumps(doc, ensure_ascii=True)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=True, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")
    print(f"{out}: {len(cases)} cases")


def tokenize(vocab, data, add_special, parse_special):
    n_max = len(data) * 2 + 16
    buf = (llama_cpp.llama_token * n_max)()
    n = llama_cpp.llama_tokenize(vocab, data, len(data), buf, n_max, add_special, parse_special)
    if n < 0:
        raise RuntimeError(f"token buffer too small for {data!r}")
    return [int(buf[i]) for i in range(n)]


def detokenize(vocab, ids, remove_special, unparse_special):
    arr = (llama_cpp.llama_token * max(len(ids), 1))(*ids)
    cap = 64 + 32 * len(ids)
    buf = ctypes.create_string_buffer(cap)
    n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, cap, remove_special, unparse_special)
    if n < 0:
        cap = -n + 1
        buf = ctypes.create_string_buffer(cap)
        n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, cap, remove_special, unparse_special)
    return buf.raw[:n]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = parser.parse_args()

    inputs = [s.encode("utf-8") for s in HAND_CASES] + BYTE_CASES
    inputs += [s.encode("utf-8") for s in random_cases(20260101, 60)]
    inputs += random_byte_cases(20260102, 30)
    inputs += [s.encode("utf-8") for s in item_titles(args.shared, 40)]

    os.makedirs(OUT_DIR, exist_ok=True)
    llama_cpp.llama_backend_init()
    for name, rel in MODELS.items():
        path = os.path.join(args.shared, rel)
        with open(path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        model, vocab = load_vocab(path)
        cases = []
        for data in inputs:
            ids = tokenize(vocab, data, False, False)
            ids_special = tokenize(vocab, data, False, True)
            case = {"text_hex": data.hex()}
            try:
                case["text"] = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            case.update({
                "ids": ids,
                "ids_special": ids_special,
                "ids_add_special": tokenize(vocab, data, True, False),
                "decoded_hex": detokenize(vocab, ids, False, False).hex(),
                "decoded_special_hex": detokenize(vocab, ids_special, False, True).hex(),
            })
            cases.append(case)
        llama_cpp.llama_model_free(model)
        doc = {
            "generator": "Tools/make_tokenizer_goldens.py",
            "llama_cpp_python": llama_cpp.__version__,
            "model": rel,
            "model_sha256": sha,
            "titles_source": "../shared/data/amazon-scientific/Scientific.item.json (Ni, Li and McAuley, EMNLP 2019)",
        }
        write_doc(name, doc, cases)

    # The SmolLM2 vocabulary under the other byte-level pre-tokenizers.
    with tempfile.TemporaryDirectory() as tmp:
        for pre in PRE_VARIANTS:
            path = os.path.join(tmp, f"smollm2-{pre}.gguf")
            vocab_only_copy(os.path.join(args.shared, MODELS["smollm2"]), path, pre)
            model, vocab = load_vocab(path)
            cases = []
            for data in inputs:
                ids = tokenize(vocab, data, False, False)
                cases.append({"text_hex": data.hex(), "ids": ids,
                              "decoded_hex": detokenize(vocab, ids, False, False).hex()})
            llama_cpp.llama_model_free(model)
            doc = {
                "generator": "Tools/make_tokenizer_goldens.py",
                "llama_cpp_python": llama_cpp.__version__,
                "model": MODELS["smollm2"] + f" metadata only, with tokenizer.ggml.pre = {pre}",
                "pre": pre,
            }
            write_doc(f"smollm2-pre-{pre}", doc, cases)


if __name__ == "__main__":
    main()
