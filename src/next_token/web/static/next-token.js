// next-token.js: the next-token-prediction engine in a browser tab, with no server.
//
//   import { load } from "./next-token.js";
//   const lm = await load("model.ntp");            // a URL, an ArrayBuffer or a Uint8Array
//   lm.predict("The sun", { k: 5 });              // [{token, probability, text}], best first
//   lm.completions("The sun", { k: 3 });          // [{text, probability, tokens, score}]
//   lm.generate("The sun", { maxTokens: 30, temperature: 0.8, seed: 1 });
//
// It reads the model file `ntp export web` writes (the package's own file format, with the n-gram
// tables in the packed layout of ngram/packed.py) with typed arrays over the downloaded bytes, and
// answers as the Python package does: the same exact top-k (same levels, same float arithmetic,
// ties by smaller id), the same context policy (the last sentence, trimmed to the context window),
// the same word tokenizer and sentence splitter (Python's Unicode regexes written with the /u
// flag), the same learned spacing and incremental speller, the same beam search for completions
// and the same sampling, with numpy's random generator (PCG64, seeded by SeedSequence), so a seed
// gives the same text as `LanguageModel.generate`.
//
// Sections follow the Python modules they mirror: model_file.py, text/vocab.py, ngram/packed.py
// and ngram/model.py, text/corpus.py and text/tokenizer.py, text/spacing_rules.py and
// text/spacing.py, decode.py, language_model.py. No dependencies, no build step.

export const UNK = 0, BOS = 1, EOS = 2;
export const END_OF_SENTENCE = "</s>";
const SPECIAL_TOKENS = new Set(["<unk>", "<s>", "</s>"]);

// ---- Python's character classes -------------------------------------------------------------
// str.isspace / re's \s, \w, \d and str.isdigit, written out so the browser's \s (which differs
// at U+001C-U+001F, U+0085 and U+FEFF) is never used.
const WS = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const W = "[\\p{L}\\p{N}_]";
const D = "\\p{Nd}";
const DIGIT = "[\\p{Nd}\\u{b2}-\\u{b3}\\u{b9}\\u{1369}-\\u{1371}\\u{19da}\\u{2070}\\u{2074}-\\u{2079}\\u{2080}-\\u{2089}" +
  "\\u{2460}-\\u{2468}\\u{2474}-\\u{247c}\\u{2488}-\\u{2490}\\u{24ea}\\u{24f5}-\\u{24fd}\\u{24ff}\\u{2776}-\\u{277e}" +
  "\\u{2780}-\\u{2788}\\u{278a}-\\u{2792}\\u{10a40}-\\u{10a43}\\u{10e60}-\\u{10e68}\\u{11052}-\\u{1105a}\\u{1f100}-\\u{1f10a}]";
const IS_SPACE = new RegExp(`^[${WS}]$`, "u");
const SPACE_RUN = new RegExp(`[${WS}]+`, "u");
const ANY_SPACE_G = new RegExp(`[${WS}]`, "gu");
const isSpace = (ch) => ch !== "" && IS_SPACE.test(ch);
const lastChar = (s) => {  // the last code point, as Python's s[-1]
  if (!s) return "";
  const c = s.charCodeAt(s.length - 1);
  return c >= 0xdc00 && c <= 0xdfff && s.length > 1 ? s.slice(-2) : s.slice(-1);
};
const firstChar = (s) => (s ? String.fromCodePoint(s.codePointAt(0)) : "");
const endsInSpace = (s) => isSpace(lastChar(s));
const pyStrip = (s) => s.replace(new RegExp(`^[${WS}]+|[${WS}]+$`, "gu"), "");
const pySplit = (s) => s.split(SPACE_RUN).filter((t) => t !== "");
const ALNUM = /^[\p{L}\p{N}]$/u;
const ALPHA_ALL = /^\p{L}+$/u;
const DIGIT_ALL = new RegExp(`^${DIGIT}+$`, "u");
const HAS_LOWER = /\p{Lowercase}/u, HAS_UPPER = /\p{Uppercase}/u, HAS_TITLE = /\p{Lt}/u;
const isLower = (s) => HAS_LOWER.test(s) && !HAS_UPPER.test(s) && !HAS_TITLE.test(s);
const isUpper = (s) => HAS_UPPER.test(s) && !HAS_LOWER.test(s) && !HAS_TITLE.test(s);
const isUpperChar = (c) => HAS_UPPER.test(c);
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
// str.casefold: toLowerCase, then the full case foldings of the characters it leaves alone
// ("ß" -> "ss", final "ς" -> "σ", Cherokee to upper case...), every one Python 3.11 knows.
const FOLDS = new Map(PY_FOLDS().split("\n").filter(Boolean).map((pair) => pair.split("\t")));
const casefold = (s) => Array.from(s.toLowerCase(), (c) => FOLDS.get(c) ?? c).join("");

// ---- model_file.py: a JSON header, then aligned little-endian arrays -------------------------

const ARRAY_TYPES = { u1: Uint8Array, b1: Uint8Array, i1: Int8Array, u2: Uint16Array, i2: Int16Array,
  u4: Uint32Array, i4: Int32Array, f4: Float32Array, f8: Float64Array, u8: BigUint64Array, i8: BigInt64Array };

/** {kind, meta, arrays}: typed-array views of the file's bytes (nothing copied). */
export function readModelFile(buffer) {
  let bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (bytes.byteOffset % 8) bytes = bytes.slice();  // typed views need aligned offsets
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== "NTPMODEL") throw new Error("not a next-token-prediction model file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > 3) throw new Error(`model file format ${version} is newer than this engine reads (3)`);
  const headerLength = Number(view.getBigUint64(16, true));
  const doc = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + headerLength)));
  const arrays = {};
  for (const [name, t] of Object.entries(doc.arrays)) {
    const Type = ARRAY_TYPES[t.dtype.slice(1)];
    if (!Type || t.dtype[0] === ">") throw new Error(`array ${name} has an unsupported type ${t.dtype}`);
    if (t.offset + t.nbytes > bytes.byteLength) throw new Error("the model file is truncated");
    arrays[name] = new Type(bytes.buffer, bytes.byteOffset + t.offset, t.nbytes / Type.BYTES_PER_ELEMENT);
  }
  return { kind: doc.kind, meta: doc.meta, arrays };
}

/** An int64/uint64 array as plain numbers (exact below 2^53). */
function numbers(a) {
  if (!(a instanceof BigInt64Array || a instanceof BigUint64Array)) return a;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]);
  return out;
}

function bisectLeft(a, x, lo = 0, hi = a.length) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- text/vocab.py ---------------------------------------------------------------------------

