#!/usr/bin/env python3
"""Regenerates the seed corpora in Fuzz/Corpus/ from the repository's own fixtures
(Tests/Fixtures, Tests/*/Fixtures, artifacts/default). Small files only: GGUF and
safetensors seeds keep the real files' metadata and tensor names with tiny tensors.
Run from the repository root: python3 Fuzz/make_corpus.py"""
import json, os, struct

C = 'Fuzz/Corpus'

def put(target, name, data):
    os.makedirs(f'{C}/{target}', exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(f'{C}/{target}/{name}', 'wb').write(data)

# ---------------------------------------------------------------- GGUF
def rd_gguf(path):
    b = open(path, 'rb').read()
    o = 0
    def u(fmt):
        nonlocal o
        v = struct.unpack_from('<' + fmt, b, o); o += struct.calcsize(fmt); return v[0]
    def s():
        nonlocal o
        n = u('Q'); v = b[o:o+n]; o += n; return v
    sizes = {0:'B',1:'b',2:'H',3:'h',4:'I',5:'i',6:'f',7:'B',10:'Q',11:'q',12:'d'}
    def val(t):
        if t in sizes: return u(sizes[t])
        if t == 8: return s()
        et = u('I'); n = u('Q'); return (et, [val(et) for _ in range(n)])
    assert b[:4] == b'GGUF'; o = 4
    ver = u('I'); nt = u('Q'); nkv = u('Q')
    kvs = []
    for _ in range(nkv):
        k = s(); t = u('I'); kvs.append((k, t, val(t)))
    ts = []
    for _ in range(nt):
        name = s(); nd = u('I'); ne = [u('Q') for _ in range(nd)]; ty = u('I'); off = u('Q')
        ts.append((name, ne, ty, off))
    align = 32
    data0 = (o + align - 1) // align * align
    return ver, kvs, ts, b, data0

def wr_gguf(ver, kvs, tensors, align=32):
    """tensors: (name, ne, type, bytes)"""
    out = bytearray(b'GGUF' + struct.pack('<IQQ', ver, len(tensors), len(kvs)))
    sizes = {0:'B',1:'b',2:'H',3:'h',4:'I',5:'i',6:'f',7:'B',10:'Q',11:'q',12:'d'}
    def s(x):
        if isinstance(x, str): x = x.encode()
        out.extend(struct.pack("<Q", len(x)) + x)
    def val(t, v):
        if t in sizes: out.extend(struct.pack('<' + sizes[t], v))
        elif t == 8: s(v)
        else:
            et, items = v; out.extend(struct.pack('<IQ', et, len(items)))
            for it in items: val(et, it)
    for k, t, v in kvs:
        s(k); out.extend(struct.pack('<I', t)); val(t, v)
    off = 0; offs = []
    for name, ne, ty, data in tensors:
        offs.append(off); off += (len(data) + align - 1) // align * align
    for (name, ne, ty, data), o in zip(tensors, offs):
        s(name); out.extend(struct.pack('<I', len(ne))); out.extend(b''.join(struct.pack('<Q', d) for d in ne))
        out.extend(struct.pack('<IQ', ty, o))
    while len(out) % align: out.append(0)
    for name, ne, ty, data in tensors:
        out.extend(data)
        while len(out) % align: out.append(0)
    return bytes(out)

def trim(kvs, n):
    out = []
    for k, t, v in kvs:
        if t == 9: v = (v[0], v[1][:n])
        out.append((k, t, v))
    return out

for src, tag in [('Tests/Fixtures/stories260K/stories260K.gguf', 'stories260K'),
                 ('Tests/LlamaTests/Fixtures/stories260K-lora.gguf', 'stories260K-lora')]:
    ver, kvs, ts, b, data0 = rd_gguf(src)
    put('gguf', f'{tag}-header-only', wr_gguf(ver, trim(kvs, 6), []))
    # A few real tensors, kept only when small, else shrunk to their first row (ne[0] values).
    def bpr(ty, n):  # bytes per row for the types these files use
        return {0: 4*n, 1: 2*n, 2: n//32*18, 3: n//32*20, 8: n//32*34}.get(ty)
    small = []
    for name, ne, ty, off in ts:
        rb = bpr(ty, ne[0])
        if rb is None: continue
        small.append((name, [ne[0]], ty, b[data0+off:data0+off+rb]))
        if len(small) == 3: break
    put('gguf', f'{tag}-3-tensors', wr_gguf(ver, trim(kvs, 4), small))
# Every metadata value type, a nested array, v2, a custom alignment, quantized rows.
allkv = [(b'general.architecture', 8, b'llama'), (b'general.alignment', 4, 64), (b'u8', 0, 7), (b'i8', 1, -7),
         (b'u16', 2, 700), (b'i16', 3, -700), (b'i32', 5, -70000), (b'f32', 6, 0.5), (b'b', 7, 1), (b'u64', 10, 1 << 40),
         (b'i64', 11, -(1 << 40)), (b'f64', 12, 2.5), (b'arr', 9, (9, [(4, [1, 2]), (4, [3])])), (b'strs', 9, (8, [b'a', b'']))]
q8 = struct.pack('<e', 0.5) + bytes(range(32))
q4 = struct.pack('<e', 0.25) + bytes(range(16))
put('gguf', 'all-value-types', wr_gguf(3, allkv, [('w.q8_0', [32, 2], 8, q8 * 2), ('w.q4_0', [32], 2, q4),
                                                  ('w.f16', [3], 1, struct.pack('<3e', 1, -2, 0.5)), ('empty', [0, 4], 0, b'')], align=64))
put('gguf', 'v2-scalar', wr_gguf(2, [(b'k', 4, 1)], [('s', [], 0, struct.pack('<f', 1.0))]))
put('gguf', 'minimal', wr_gguf(3, [], []))

# ---------------------------------------------------------------- safetensors
def wr_st(tensors, meta=None):
    hdr = {}
    if meta is not None: hdr['__metadata__'] = meta
    off = 0; blob = b''
    for name, dt, shape, data in tensors:
        hdr[name] = {'dtype': dt, 'shape': shape, 'data_offsets': [off, off + len(data)]}
        off += len(data); blob += data
    h = json.dumps(hdr, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    return struct.pack('<Q', len(h)) + h + blob

for src in ['Tests/ModelFilesTests/Fixtures/python-written.safetensors', 'Tests/ModelFilesTests/Fixtures/swift-written.safetensors',
            'Tests/HDRecInferenceTests/Fixtures/heads-tiny.safetensors']:
    put('safetensors', os.path.basename(src), open(src, 'rb').read())
def shrink(src, name, keep):
    b = open(src, 'rb').read(); n = struct.unpack_from('<Q', b)[0]; hdr = json.loads(b[8:8+n])
    meta = hdr.pop('__metadata__', None); out = []
    for k, v in list(hdr.items())[:keep]:
        bits = {'F32': 32, 'F16': 16, 'BF16': 16}.get(v['dtype'], 32)
        shape = [min(d, 2) for d in v['shape']]
        cnt = 1
        for d in shape: cnt *= d
        out.append((k, v['dtype'], shape, bytes(range(cnt * bits // 8))))
    put('safetensors', name, wr_st(out, meta))
shrink('Tests/LlamaTests/Fixtures/stories260K-lora-peft/adapter_model.safetensors', 'peft-adapter-shrunk', 4)
shrink('artifacts/default/adapters/text/adapter_model.safetensors', 'bundle-adapter-shrunk', 4)
shrink('artifacts/default/heads.safetensors', 'bundle-heads-shrunk', 6)
shrink('artifacts/default/sasrec_model.safetensors', 'bundle-sasrec-shrunk', 6)
put('safetensors', 'every-dtype', wr_st([(dt, dt, [2], bytes(2 * bits // 8)) for dt, bits in
    [('BOOL', 8), ('U8', 8), ('I8', 8), ('I16', 16), ('U16', 16), ('F16', 16), ('BF16', 16), ('I32', 32), ('U32', 32),
     ('F32', 32), ('F64', 64), ('I64', 64), ('U64', 64), ('F8_E4M3', 8), ('C64', 64)]] + [('f4', 'F4', [2], b'\x12')], {'format': 'pt'}))
put('safetensors', 'empty-and-scalar', wr_st([('e', 'F32', [0, 3], b''), ('s', 'F32', [], struct.pack('<f', 3.0))]))
put('safetensors', 'header-only', wr_st([], {'a': 'b'}))

# ---------------------------------------------------------------- PEFT adapter_config.json
for src, name in [('artifacts/default/adapters/text/adapter_config.json', 'bundle-text'),
                  ('Tests/LlamaTests/Fixtures/stories260K-lora-peft/adapter_config.json', 'stories260K')]:
    put('peft', name, open(src).read())
base = json.load(open('artifacts/default/adapters/text/adapter_config.json'))
put('peft', 'regex-rslora-patterns', json.dumps(dict(base, target_modules=r'.*\.(q|v)_proj$', use_rslora=True,
    rank_pattern={'q_proj': 4}, alpha_pattern={'model.layers.0.self_attn.q_proj': 1.5e1}, lora_alpha=16, r=16,
    exclude_modules=['lm_head'], layers_to_transform=2, lora_bias=False, modules_to_save=['score'], revision=None,
    megatron_config={'x': [1, 2.0, 'y', None, True]}), indent=1))
put('peft', 'minimal', '{"peft_type":"LORA","r":1,"lora_alpha":1}')
put('peft', 'escapes', '{"peft_type":"LORA","r":4,"lora_alpha":0.5,"task_type":"\\u00e9\\ud83d\\ude00\\n","bias":"all",'
                      '"exclude_modules":".*gate.*","lora_dropout":1e-1,"target_modules":[]}')

# ---------------------------------------------------------------- manifest.json
m = json.load(open('artifacts/default/manifest.json'))
put('manifest', 'default-bundle', open('artifacts/default/manifest.json').read())
small = dict(m); small['files'] = dict(list(m['files'].items())[:2]); small['hyperparameters'] = {'lr': 0.001, 'epochs': 3,
    'targets': ['q_proj'], 'nested': {'a': None, 'b': True}}
put('manifest', 'small', json.dumps(small, separators=(',', ':')))
v1 = dict(small, format_version=1); v1['dimensions'] = {k: v for k, v in m['dimensions'].items() if k not in ('ipl_form', 'id_anchor')}
put('manifest', 'v1', json.dumps(v1))
put('manifest', 'future-version', json.dumps(dict(small, format_version=99)))
put('manifest', 'bundled-base', json.dumps(dict(small, base=dict(m['base'], bundled_path='base.gguf'))))

# ---------------------------------------------------------------- catalog.jsonl
lines = open('artifacts/default/catalog.jsonl').read().splitlines()
put('catalog', 'default-first-8', '\n'.join(lines[:8]) + '\n')
put('catalog', 'default-one', lines[100] + '\n')
put('catalog', 'full-fields', '\n'.join(json.dumps(x, ensure_ascii=e) for x, e in [
    ({'id': 'B0001', 'title': 'Caf\u00e9 \u201cquoted\u201d', 'brand': 'Br', 'categories': 'Tools, Hand Tools', 'description': 'line\nbreak \\ slash /'}, False),
    ({'id': '\u00e9', 'title': 't', 'brand': None}, True), ({'id': 'e\u0301x', 'title': ''}, False)]) + '\n\n')
put('catalog', 'no-final-newline', '{"id":"1","title":"a"}\n   \n{"title":"b","id":"2"}')
put('catalog', 'duplicate-id', '{"id":"1","title":"a"}\n{"id":"1","title":"b"}\n')

# ---------------------------------------------------------------- POST /recommend bodies
for name, body in {
    'minimal': '{"history":["0"]}',
    'all-fields': '{"history":["0","1","2"],"k":3,"alpha":0.25,"fusion":"text-dominant","exclude_history":true,"exclude":["3"],"explain":false}',
    'fusions': '{"history":["10"],"fusion":"confidence","k":10}',
    'unknown-ids': '{"history":["0","nope","\\u00e9"],"exclude":["x"]}',
    'wrong-types': '{"history":"0","k":1.5,"alpha":"1","explain":1}',
    'unknown-field': '{"history":["1"],"kk":2}',
    'unicode-escapes': '{"history":["\\ud83d\\ude00","e\\u0301x","a b"],"k":2}',
    'numbers': '[0,-0,1e308,-1.5E-3,123456789012345678,0.1e+2,{"a":[[],{}]},null,true,false,"\\/\\b\\f\\n\\r\\t"]',
    'empty-history': '{"history":[]}',
    'alpha-out-of-range': '{"history":["0"],"alpha":1.0000001,"k":0}',
}.items():
    put('json', name, body)
