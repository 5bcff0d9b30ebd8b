#!/usr/bin/env python3
"""Export a PyTorch recurrent model to a safetensors file that NativeRnn loads, and print the C# declaration.

The model is an nn.LSTM, nn.GRU or nn.RNN (any num_layers, bidirectional, bias), optionally with an
nn.Embedding before it and an nn.Linear head after it, inside any module. The file keeps PyTorch's
state_dict names, so it also loads back into PyTorch; the script prints the NativeRnn attribute
declaration of the same architecture and the LoadSafeTensors call (Prefix, NameMap) that reads it.

    python3 tools/export_pytorch.py model.pt model.safetensors --name CharModel
        model.pt: a state_dict (torch.save(model.state_dict(), ...)) or a whole pickled module
    python3 tools/export_pytorch.py --demo lstm demo.safetensors --reference demo.reference.safetensors
        a small seeded demo model (lstm, gru, rnn, lstm-nobias), with a reference input and PyTorch's output
    python3 tools/export_pytorch.py --verify lstm saved.safetensors --reference demo.reference.safetensors
        loads a file (e.g. written by NativeRnn's SaveSafeTensors) into the demo model, strictly, and checks
        that it reproduces the reference output

From Python:  from export_pytorch import export;  print(export(model, "model.safetensors", name="CharModel"))

Needs only torch; uses the safetensors package when it is installed, and the standard library otherwise.
"""

import argparse
import json
import re
import struct
import sys

import torch
from torch import nn

RECURRENT = {nn.LSTM: ("Lstm", 4), nn.GRU: ("Gru", 3), nn.RNN: ("SimpleRnn", 1)}
KIND_BY_GATES = {4: "Lstm", 3: "Gru", 1: "SimpleRnn"}
DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}


class ExportError(Exception):
    """The model has something NativeRnn cannot represent; the message says what."""


def _csharp_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Architecture:
    """What the C# declaration needs, and where each tensor is in the state_dict."""

    def __init__(self, kind, input_size, hidden, layers, bidirectional, bias, nonlinearity,
                 rnn_prefix, embedding=None, head=None, head_bias=True, dtype=torch.float32):
        self.kind, self.input_size, self.hidden, self.layers = kind, input_size, hidden, layers
        self.bidirectional, self.bias, self.nonlinearity = bidirectional, bias, nonlinearity
        self.rnn_prefix = rnn_prefix
        self.embedding = embedding      # (state_dict name, vocabulary, dimension) or None
        self.head = head                # (module path, outputs) or None
        self.head_bias = head_bias
        self.dtype = dtype

    def declaration(self, name):
        lines = []
        element = ", ElementType = typeof(double)" if self.dtype == torch.float64 else ""
        if self.embedding:
            lines.append(f"[RnnModel{('(' + element[2:] + ')') if element else ''}]")
            lines.append(f"[Embedding({self.embedding[1]}, {self.embedding[2]})]")
        else:
            lines.append(f"[RnnModel(InputSize = {self.input_size}{element})]")
        options = []
        if self.kind == "SimpleRnn" and self.nonlinearity == "relu":
            options.append("Activation = Activation.Relu")
        if self.bidirectional:
            options.append("Bidirectional = true")
        if not self.bias:
            options.append("Bias = false")
        suffix = "".join(", " + o for o in options)
        for _ in range(self.layers):
            lines.append(f"[{self.kind}({self.hidden}{suffix})]")
        if self.head:
            lines.append(f"[Dense({self.head[1]})]")
        lines.append(f"public partial class {name};")
        return "\n".join(lines)

    def name_map(self):
        """NativeRnn's name → the file's name, for the tensors a prefix does not name."""
        mapping = {}
        if self.embedding and self.embedding[0] != self.rnn_prefix + "embedding.weight":
            mapping["embedding.weight"] = self.embedding[0]
        if self.head:
            path = self.head[0]
            for tensor in ("weight", "bias"):
                if f"{path}.{tensor}" != self.rnn_prefix + f"head.{tensor}":
                    mapping[f"head.{tensor}"] = f"{path}.{tensor}"
        return mapping

    def load_call(self, name, path):
        settings = []
        if self.rnn_prefix:
            settings.append(f"    Prefix = {_csharp_string(self.rnn_prefix)},")
        mapping = self.name_map()
        if mapping:
            entries = ", ".join(f"[{_csharp_string(k)}] = {_csharp_string(v)}" for k, v in mapping.items())
            settings.append(f"    NameMap = {{ {entries} }},")
        call = f"var model = new {name}();\nmodel.LoadSafeTensors({_csharp_string(path)}"
        if not settings:
            return call + ");"
        return call + ", new SafeTensorsOptions\n{\n" + "\n".join(settings) + "\n});"