class Vocabulary {
  constructor(arrays) {
    const blob = arrays["vocab.blob"], ends = numbers(arrays["vocab.ends"]);
    const decoder = new TextDecoder();
    this.tokens = new Array(ends.length);
    this.index = new Map();
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      this.tokens[i] = decoder.decode(blob.subarray(start, ends[i]));
      this.index.set(this.tokens[i], i);
      start = ends[i];
    }
    this._words = null;
    this._folded = null;
  }
  get length() { return this.tokens.length; }
  id(token) { return this.index.get(token) ?? UNK; }
  /** A flag per id: the token holds a letter or a digit (what beam search counts as a word). */
  wordMask() {
    if (!this._words) {
      this._words = new Uint8Array(this.tokens.length);
      this.tokens.forEach((t, i) => { this._words[i] = i > EOS && HAS_WORD_CHAR.test(t) ? 1 : 0; });
    }
    return this._words;
  }
  /** The ids of the bracket tokens the vocabulary has: a Map id -> +1 ("(", "[") or -1 (")", "]"). */
  bracketSigns() {
    const signs = new Map();
    for (const t of "([)]") {
      const i = this.id(t);
      if (i > EOS) signs.set(i, "([".includes(t) ? 1 : -1);
    }
    return signs;
  }
  /** The ids (ascending) of the tokens that start with `prefix`; case-folded with ignoreCase. */
  withPrefix(prefix, ignoreCase = false) {
    const out = [];
    if (ignoreCase) {
      if (!this._folded) this._folded = this.tokens.map(casefold);
      const p = casefold(prefix);
      for (let i = EOS + 1; i < this.tokens.length; i++) if (this._folded[i].startsWith(p)) out.push(i);
    } else {
      for (let i = EOS + 1; i < this.tokens.length; i++) if (this.tokens[i].startsWith(prefix)) out.push(i);
    }
    return out;
  }
}

// ---- ngram/packed.py: keys as low 16 bits and bucket starts; values as codes -----------------

class PackedKeys {
  constructor(low, block, bucket, shift) {
    Object.assign(this, { low, block, bucket, shift, count: low.length, nbuckets: bucket.length - 1 });
    this.blockSize = 2 ** shift;
  }
  start(b) { return this.block[Math.floor(b / this.blockSize)] + this.bucket[b]; }
  /** The index of the first key >= q. */
  bound(q) {
    const b = Math.floor(q / 65536);
    if (b >= this.nbuckets) return this.count;
    return bisectLeft(this.low, q % 65536, this.start(b), this.start(b + 1));
  }
  /** The index of key q, or -1. */
  find(q) {
    const b = Math.floor(q / 65536);
    if (q < 0 || b >= this.nbuckets) return -1;
    const hi = this.start(b + 1), ql = q % 65536;
    const i = bisectLeft(this.low, ql, this.start(b), hi);
    return i < hi && this.low[i] === ql ? i : -1;
  }
  /** keys [lo, hi), knowing they lie in [first, first + span). */
  rangeKeys(lo, hi, first, span) {
    let b = Math.floor(first / 65536);
    const last = Math.min(Math.floor((first + span - 1) / 65536), this.nbuckets - 1);
    const out = new Array(hi - lo);
    let next = b + 1 <= last ? this.start(b + 1) : Infinity;
    for (let i = lo; i < hi; i++) {
      while (i >= next) { b += 1; next = b + 1 <= last ? this.start(b + 1) : Infinity; }
      out[i - lo] = b * 65536 + this.low[i];
    }
    return out;
  }
}

class PackedValues {
  constructor(data, centers) { this.data = data; this.centers = centers || null; }
  get length() { return this.data.length; }
  at(i) { return this.centers ? this.centers[this.data[i]] : this.data[i]; }
}

// ---- ngram/model.py: exact top-k, seen continuations, probabilities --------------------------

class NgramModel {
  constructor(meta, arrays) {
    if (meta.storage !== "packed") throw new Error("the model is not packed: export it with `ntp export web`");
    const N = (this.order = meta.order), V = (this.vocabSize = meta.vocab_size);
    this.sentenceMode = meta.sentence_mode !== false;
    this.contextWindow = N - 1;
    const get = (name, n) => {
      const a = arrays[`ngram.${name}.${n}`];
      if (a === undefined) throw new Error(`the model file lacks the table ngram.${name}.${n}`);
      return a;
    };
    this.probs = [new PackedValues(get("logprob", 1))];
    this.backoffs = N > 1 ? [new PackedValues(get("backoff", 1))] : [];
    this.keys = [null];
    this.ranks = [null];
    for (let n = 2; n <= N; n++) {
      this.keys.push(new PackedKeys(get("key_low", n), get("key_block", n), get("key_bucket", n), meta.key_shift[n - 2]));
      this.probs.push(new PackedValues(get("prob", n), arrays[`ngram.prob_values.${n}`]));
      if (n < N) this.backoffs.push(new PackedValues(get("backoff", n), arrays[`ngram.backoff_values.${n}`]));
      this.ranks.push({ nodes: get("rank_nodes", n), start: get("rank_start", n), perm: get("rank_perm", n) });
    }
    const ranked = get("ranked_words", 1), lp1 = this.probs[0].data;
    this.unigramRanked = ranked;
    this.unigramRankedLp = Float64Array.from(ranked, (w) => lp1[w]);
    this.sizes = [V, ...this.keys.slice(1).map((k) => k.count)];
    this._stamp = new Uint32Array(V);
    this._query = 0;
  }

  children(order, node) {
    const k = this.keys[order - 1], first = node * this.vocabSize;
    return [k.bound(first), k.bound(first + this.vocabSize)];
  }
  childWords(L, node, lo, hi) {
    const first = node * this.vocabSize;
    return this.keys[L].rangeKeys(lo, hi, first, this.vocabSize).map((key) => key - first);
  }
  lookup(order, parent, word) {
    return parent < 0 ? -1 : this.keys[order - 1].find(parent * this.vocabSize + word);
  }

  /** The last N-1 ids of a context, checked. */
  checkContext(context) {
    const keep = this.order - 1;
    const ctx = keep ? context.slice(-keep) : [];
    for (const t of ctx) if (!(t >= 0 && t < this.vocabSize)) throw new Error(`token ids must lie in [0, ${this.vocabSize})`);
    return ctx;
  }

  /** nodes[j]: the index of the last j context ids in order j, or -1; nodes[0] = 0 (the root). */
  suffixNodes(context) {
    const ctx = this.checkContext(context), L = ctx.length, V = this.vocabSize;
    const nodes = [0, ...new Array(L).fill(-1)];
    if (L === 0) return nodes;
    let cur = ctx.slice();
    nodes[1] = ctx[L - 1];
    for (let j = 2; j <= L; j++) {
      const next = new Array(L - j + 1).fill(-1);
      for (let a = 0; a <= L - j; a++) {
        if (cur[a] >= 0) next[a] = this.keys[j - 1].find(cur[a] * V + ctx[a + j - 1]);
      }
      cur = next;
      nodes[j] = cur[cur.length - 1];
      if (nodes[j] < 0) break;
    }
    return nodes;
  }

  /** [{L, node, cum}] for every level that can supply probabilities, longest first. */
  levels(context) {
    const nodes = this.suffixNodes(context);
    let deepest = 0;
    nodes.forEach((nd, j) => { if (nd >= 0) deepest = j; });
    const out = [];
    let cum = 0.0;
    for (let L = nodes.length - 1; L >= 0; L--) {
      if (L <= deepest) out.push({ L, node: nodes[L], cum });
      if (L >= 1 && nodes[L] >= 0) cum += this.backoffs[L - 1].at(nodes[L]);
    }
    return out;
  }