def _module_architecture(module, dtype):
    """Finds the recurrent module, the embedding and the head of a module and checks NativeRnn can declare them."""
    recurrent, embeddings, linears = [], [], []
    for path, child in module.named_modules():
        if type(child) in RECURRENT:
            recurrent.append((path, child))
        elif isinstance(child, nn.Embedding):
            embeddings.append((path, child))
        elif isinstance(child, nn.Linear):
            linears.append((path, child))
        elif any(True for _ in child.parameters(recurse=False)):
            raise ExportError(f"module '{path}' ({type(child).__name__}) has parameters that NativeRnn cannot represent")
    if len(recurrent) != 1:
        raise ExportError(f"expected one nn.LSTM, nn.GRU or nn.RNN, found {len(recurrent)}; stack layers with num_layers")
    if len(embeddings) > 1 or len(linears) > 1:
        raise ExportError("expected at most one nn.Embedding (before the recurrent layers) and one nn.Linear (after them)")
    path, rnn = recurrent[0]
    kind, _ = RECURRENT[type(rnn)]
    if getattr(rnn, "proj_size", 0):
        raise ExportError("LSTM projections (proj_size > 0) are not supported")
    notes = []
    if rnn.batch_first:
        notes.append("the PyTorch model is batch_first; NativeRnn's sequences are time-major ([steps, batch, features])")
    if rnn.dropout:
        notes.append(f"dropout {rnn.dropout} between layers applies in training only and is not exported")
    directions = 2 if rnn.bidirectional else 1
    embedding = None
    if embeddings:
        epath, emb = embeddings[0]
        if emb.max_norm is not None:
            raise ExportError("an embedding with max_norm renormalises rows in its forward pass, which NativeRnn does not")
        if emb.embedding_dim != rnn.input_size:
            raise ExportError(f"the embedding's dimension {emb.embedding_dim} is not the recurrent layer's input size {rnn.input_size}")
        embedding = ((epath + "." if epath else "") + "weight", emb.num_embeddings, emb.embedding_dim)
    head, head_bias = None, True
    if linears:
        lpath, linear = linears[0]
        if linear.in_features != rnn.hidden_size * directions:
            raise ExportError(f"the linear head reads {linear.in_features} features but the recurrent layers give {rnn.hidden_size * directions}")
        head, head_bias = (lpath, linear.out_features), linear.bias is not None
        if not head_bias:
            notes.append("the linear head has no bias; NativeRnn's dense head has one, exported as zeros")
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    architecture = Architecture(kind, rnn.input_size, rnn.hidden_size, rnn.num_layers, rnn.bidirectional, rnn.bias,
                                nonlinearity, path + "." if path else "", embedding, head, head_bias, dtype)
    return architecture, module.state_dict(), notes