  /** Level L's candidates best first: {words, lps} (level 0: every token). */
  rankedLevel(L, node) {
    if (L === 0) return { words: this.unigramRanked, lps: this.unigramRankedLp };
    const [lo, hi] = this.children(L + 1, node);
    if (lo === hi) return null;
    const words = this.childWords(L, node, lo, hi);
    const prob = this.probs[L], rank = this.ranks[L];
    let best;
    const j = bisectLeft(rank.nodes, node);
    if (j < rank.nodes.length && rank.nodes[j] === node) {
      best = rank.perm.subarray(rank.start[j], rank.start[j] + hi - lo);
    } else {
      best = [...words.keys()].sort((a, b) => (prob.data[lo + b] - prob.data[lo + a]) || (words[a] - words[b]));
    }
    const bw = new Array(best.length), bl = new Float64Array(best.length);
    for (let i = 0; i < best.length; i++) { bw[i] = words[best[i]]; bl[i] = prob.at(lo + best[i]); }
    return { words: bw, lps: bl };
  }

  /** The k most probable next ids and their probabilities, exactly, best first (ties: smaller id).
   *  With minLevel, only ids seen after the context's last minLevel ids compete. */
  topK(context, k, minLevel = 0) {
    if (!(k > 0)) throw new Error(`k must be a positive number, got ${k}`);
    const heap = new MinHeap();
    const stamp = this._stamp;
    const query = (this._query = (this._query + 1) >>> 0 || 1);
    if (query === 1) stamp.fill(0);
    let threshold = -Infinity;
    for (const { L, node, cum } of this.levels(context)) {
      if (L < minLevel) break;
      const level = this.rankedLevel(L, node);
      if (!level) continue;
      const { words, lps } = level;
      for (let i = 0; i < words.length; i++) {
        const lp = lps[i] + cum;
        if (lp < threshold) break;
        const w = words[i];
        if (stamp[w] === query) continue;
        if (heap.size < k) heap.push(lp, w);
        else if (heap.beats(lp, w)) heap.replace(lp, w);
        else continue;
        if (heap.size === k) threshold = heap.worstLp();
      }
      if (L > 0) for (const w of words) stamp[w] = query; // settled: lower levels skip them
    }
    const best = heap.sorted();
    return { ids: best.map((e) => e.w), probs: best.map((e) => Math.pow(10, e.lp)) };
  }

  /** How many of the last context ids "seen" decoding conditions on (decode.py). */
  seenLevel(context, minBranch = 2, minContext = 2) {
    for (const { L, node } of this.levels(context)) {
      if (L === 0) return 0;
      const [lo, hi] = this.children(L + 1, node);
      if (hi - lo >= minBranch || (hi > lo && L <= minContext)) return L;
    }
    return 0;
  }

  /** The ids seen after the context's last `level` ids (ascending) and their share of its counts. */
  seenWeights(context, level) {
    const V = this.vocabSize, byLevel = new Map();
    for (const lv of this.levels(context)) byLevel.set(lv.L, lv);
    if (level === 0 || !byLevel.has(level)) {
      const w = Float64Array.from(this.probs[0].data, (lp) => Math.pow(10, lp));
      if (this.sentenceMode) w[BOS] = 0;
      const total = pySum(w);
      return { ids: Array.from({ length: V }, (_, i) => i), weights: w.map((x) => x / total) };
    }
    const node = byLevel.get(level).node;
    const [lo, hi] = this.children(level + 1, node);
    const ids = this.childWords(level, node, lo, hi);
    const gamma = Math.pow(10, this.backoffs[level - 1].at(node));
    let lower;
    if (level === 1) lower = ids.map((w) => Math.pow(10, this.probs[0].data[w]));
    else {
      const parent = byLevel.get(level - 1).node;
      const [plo, phi] = this.children(level, parent);
      const pw = this.childWords(level - 1, parent, plo, phi);
      lower = ids.map((w) => Math.pow(10, this.probs[level - 1].at(plo + bisectLeft(pw, w))));
    }
    const w = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const p = Math.pow(10, this.probs[level].at(lo + i));
      w[i] = Math.max(p - gamma * lower[i], 0.0) + gamma / ids.length;
    }
    const total = pySum(w);
    return { ids, weights: w.map((x) => x / total) };
  }

  /** p(w | context) for the given ids only. */
  probabilities(context, ids) {
    let lp = new Float64Array(ids.length);
    for (const { L, node, cum } of this.levels(context).reverse()) {
      if (L === 0) lp = Float64Array.from(ids, (w) => this.probs[0].data[w] + cum);
      else {
        ids.forEach((w, i) => {
          const idx = this.lookup(L + 1, node, w);
          if (idx >= 0) lp[i] = this.probs[L].at(idx) + cum;
        });
      }
    }
    return Array.from(lp, (x, i) => (this.sentenceMode && ids[i] === BOS ? 0 : Math.pow(10, x)));
  }

  /** p(w | context) for every id (sums to 1; <s> gets 0). */
  distribution(context) {
    let out = null;
    for (const { L, node, cum } of this.levels(context).reverse()) {
      if (L === 0) out = Float64Array.from(this.probs[0].data, (lp) => lp + cum);
      else {
        const [lo, hi] = this.children(L + 1, node);
        this.childWords(L, node, lo, hi).forEach((w, i) => { out[w] = this.probs[L].at(lo + i) + cum; });
      }
    }
    const p = out.map((x) => Math.pow(10, x));
    if (this.sentenceMode) p[BOS] = 0;
    return p;
  }
}

/** A float64 array's sum in numpy's order (pairwise, in blocks of 8), so totals match Python's. */
function pySum(a, lo = 0, n = a.length) {
  if (n < 8) {
    let s = -0.0;
    for (let i = lo; i < lo + n; i++) s += a[i];
    return s;
  }
  if (n <= 128) {
    const r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[lo + i + j];
    let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += a[lo + i];
    return s;
  }
  let n2 = n >> 1;
  n2 -= n2 % 8;
  return pySum(a, lo, n2) + pySum(a, lo + n2, n - n2);
}

/** A min-heap of (lp, w) ordered as Python's tuples (lp, -w): the root is the worst kept. */
class MinHeap {
  constructor() { this.items = []; }
  get size() { return this.items.length; }
  static less(a, b) { return a.lp < b.lp || (a.lp === b.lp && a.w > b.w); }
  beats(lp, w) { return MinHeap.less(this.items[0], { lp, w }); }
  worstLp() { return this.items[0].lp; }
  push(lp, w) {
    const a = this.items;
    a.push({ lp, w });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!MinHeap.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  replace(lp, w) {
    const a = this.items;
    a[0] = { lp, w };
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < a.length && MinHeap.less(a[l], a[m])) m = l;
      if (r < a.length && MinHeap.less(a[r], a[m])) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m], a[i]];
      i = m;
    }
  }
  sorted() { return [...this.items].sort((x, y) => (MinHeap.less(y, x) ? -1 : MinHeap.less(x, y) ? 1 : 0)); }
}

// ---- text/corpus.py: sentences ---------------------------------------------------------------

const BLANK_LINE = new RegExp(`\\n[${WS.replace("\\n", "")}]*\\n`, "u");
const SENTENCE_END = new RegExp(`[.!?]["'”’)\\]]{0,2}(?<gap>[${WS}]+)["'“‘(\\[]*(?<first>${W})`, "dgu");

/** The sentences of `text`, whitespace collapsed (text/corpus.py's split_sentences). */
export function splitSentences(text) {
  const out = [];
  for (const paragraph of text.split(BLANK_LINE)) {
    const para = pySplit(paragraph).join(" ");
    if (!para) continue;
    let start = 0;
    for (const m of para.matchAll(SENTENCE_END)) {
      if (!isUpperChar(m.groups.first)) continue;
      const [gapStart, gapEnd] = m.indices.groups.gap;
      out.push(para.slice(start, gapStart));
      start = gapEnd;
    }
    out.push(para.slice(start));
  }
  return out;
}

// ---- text/tokenizer.py -----------------------------------------------------------------------

const WORD_TOKEN = `${D}+(?:[.,]${D}+)*|${W}+(?:[-'’]${W}+)*|-+|[^\\p{L}\\p{N}_${WS}]`;
const WORD_TOKEN_G = new RegExp(WORD_TOKEN, "gu");
const SPACED_WORD_TOKEN_G = new RegExp(`([ ]?)(${WORD_TOKEN})`, "gu");
const SPACE = "\u2581";
const SENTENCE_END_MARKS = new Set([".", "!", "?", "…"]);
const CLOSING_MARKS = new Set(['"', "'", "”", "’", ")", "]", "»"]);
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/u;  // str.splitlines
const ENDS_WITH_LINE_BREAK = new RegExp(`(?:${LINE_BREAK.source})$`, "u");

export const wordTokens = (sentence) => sentence.match(WORD_TOKEN_G) || [];

class Tokenizer {
  constructor(config, spacing) {
    this.kind = config.kind;
    this.natural = config.natural !== false;
    this.spacing = spacing;
    if (!["word", "char", "whitespace"].includes(this.kind)) {
      throw new Error(`the ${this.kind} tokenizer is not available in the browser`);
    }
  }
  tokenize(sentence) {
    if (this.kind === "word") return wordTokens(sentence);
    if (this.kind === "char") return Array.from(sentence.replace(ANY_SPACE_G, SPACE));
    return pySplit(sentence);
  }
  sentences(text) {
    if (this.kind === "whitespace") return text.split(LINE_BREAK).map(pySplit).filter((t) => t.length);
    return splitSentences(text).map((s) => this.tokenize(s)).filter((t) => t.length);
  }
  spacedSentences(text) {
    const out = [];
    for (const sentence of splitSentences(text)) {
      const pairs = [...sentence.matchAll(SPACED_WORD_TOKEN_G)];
      if (pairs.length) out.push([pairs.map((m) => m[2]), pairs.map((m) => m[1] === " ")]);
    }
    return out;
  }
  endsSentence(tokens) {
    let i = tokens.length - 1;
    while (i >= 0 && CLOSING_MARKS.has(tokens[i])) i--;
    return i >= 0 && SENTENCE_END_MARKS.has(tokens[i].replaceAll(SPACE, ""));
  }
  speller(prompt = "") {
    if (this.kind === "word") {
      let last = [[], []];
      if (pyStrip(prompt)) {
        const all = this.spacedSentences(prompt);
        if (all.length) last = all[all.length - 1];
      }
      const speller = new Speller(this.spacing, last[0], last[1], prompt);
      if (last[0].length && endsInSpace(prompt) && this.endsSentence(last[0])) speller.endSentence();
      return speller;
    }
    if (this.kind === "char") return new JoinSpeller(prompt, "", " ");
    if (!this.natural) return new JoinSpeller(prompt, " ", " ");
    const lines = prompt.split(LINE_BREAK);
    if (ENDS_WITH_LINE_BREAK.test(prompt)) lines.pop();  // splitlines() has no empty last line
    const last = pyStrip(prompt) ? pySplit(lines[lines.length - 1] || "") : [];
    return new Speller(null, last, last.map(() => true), prompt);
  }
  /** For each token, the text that appends it to `context` (markers write nothing). */
  appendTexts(context, tokens) {
    const speller = this.speller(context);
    return tokens.map((t) => (SPECIAL_TOKENS.has(t) ? "" : speller.copy().append(t)));
  }
}

class JoinSpeller {
  constructor(prompt = "", separator = "", sentenceGap = "") {
    this.separator = separator;
    this.sentenceGap = sentenceGap;
    this.atSpace = !prompt || endsInSpace(prompt);
    this.gap = separator;
  }
  copy() { return Object.assign(Object.create(JoinSpeller.prototype), this); }
  append(tok) {
    let text = tok.replaceAll(SPACE, " ");
    if (!text.startsWith(" ")) text = this.gap + text;
    if (this.atSpace) {
      text = text.replace(/^ +/, "");
      this.atSpace = !text;
    }
    this.gap = this.separator;
    return text;
  }
  endSentence() { this.gap = this.sentenceGap; }
}

// ---- text/spacing_rules.py -------------------------------------------------------------------

const OPENERS = new Set("([{“‘«¿¡$£€¥");
const CLOSERS = new Set(",.;:!?)]}”’»%…");
const JOINERS = new Set(["/", "—"]);
const CONTRACTION_PIECES = new Set(
  ["'s", "'re", "'ve", "'ll", "'d", "'m", "n't", "'S", "'RE", "'VE", "'LL", "'D", "'M", "N'T"]
    .flatMap((p) => ["'", "’"].map((q) => p.replace("'", q))));
const NOT_POSSESSIVE = new Set(("as is was has his this its us yes thus perhaps always whereas does goes says " +
  "towards afterwards sometimes besides across unless").split(" "));
const DASH_RUN = /^-{2,}$/;
const isWordChar = (c) => c === "_" || ALNUM.test(c);

function wouldGlue(prev, tok) {
  if (prev == null || !prev || !tok || CONTRACTION_PIECES.has(tok)) return false;
  const a = lastChar(prev), b = firstChar(tok);
  return (isWordChar(a) && isWordChar(b)) || (a === "-" && b === "-");
}

class RuleSpacer {
  constructor() { this.prev = null; this.prevRole = "open"; this.doubleOpen = false; this.singleOpen = false; }
  copy() { return Object.assign(new RuleSpacer(), this); }
  role(tok) {
    if (tok === '"') {
      this.doubleOpen = !this.doubleOpen;
      return this.doubleOpen ? "open" : "close";
    }
    if (tok === "'") {
      if (this.singleOpen) { this.singleOpen = false; return "close"; }
      const prev = this.prev || "";
      const end = prev.slice(-1);
      if ((end === "s" || end === "S") && ALPHA_ALL.test(prev) && !NOT_POSSESSIVE.has(prev.toLowerCase())) return "close";
      this.singleOpen = true;
      return "open";
    }
    if (CLOSERS.has(tok) || CONTRACTION_PIECES.has(tok)) return "close";
    if (OPENERS.has(tok)) return "open";
    if (JOINERS.has(tok) || DASH_RUN.test(tok)) return "join";
    return "word";
  }
  spaceBefore(tok) {
    const role = this.role(tok), prev = this.prev;
    let space = !(this.prevRole === "open" || this.prevRole === "join" || role === "close" || role === "join");
    if (!space && wouldGlue(prev, tok)) space = true;
    this.prev = tok;
    this.prevRole = role;
    return space;
  }
}

// ---- text/spacing.py: learned spacing and the incremental speller ----------------------------

const FIRST = 2;
const QUOTES = ['"', "'"];
const PUNCTUATION = "\"'.,;:!?()[]{}<>-/\\*&%$#@+=|~^`_“”‘’«»…—–";
const SHAPES = 6;
const N_CLASSES = SHAPES + PUNCTUATION.length;
const END_CLASS = N_CLASSES;  // the class of "no next token": the sentence ends
const AHEAD_RADIX = N_CLASSES + 1;
const IDENT = new RegExp(`^(?:${W}*_${W}*|[a-z]+[A-Z]${W}*|${W}*${D}${W}*[A-Za-z]${W}*|[A-Za-z]${W}*${D}${W}*)$`, "u");