def _state_dict_architecture(state, dtype, nonlinearity):
    """Infers the architecture from a state_dict's names and shapes alone."""
    pattern = re.compile(r"^(.*)weight_ih_l(\d+)(_reverse)?$")
    found = [(m.group(1), int(m.group(2)), bool(m.group(3))) for m in map(pattern.match, state) if m]
    prefixes = {p for p, _, _ in found}
    if len(prefixes) != 1:
        raise ExportError(f"expected the tensors of one recurrent module (weight_ih_l0, …), found prefixes {sorted(prefixes)}")
    prefix = prefixes.pop()
    layers = max(k for _, k, _ in found) + 1
    bidirectional = any(r for _, _, r in found)
    recurrent = state[prefix + "weight_hh_l0"]
    hidden = recurrent.shape[1]
    gates = recurrent.shape[0] // hidden
    if gates not in KIND_BY_GATES or recurrent.shape[0] != gates * hidden:
        raise ExportError(f"weight_hh_l0 has shape {list(recurrent.shape)}, which is no LSTM, GRU or RNN")
    kind = KIND_BY_GATES[gates]
    input_size = state[prefix + "weight_ih_l0"].shape[1]
    bias = (prefix + "bias_ih_l0") in state
    notes = []
    if kind == "SimpleRnn" and nonlinearity is None:
        notes.append("a state_dict does not say an RNN's nonlinearity; tanh was assumed (pass --nonlinearity relu)")
    others = {k: v for k, v in state.items() if not k.startswith(prefix) or not re.match(r"^(weight|bias)_(ih|hh)_l\d+(_reverse)?$", k[len(prefix):])}
    embedding = head = None
    head_bias = True
    for name, tensor in others.items():
        if name.endswith(".weight") and tensor.dim() == 2 and tensor.shape[1] == input_size and embedding is None and head is None and (name[:-7] + ".bias") not in state:
            embedding = (name, tensor.shape[0], tensor.shape[1])
        elif name.endswith(".weight") and tensor.dim() == 2 and tensor.shape[1] == hidden * (2 if bidirectional else 1):
            head = (name[:-7], tensor.shape[0])
            head_bias = (name[:-7] + ".bias") in state
    used = {embedding[0]} if embedding else set()
    if head:
        used |= {head[0] + ".weight", head[0] + ".bias"}
    unknown = [k for k in others if k not in used]
    if unknown:
        raise ExportError(f"tensors {unknown} are neither the embedding, the recurrent layers nor the head")
    architecture = Architecture(kind, input_size, hidden, layers, bidirectional, bias, nonlinearity or "tanh",
                                prefix, embedding, head, head_bias, dtype)
    return architecture, state, notes


def _tensor_bytes(tensor, code):
    tensor = tensor.detach().cpu().contiguous()
    try:
        return tensor.numpy().astype(code, copy=False).tobytes()
    except (ImportError, RuntimeError):
        # Without numpy: the values through struct, in the format's byte order.
        return struct.pack("<%d%s" % (tensor.numel(), code[-2]), *tensor.flatten().tolist())