function tokenClass(token) {
  if (token.length === 1 && PUNCTUATION.includes(token)) return SHAPES + PUNCTUATION.indexOf(token);
  const first = firstChar(token);
  if (DIGIT_ALL.test(token) || (first && DIGIT_ALL.test(first) && DIGIT_ALL.test(token.replaceAll(",", "").replaceAll(".", "")))) return 3;
  if (IDENT.test(token)) return 4;
  if (ALPHA_ALL.test(token) || ALPHA_ALL.test(token.replaceAll("-", "").replaceAll("'", "").replaceAll("’", ""))) {
    if (isLower(token)) return 0;
    if (isUpper(token) && [...token].length > 1) return 2;
    if (isUpper(first)) return 1;
  }
  return 5;
}

function spacingKey(level, a, fa, b, q, ca, cb, V) {
  if (level === 0) return ((a * 3 + fa) * V + b) * 4 + q;
  if (level === 1) return ((a * 3 + fa) * N_CLASSES + cb) * 4 + q;
  if (level === 2) return ((ca * 3 + fa) * V + b) * 4 + q;
  return ((ca * 3 + fa) * N_CLASSES + cb) * 4 + q;
}

class SpacingModel {
  constructor(arrays, vocab) {
    this.classes = arrays["spacing.classes"];
    // level 5 looks ahead (absent from files written before it existed)
    this.keys = [1, 2, 3, 4, 5].map((L) => numbers(arrays[`spacing.keys.${L}`] ?? new Float64Array(0)));
    this.space = [1, 2, 3, 4, 5].map((L) => arrays[`spacing.space.${L}`] ?? new Uint8Array(0));
    this.vocab = vocab;
  }
  cls(token, id) { return id > EOS ? this.classes[id] : tokenClass(token); }
  /** Whether a space goes before b after a (null: no evidence); `after`: the next token if known. */
  decide(a, fa, b, q, after = null) {
    const V = this.classes.length, ia = this.vocab.id(a), ib = this.vocab.id(b);
    const ca = this.cls(a, ia), cb = this.cls(b, ib);
    if (after !== null && ib > EOS) {
      const cc = after === END_OF_SENTENCE ? END_CLASS : this.cls(after, this.vocab.id(after));
      const key = ((ca * V + ib) * 4 + q) * AHEAD_RADIX + cc, keys = this.keys[4];
      const j = bisectLeft(keys, key);
      if (j < keys.length && keys[j] === key) return this.space[4][j] !== 0;
    }
    for (let level = 0; level < 4; level++) {
      if (((level === 0 || level === 1) && ia <= EOS) || ((level === 0 || level === 2) && ib <= EOS)) continue;
      const key = spacingKey(level, ia, fa, ib, q, ca, cb, V), keys = this.keys[level];
      const j = bisectLeft(keys, key);
      if (j < keys.length && keys[j] === key) return this.space[level][j] !== 0;
    }
    return null;
  }
}

class Speller {
  constructor(model, tokens = [], spaces = [], prompt = "") {
    this.model = model;
    this.rules = new RuleSpacer();
    this.prev = null;
    this.prevFlag = FIRST;
    this.prevParity = 0;
    this.parity = { '"': 0, "'": 0 };
    this.atSpace = !prompt || endsInSpace(prompt);
    tokens.forEach((tok, i) => this.advance(tok, Boolean(spaces[i])));
  }
  copy() {
    const other = Object.assign(Object.create(Speller.prototype), this);
    other.rules = this.rules.copy();
    other.parity = { ...this.parity };
    return other;
  }
  advance(tok, space) {
    this.rules.spaceBefore(tok);
    this.prevFlag = this.prev === null ? FIRST : space ? 1 : 0;
    this.prev = tok;
    const quote = QUOTES.includes(tok);
    this.prevParity = quote ? this.parity[tok] : 0;
    if (quote) this.parity[tok] ^= 1;
  }
  spaceBefore(tok, after = null) {
    if (this.prev === null) return true;
    let decided = null;
    if (this.model) {
      const q = (QUOTES.includes(tok) ? this.parity[tok] : 0) | (this.prevParity << 1);
      decided = this.model.decide(this.prev, this.prevFlag, tok, q, after);
    }
    if (decided === null) decided = this.rules.copy().spaceBefore(tok);
    return decided || wouldGlue(this.prev, tok);
  }
  /** The text that appends tok; `after`: the next token (END_OF_SENTENCE at the end), null if unknown. */
  append(tok, after = null) {
    const space = this.spaceBefore(tok, after);
    const text = (space && !this.atSpace ? " " : "") + tok;
    this.advance(tok, space);
    this.atSpace = endsInSpace(tok);
    return text;
  }
  endSentence() {
    this.prev = null;
    this.prevFlag = FIRST;
    this.prevParity = 0;
    this.parity = { '"': 0, "'": 0 };
    this.rules = new RuleSpacer();
  }
}

// ---- numpy's random generator: PCG64 seeded by SeedSequence ----------------------------------

const M32 = 0xffffffffn, M64 = (1n << 64n) - 1n, M128 = (1n << 128n) - 1n;
const PCG_MULT = (2549297995355413924n << 64n) + 4865540595714422341n;