def write_safetensors(tensors, path, metadata=None):
    """Writes {name: tensor} as safetensors: with the safetensors package when installed, else by hand (8-byte length, JSON header, data)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
        save_file(tensors, path, metadata=metadata)
        return
    except ImportError:
        pass
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, tensor in tensors.items():
        dtype, code = DTYPES[tensor.dtype]
        blob = _tensor_bytes(tensor, code)
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as stream:
        stream.write(struct.pack("<Q", len(text)))
        stream.write(text)
        for blob in blobs:
            stream.write(blob)


def read_safetensors(path):
    """Reads a safetensors file into {name: tensor} (standard library and torch only)."""
    with open(path, "rb") as stream:
        raw = stream.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    header.pop("__metadata__", None)
    codes = {"F32": (torch.float32, "f", 4), "F64": (torch.float64, "d", 8), "I64": (torch.int64, "q", 8)}
    tensors = {}
    for name, entry in header.items():
        dtype, code, size = codes[entry["dtype"]]
        begin, end = entry["data_offsets"]
        values = struct.unpack("<%d%s" % ((end - begin) // size, code), raw[8 + length + begin:8 + length + end])
        tensors[name] = torch.tensor(values, dtype=dtype).reshape(entry["shape"])
    return tensors


def export(model, path, name="ExportedModel", dtype=torch.float32, nonlinearity=None, out=sys.stdout):
    """Writes the model's weights to `path` and returns (and prints) the NativeRnn declaration and load call.

    `model` is an nn.Module holding one nn.LSTM / nn.GRU / nn.RNN (with an optional nn.Embedding and nn.Linear),
    or a state_dict; `dtype` is torch.float32 or torch.float64.
    """
    if isinstance(model, nn.Module):
        architecture, state, notes = _module_architecture(model, dtype)
    else:
        architecture, state, notes = _state_dict_architecture(model, dtype, nonlinearity)
    tensors = {k: v.to(dtype) for k, v in state.items()}
    if architecture.head and not architecture.head_bias:
        tensors[architecture.head[0] + ".bias"] = torch.zeros(architecture.head[1], dtype=dtype)
    declaration = architecture.declaration(name)
    write_safetensors(tensors, path, metadata={"format": "pt", "nativernn.declaration": declaration})
    text = ("// NativeRnn declaration of the exported model:\n" + declaration + "\n\n// Loading the file:\n"
            + architecture.load_call(name, path.replace("\\", "/").split("/")[-1]) + "\n")
    for note in notes:
        text += f"// Note: {note}.\n"
    if out is not None:
        out.write(text)
    return text


class DemoModel(nn.Module):
    """A small model of the shape the README shows: embedding → recurrent layers → linear head."""

    def __init__(self, kind, vocabulary=13, dimension=6, hidden=9):
        super().__init__()
        self.encoder = nn.Embedding(vocabulary, dimension)
        if kind == "lstm":
            self.rnn = nn.LSTM(dimension, hidden, num_layers=2)
        elif kind == "lstm-nobias":
            self.rnn = nn.LSTM(dimension, hidden, bias=False)
        elif kind == "gru":
            self.rnn = nn.GRU(dimension, hidden, bidirectional=True)
        elif kind == "rnn":
            self.rnn = nn.RNN(dimension, hidden, num_layers=2, nonlinearity="relu")
        else:
            raise ExportError(f"no demo '{kind}'; choose lstm, lstm-nobias, gru or rnn")
        self.decoder = nn.Linear(hidden * (2 if self.rnn.bidirectional else 1), vocabulary)

    def forward(self, tokens):
        output, _ = self.rnn(self.encoder(tokens))
        return self.decoder(output)


def _demo(kind, seed, dtype):
    torch.manual_seed(seed)
    model = DemoModel(kind).to(dtype)
    generator = torch.Generator().manual_seed(seed + 1)
    tokens = torch.randint(0, 13, (7, 2), generator=generator)
    with torch.no_grad():
        output = model(tokens)
    return model, tokens, output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a .pt state_dict or pickled module; with --demo or --verify, the demo's kind")
    parser.add_argument("output", help="the safetensors file to write (with --verify: the file to check)")
    parser.add_argument("--name", default="ExportedModel", help="the C# class name in the declaration")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--nonlinearity", choices=["tanh", "relu"], help="an nn.RNN's nonlinearity (a state_dict does not record it)")
    parser.add_argument("--demo", action="store_true", help="export a small seeded demo model of the kind given")
    parser.add_argument("--verify", action="store_true", help="load the file into the demo model and compare with --reference")
    parser.add_argument("--reference", help="with --demo: also write the reference input and output here; with --verify: compare with it")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    try:
        if args.verify:
            model = DemoModel(args.model).to(dtype)
            model.load_state_dict({k: v.to(dtype) for k, v in read_safetensors(args.output).items()}, strict=True)
            reference = read_safetensors(args.reference)
            with torch.no_grad():
                output = model(reference["input"])
            error = (output.double() - reference["output"].double()).abs().max().item()
            print(f"largest difference from the reference: {error:.3e}")
            return 0 if error <= (1e-6 if dtype == torch.float32 else 1e-12) else 1
        if args.demo:
            model, tokens, output = _demo(args.model, args.seed, dtype)
            export(model, args.output, args.name, dtype)
            if args.reference:
                write_safetensors({"input": tokens, "output": output}, args.reference, metadata={"seed": str(args.seed)})
            return 0
        loaded = torch.load(args.model, map_location="cpu")
        export(loaded, args.output, args.name, dtype, args.nonlinearity)
        return 0
    except ExportError as error:
        print(f"export_pytorch: {error}.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