function seedSequenceState(seed, nWords) {
  // numpy.random.SeedSequence(seed).generate_state(nWords, uint32): hashmix of the entropy pool
  const mul = (a, b) => Number((BigInt(a) * BigInt(b)) & M32);
  let hashConst = 0x43b0d7e5;
  const hashmix = (value) => {
    value = (value ^ hashConst) >>> 0;
    hashConst = mul(hashConst, 0x931e8875);
    value = mul(value, hashConst);
    return (value ^ (value >>> 16)) >>> 0;
  };
  const mix = (x, y) => {
    let r = (mul(0xca01f9dd, x) - mul(0x4973f715, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const entropy = [];
  let s = BigInt(seed);
  do { entropy.push(Number(s & M32)); s >>= 32n; } while (s > 0n);
  const pool = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
  for (let src = 0; src < 4; src++) for (let dst = 0; dst < 4; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  for (let src = 4; src < entropy.length; src++) for (let dst = 0; dst < 4; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  const out = [];
  let h = 0x8b51f9dd;
  for (let i = 0; i < nWords; i++) {
    let v = (pool[i % 4] ^ h) >>> 0;
    h = mul(h, 0x58f38ded);
    v = mul(v, h);
    out.push((v ^ (v >>> 16)) >>> 0);
  }
  return out;
}

/** numpy.random.default_rng(seed): random() gives the same doubles. */
export class Generator {
  constructor(seed) {
    if (seed === null || seed === undefined) seed = Math.floor(Math.random() * 2 ** 32);
    const w = seedSequenceState(seed, 8).map(BigInt);
    const u64 = (i) => w[2 * i] | (w[2 * i + 1] << 32n);
    const initstate = (u64(0) << 64n) | u64(1), initseq = (u64(2) << 64n) | u64(3);
    this.inc = ((initseq << 1n) | 1n) & M128;
    this.state = 0n;
    this.step();
    this.state = (this.state + initstate) & M128;
    this.step();
  }
  step() { this.state = (this.state * PCG_MULT + this.inc) & M128; }
  nextUint64() {
    this.step();
    const hi = this.state >> 64n, lo = this.state & M64, rot = hi >> 58n, x = hi ^ lo;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & M64;
  }
  random() { return Number(this.nextUint64() >> 11n) / 9007199254740992; }
}

// ---- decode.py -------------------------------------------------------------------------------

const MIN_BRANCH = 2, MIN_CONTEXT = 2, SEEN_SHARPNESS = 1.2, MAX_FORCED = 4;

class RepeatGuard {
  constructor(n, history = []) {
    this.n = n && n > 0 ? n : 0;
    this.seen = new Set();
    this.tail = [];
    for (const t of history) this.push(t);
  }
  allows(token) {
    if (!this.n || this.tail.length < this.n - 1) return true;
    return !this.seen.has([...this.tail.slice(this.tail.length - this.n + 1), token].join(","));
  }
  push(token) {
    if (!this.n) return;
    this.tail.push(token);
    if (this.tail.length >= this.n) this.seen.add(this.tail.slice(-this.n).join(","));
    if (this.tail.length > 4 * this.n) this.tail.splice(0, this.tail.length - this.n);
  }
  copy() {
    const g = new RepeatGuard(null);
    g.n = this.n; g.seen = new Set(this.seen); g.tail = this.tail.slice();
    return g;
  }
}

function advance(context, token, window) {
  if (token === EOS) return [BOS];
  const ctx = [...context, token];
  return window && ctx.length > window ? ctx.slice(ctx.length - window) : ctx;
}

function candidates(model, context, k, decoding = "seen") {
  if (decoding === "smoothed") return model.topK(context, k);
  return model.topK(context, k, model.seenLevel(context, MIN_BRANCH, MIN_CONTEXT));
}

/** How many brackets a sentence leaves open, given each token's sign (decode.py's open_brackets). */
function openBrackets(signs) {
  let depth = 0;
  for (const sign of signs) depth = Math.max(depth + sign, 0);
  return depth;
}

/** Whether the corpus ended a sentence after the longest part of `context` it has seen followed
 *  by anything (decode.py's _ends_here). */
function endsHere(model, context) {
  const level = model.seenLevel(context, 1, 0);
  if (level === 0) return true;
  const { node } = [...model.levels(context)].find((lv) => lv.L === level);
  const [lo, hi] = model.children(level + 1, node);
  return model.childWords(level, node, lo, hi).includes(EOS);
}

/** The k best continuations that end the sentence (decode.py's beam_search). */
function beamSearch(model, context, k, maxTokens, { width = null, noRepeatNgram = 3, lengthAlpha = 0.7,
  minTokens = 3, decoding = "seen", isWord = null, brackets = null, openBrackets = 0 } = {}) {
  width = width || Math.max(2 * k, 8);
  const length = isWord ? (toks) => toks.reduce((s, t) => s + isWord[t], 0) : (toks) => toks.length;
  let beams = [{ score: 0, logprob: 0, tokens: [], context: [...context], guard: new RepeatGuard(noRepeatNgram, context),
    depth: openBrackets, own: 0 }];
  const finished = [];
  for (let step = 0; step < maxTokens; step++) {
    const cands = [];
    for (const b of beams) {
      const { ids, probs } = candidates(model, b.context, width, decoding);
      for (let i = 0; i < ids.length; i++) {
        const tok = ids[i], p = probs[i];
        if (tok === UNK || !b.guard.allows(tok) || p <= 0) continue;
        if (tok === EOS && (length(b.tokens) < minTokens || b.own)) continue;
        if (brackets && (brackets.get(tok) ?? 0) < 0 && !b.depth) continue;
        const lp = b.logprob + Math.log(p);
        const n = b.tokens.length + 1;
        cands.push({ score: lp / Math.pow(n, lengthAlpha), lp, b, tok });
      }
    }
    if (!cands.length) break;
    cands.sort((x, y) => (y.score > x.score ? 1 : y.score < x.score ? -1 : 0));
    beams = [];
    for (const { score, lp, b, tok } of cands) {
      if (tok === EOS && decoding === "seen" && !endsHere(model, b.context)) continue; // only for endings taken
      if (tok === EOS || step === maxTokens - 1) {
        finished.push({ score, lp, tokens: tok !== EOS ? [...b.tokens, tok] : b.tokens.slice() });
      } else if (beams.length < width) {
        const g = b.guard.copy();
        g.push(tok);
        const sign = brackets ? brackets.get(tok) ?? 0 : 0;
        beams.push({ score, logprob: lp, tokens: [...b.tokens, tok], context: advance(b.context, tok, model.contextWindow), guard: g,
          depth: b.depth + sign, own: Math.max(b.own + sign, 0) });
      }
      if (beams.length >= width && finished.length >= 4 * k) break;
    }
    if (finished.length >= k && beams.length) {
      const scores = finished.map((f) => f.score).sort((a, b) => b - a);
      if (scores[k - 1] >= beams[0].score) break;
    }
    if (!beams.length) break;
  }
  const order = finished.map((f, i) => [f, i]).sort((x, y) => (y[0].score > x[0].score ? 1 : y[0].score < x[0].score ? -1 : x[1] - y[1]));
  return order.map(([f]) => f);
}

function temper(probs, temperature) {
  if (temperature === 1.0) return probs.slice();
  const logits = probs.map((p) => Math.log(p) / temperature);
  const top = Math.max(...logits);
  return logits.map((x) => Math.exp(x - top));
}

function cumsum(a) {
  const out = new Array(a.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) out[i] = s += a[i];
  return out;
}

function bisectRight(a, x) {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function bestAllowed(model, ctx, guard, allowUnk, decoding = "smoothed") {
  for (const policy of decoding !== "smoothed" ? [decoding, "smoothed"] : ["smoothed"]) {
    for (const k of [8, 64, 512]) {
      const { ids, probs } = candidates(model, ctx, k, policy);
      for (let i = 0; i < ids.length; i++) if ((allowUnk || ids[i] !== UNK) && guard.allows(ids[i])) return [ids[i], probs[i]];
      if (ids.length < k) break;
    }
  }
  return null;
}

function samplingCandidates(model, ctx, temperature, topK, topP, decoding, forced = 0) {
  if (decoding === "seen") {
    const level = model.seenLevel(ctx, MIN_BRANCH, forced < MAX_FORCED ? MIN_CONTEXT : 1);
    const { ids, weights } = model.seenWeights(ctx, level);
    return { ids: Array.from(ids), probs: Array.from(weights, (w) => Math.pow(w, SEEN_SHARPNESS)), complete: true };
  }
  if (topK) { const r = model.topK(ctx, topK); return { ids: r.ids, probs: r.probs, complete: true }; }
  if (topP !== null && topP < 1.0 && temperature === 1.0) {
    const r = model.topK(ctx, 64);
    if (r.probs.reduce((a, b) => a + b, 0) >= topP || r.ids.length < 64) return { ids: r.ids, probs: r.probs, complete: r.ids.length < 64 };
  }
  const dist = model.distribution(ctx), ids = [], probs = [];
  dist.forEach((p, i) => { if (p > 0) { ids.push(i); probs.push(p); } });
  return { ids, probs, complete: true };
}

/** Sampled (token, probability) pairs, as decode.py's sample. */
function* sample(model, context, maxTokens, rng, { temperature = 1.0, topK = null, topP = null, noRepeatNgram = null,
  decoding = "smoothed", minP = null } = {}) {
  const guard = new RepeatGuard(noRepeatNgram, context);
  let ctx = [...context], forced = 0;
  for (let step = 0; step < maxTokens; step++) {
    let tok, p;
    if (temperature === 0) {
      const choice = bestAllowed(model, ctx, guard, false, decoding);
      if (!choice) return;
      [tok, p] = choice;
    } else {
      let { ids, probs, complete } = samplingCandidates(model, ctx, temperature, topK, topP, decoding, forced);
      forced = decoding === "seen" && ids.length === 1 ? forced + 1 : 0;
      const weighted = decoding === "seen";
      let keep = ids.map((t) => t !== UNK && (!guard.n || guard.allows(t)));
      if (!keep.some(Boolean) && decoding !== "smoothed") {
        ({ ids, probs, complete } = samplingCandidates(model, ctx, temperature, topK, topP, "smoothed"));
        keep = ids.map((t) => t !== UNK && guard.allows(t));
      }
      let total = complete ? pySum(Float64Array.from(probs.filter((_, i) => keep[i])))
        : 1.0 - pySum(Float64Array.from(probs.filter((_, i) => !keep[i])));
      ids = ids.filter((_, i) => keep[i]);
      probs = probs.filter((_, i) => keep[i]);
      if (!ids.length) return;
      if (weighted && topK && ids.length > topK) {
        const best = ids.map((_, i) => i).sort((a, b) => (probs[b] - probs[a]) || (ids[a] - ids[b])).slice(0, topK);
        ids = best.map((i) => ids[i]);
        probs = best.map((i) => probs[i]);
      }
      if (minP) {
        const top = Math.max(...probs), ok = probs.map((q) => q >= minP * top);
        ids = ids.filter((_, i) => ok[i]);
        probs = probs.filter((_, i) => ok[i]);
        if (complete) total = pySum(Float64Array.from(probs));
      }
      let w = temper(probs, temperature);
      if (topP !== null && topP < 1.0) {
        const order = probs.map((_, i) => i).sort((a, b) => (probs[b] - probs[a]) || (a - b));
        ids = order.map((i) => ids[i]);
        probs = order.map((i) => probs[i]);
        w = order.map((i) => w[i]);
        const cum = cumsum(w);
        const target = topP * (complete ? pySum(Float64Array.from(w)) : total);
        const cut = bisectLeft(cum, target) + 1;
        ids = ids.slice(0, cut); probs = probs.slice(0, cut); w = w.slice(0, cut);
      }
      const cum = cumsum(w);
      const i = Math.min(bisectRight(cum, rng.random() * cum[cum.length - 1]), ids.length - 1);
      tok = ids[i];
      p = probs[i];
      if (weighted) p = model.probabilities(ctx, [tok])[0];
    }
    yield [tok, p];
    guard.push(tok);
    ctx = advance(ctx, tok, model.contextWindow);
  }
}

// ---- language_model.py -----------------------------------------------------------------------

export class LanguageModel {
  constructor({ meta, arrays }) {
    this.meta = meta;
    this.vocab = new Vocabulary(arrays);
    this.model = new NgramModel(meta.ngram, arrays);
    const spacing = arrays["spacing.classes"] ? new SpacingModel(arrays, this.vocab) : null;
    this.tokenizer = new Tokenizer(meta.tokenizer, spacing);
    if (this.vocab.length !== this.model.vocabSize) throw new Error("vocabulary and n-gram tables disagree");
  }

  get order() { return this.model.order; }

  info() {
    return { order: this.order, vocab_size: this.vocab.length, ngrams: this.model.sizes, tokenizer: this.tokenizer.kind,
      bits: this.meta.ngram.bits, ...this.meta.info };
  }

  /** The ids the model is asked about after `prompt`: <s> and the last sentence's tokens, trimmed. */
  contextIds(prompt, whole = false) {
    let last = [];
    if (typeof prompt === "string") {
      const sentences = this.tokenizer.sentences(prompt);
      if (sentences.length) last = sentences[sentences.length - 1];
      if (last.length && endsInSpace(prompt) && this.tokenizer.endsSentence(last)) last = [];
    } else if (Array.isArray(prompt)) last = prompt;
    else throw new Error("the prompt must be a string or a list of tokens");
    const ids = [BOS, ...last.map((t) => this.vocab.id(t))];
    return whole ? ids : this.trim(ids);
  }

  trim(ids) {
    const w = this.model.contextWindow;
    return w ? ids.slice(Math.max(0, ids.length - w)) : [];
  }

  /** The k most probable next tokens: [{token, probability, text}] (text appends it to context). */
  predict(context = "", { k = 10, prefix = null } = {}) {
    const ctx = this.contextIds(context), tokens = this.vocab.tokens;
    let found;
    if (prefix) {
      const cand = this.vocab.withPrefix(prefix, ![...prefix].some(isUpperChar));
      if (!cand.length) return [];
      const probs = this.model.probabilities(ctx, cand);
      const order = cand.map((_, i) => i).sort((a, b) => (probs[b] - probs[a]) || (cand[a] - cand[b])).slice(0, k);
      found = order.map((i) => ({ token: tokens[cand[i]], probability: probs[i] }));
    } else {
      const { ids, probs } = this.model.topK(ctx, k);
      found = ids.map((id, i) => ({ token: tokens[id], probability: probs[i] }));
    }
    const texts = typeof context === "string" ? this.tokenizer.appendTexts(context, found.map((f) => f.token)) : [];
    return found.map((f, i) => ({ ...f, text: texts[i] ?? "" }));
  }

  textOf(prompt, ids) {
    const speller = this.tokenizer.speller(prompt), out = [];
    ids.forEach((i, j) => {
      if (i === EOS) speller.endSentence();
      else out.push(speller.append(this.vocab.tokens[i], this.after(j + 1 < ids.length ? ids[j + 1] : null)));
    });
    return out.join("");
  }

  /** What a speller is told follows a token: the next token, the sentence end, or null. */
  after(i) { return i === null ? null : i === EOS ? END_OF_SENTENCE : this.vocab.tokens[i]; }

  /** k different continuations to the end of the sentence, best first (beam search). */
  completions(prompt, { k = 5, maxTokens = 30, noRepeatNgram = 3 } = {}) {
    if (typeof prompt !== "string" || !pyStrip(prompt)) throw new Error("the prompt is empty: give some text to continue");
    const sentence = this.contextIds(prompt, true), ctx = this.trim(sentence), signs = this.vocab.bracketSigns();
    const opened = openBrackets(sentence.map((i) => signs.get(i) ?? 0));
    const found = beamSearch(this.model, ctx, k, Math.min(maxTokens, 200),
      { noRepeatNgram, isWord: this.vocab.wordMask(), brackets: signs, openBrackets: opened });
    const out = [], seen = new Set();
    for (const f of found) {
      const text = this.textOf(prompt, f.tokens);
      if (pyStrip(text) && !seen.has(text)) {
        seen.add(text);
        out.push({ text, probability: Math.exp(f.lp), tokens: f.tokens.map((i) => this.vocab.tokens[i]), score: f.score });
      }
      if (out.length === k) break;
    }
    return out;
  }

  complete(prompt, options = {}) {
    const found = this.completions(prompt, { ...options, k: 1 });
    return found.length ? found[0].text : "";
  }

  /** Generate token by token: {text, token, probability} per token (language_model.py's steps). */
  *steps(prompt = "", { maxTokens = 50, temperature = 1.0, topK = null, topP = null, minP = null, seed = null,
    noRepeatNgram = null, decoding = "seen" } = {}) {
    const rng = new Generator(seed);
    const ctx = this.contextIds(prompt);
    const speller = this.tokenizer.speller(prompt), tokens = this.vocab.tokens;
    let held = null;  // the last word token drawn: its text waits for the next token (spacing.py)
    const release = (after) => ({ text: speller.append(tokens[held[0]], this.after(after)), token: tokens[held[0]], probability: held[1] });
    for (const [tok, p] of sample(this.model, ctx, maxTokens, rng, { temperature, topK, topP, noRepeatNgram, decoding, minP })) {
      if (held) { yield release(tok); held = null; }
      if (tok === EOS) {
        speller.endSentence();
        yield { text: "", token: END_OF_SENTENCE, probability: p };
        continue;
      }
      held = [tok, p];
    }
    if (held) yield release(null);
  }

  /** A sampled continuation of `prompt`; the same seed gives the same text (and Python's). */
  generate(prompt = "", options = {}) {
    let text = "";
    for (const step of this.steps(prompt, options)) text += step.text;
    return text;
  }
}

/** Load a model: a URL (fetched), an ArrayBuffer or a Uint8Array. */
export async function load(source, { fetch: fetchFn = globalThis.fetch } = {}) {
  let buffer = source;
  if (typeof source === "string" || source instanceof URL) {
    const response = await fetchFn(source);
    if (!response.ok) throw new Error(`cannot load ${source}: HTTP ${response.status}`);
    buffer = await response.arrayBuffer();
  }
  const file = readModelFile(buffer);
  if (file.kind !== "language-model") throw new Error(`the file holds a ${file.kind} model, not a language model`);
  return new LanguageModel(file);
}

// The pairs (character, its case folding) for which str.casefold differs from str.lower on a
// lower-case character: made by `{c: c.casefold() for c in every code point if c.lower() == c
// and c.casefold() != c}` with Python 3.11 (Unicode 14).
function PY_FOLDS() {
  return "µ\tμ\nß\tss\nŉ\tʼn\nſ\ts\nǰ\tǰ\nͅ\tι\nΐ\tΐ\nΰ\tΰ\nς\tσ\nϐ\tβ\nϑ\tθ\nϕ\tφ\nϖ\tπ\nϰ\tκ\nϱ\tρ\nϵ\tε\nև\tեւ\nᏸ\tᏰ\nᏹ\tᏱ\nᏺ\tᏲ\nᏻ\tᏳ\nᏼ\tᏴ\nᏽ\tᏵ\nᲀ\tв\nᲁ\tд\nᲂ\tо\nᲃ\tс\nᲄ\tт\nᲅ\tт\nᲆ\tъ\nᲇ\tѣ\nᲈ\tꙋ\nẖ\tẖ\nẗ\tẗ\nẘ\tẘ\nẙ\tẙ\nẚ\taʾ\nẛ\tṡ\nὐ\tὐ\nὒ\tὒ\nὔ\tὔ\nὖ\tὖ\nᾀ\tἀι\nᾁ\tἁι\nᾂ\tἂι\nᾃ\tἃι\nᾄ\tἄι\nᾅ\tἅι\nᾆ\tἆι\nᾇ\tἇι\nᾐ\tἠι\nᾑ\tἡι\nᾒ\tἢι\nᾓ\tἣι\nᾔ\tἤι\nᾕ\tἥι\nᾖ\tἦι\nᾗ\tἧι\nᾠ\tὠι\nᾡ\tὡι\nᾢ\tὢι\nᾣ\tὣι\nᾤ\tὤι\nᾥ\tὥι\nᾦ\tὦι\nᾧ\tὧι\nᾲ\tὰι\nᾳ\tαι\nᾴ\tάι\nᾶ\tᾶ\nᾷ\tᾶι\nι\tι\nῂ\tὴι\nῃ\tηι\nῄ\tήι\nῆ\tῆ\nῇ\tῆι\nῒ\tῒ\nΐ\tΐ\nῖ\tῖ\nῗ\tῗ\nῢ\tῢ\nΰ\tΰ\nῤ\tῤ\nῦ\tῦ\nῧ\tῧ\nῲ\tὼι\nῳ\tωι\nῴ\tώι\nῶ\tῶ\nῷ\tῶι\nꭰ\tᎠ\nꭱ\tᎡ\nꭲ\tᎢ\nꭳ\tᎣ\nꭴ\tᎤ\nꭵ\tᎥ\nꭶ\tᎦ\nꭷ\tᎧ\nꭸ\tᎨ\nꭹ\tᎩ\nꭺ\tᎪ\nꭻ\tᎫ\nꭼ\tᎬ\nꭽ\tᎭ\nꭾ\tᎮ\nꭿ\tᎯ\nꮀ\tᎰ\nꮁ\tᎱ\nꮂ\tᎲ\nꮃ\tᎳ\nꮄ\tᎴ\nꮅ\tᎵ\nꮆ\tᎶ\nꮇ\tᎷ\nꮈ\tᎸ\nꮉ\tᎹ\nꮊ\tᎺ\nꮋ\tᎻ\nꮌ\tᎼ\nꮍ\tᎽ\nꮎ\tᎾ\nꮏ\tᎿ\nꮐ\tᏀ\nꮑ\tᏁ\nꮒ\tᏂ\nꮓ\tᏃ\nꮔ\tᏄ\nꮕ\tᏅ\nꮖ\tᏆ\nꮗ\tᏇ\nꮘ\tᏈ\nꮙ\tᏉ\nꮚ\tᏊ\nꮛ\tᏋ\nꮜ\tᏌ\nꮝ\tᏍ\nꮞ\tᏎ\nꮟ\tᏏ\nꮠ\tᏐ\nꮡ\tᏑ\nꮢ\tᏒ\nꮣ\tᏓ\nꮤ\tᏔ\nꮥ\tᏕ\nꮦ\tᏖ\nꮧ\tᏗ\nꮨ\tᏘ\nꮩ\tᏙ\nꮪ\tᏚ\nꮫ\tᏛ\nꮬ\tᏜ\nꮭ\tᏝ\nꮮ\tᏞ\nꮯ\tᏟ\nꮰ\tᏠ\nꮱ\tᏡ\nꮲ\tᏢ\nꮳ\tᏣ\nꮴ\tᏤ\nꮵ\tᏥ\nꮶ\tᏦ\nꮷ\tᏧ\nꮸ\tᏨ\nꮹ\tᏩ\nꮺ\tᏪ\nꮻ\tᏫ\nꮼ\tᏬ\nꮽ\tᏭ\nꮾ\tᏮ\nꮿ\tᏯ\nﬀ\tff\nﬁ\tfi\nﬂ\tfl\nﬃ\tffi\nﬄ\tffl\nﬅ\tst\nﬆ\tst\nﬓ\tմն\nﬔ\tմե\nﬕ\tմի\nﬖ\tվն\nﬗ\tմխ\n";
}
