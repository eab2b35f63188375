// The autocomplete page: as you type, the likeliest next words appear as probability bars.
// One front end for two pages: `ntp serve` answers from the server's JSON API (httpBackend) and
// the folder `ntp export web` writes answers from next-token.js inside the tab (localBackend).
//
//   import { startPage, httpBackend } from "./app.js";   startPage(httpBackend());
//   import { startPage, localBackend } from "./app.js";  startPage(localBackend(load("model.ntp")));
//
// How it stays responsive without flicker:
// - requests are debounced (DEBOUNCE_MS after the last keystroke) and a newer request aborts an
//   older one; a sequence number drops any answer that is not the latest;
// - the list is never cleared while a request is in flight: rows are reused and only their label
//   and bar width change (a CSS transition smooths the widths).
//
// What is predicted: the text before the caret. When it ends inside a word ("the qu"), the page
// asks for next words after "the " that start with "qu", and accepting one replaces "qu". Right
// after a suggestion is accepted, the page asks for the word after it instead, so Tab, Tab, Tab
// writes a phrase. The model reads only the last sentence of its context, so after a sentence end
// ("mat. ", or accepting "¶ end of sentence") the page asks with an empty context: what starts a
// sentence. Ctrl+Enter shows whole completions (beam search); Alt+Enter samples continuations.
// A suggestion marked "≈" is a typo match: the word starts 1-2 edits away from what was typed
// ("Christine" for "Chirs"; the server's /api/predict says how many in `distance`).
//
// A server whose model has more parts adds more to the page, each only when /api/info says the
// model has it (the tab's own engine has none of them, so the exported page stays as it is):
// - "index": a search box over the training text (searchPanel);
// - "spelling": suspected misspellings underlined, one-click fixes, and autocorrect of the word
//   just finished (spellingPanel).

const K = 8;
const COMPLETIONS = 5;
const COMPLETION_TOKENS = 12;
const SAMPLES = 3;
const SAMPLE_TOKENS = 30;
const DEBOUNCE_MS = 120;
const PARTIAL_WORD = /[\p{L}\p{N}_][\p{L}\p{N}_'’-]*$/u;
const SENTENCE_ENDED = /[.!?…]["'”’)\]]*\s+$/u;

/** The page's questions answered by the server's JSON API. A server started with --api-key
 *  answers 401 without a key: the page asks for it once, keeps it for this tab (sessionStorage,
 *  never on disk) and sends it as OpenAI's clients do. */
export function httpBackend(base = "") {
  const KEY_ITEM = "ntp-api-key";
  let askingForKey = null;

  function askForKey() {
    askingForKey ??= new Promise((resolve) => {
      const key = window.prompt("This server needs an API key:");
      if (key && key.trim()) sessionStorage.setItem(KEY_ITEM, key.trim());
      askingForKey = null;
      resolve(Boolean(key && key.trim()));
    });
    return askingForKey;
  }

  async function fetchJSON(path, options = {}) {
    for (let attempt = 0; ; attempt++) {
      const key = sessionStorage.getItem(KEY_ITEM);
      const headers = { ...(options.headers || {}), ...(key ? { Authorization: `Bearer ${key}` } : {}) };
      const response = await fetch(base + path, { ...options, headers });
      const data = await response.json().catch(() => ({}));
      if (response.status === 401 && attempt === 0 && (await askForKey())) continue;
      if (!response.ok) throw new Error(data?.error?.message || `HTTP ${response.status}`);
      return data;
    }
  }

  function postJSON(path, body, signal) {
    return fetchJSON(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  }

  return {
    async info() {
      const info = await fetchJSON("/api/info");
      return { name: info.model_id, ...(info.model || {}) };
    },
    async predict(body, signal) { return (await postJSON("/api/predict", body, signal)).predictions; },
    async completions(body) { return (await postJSON("/api/completions", body)).completions; },
    async generate(body) { return (await postJSON("/api/generate", body)).text; },
    // the optional parts (the page uses them only when info() says the model has them)
    async search(body, signal) { return postJSON("/api/search", body, signal); },
    async correct(body, signal) { return postJSON("/api/correct", body, signal); },
  };
}

/** The same questions answered in the tab by a next-token.js model (or a promise of one). */
export function localBackend(model) {
  const ready = Promise.resolve(model);
  return {
    async info() {
      const lm = await ready;
      return { name: "in this tab", ...lm.info() };
    },
    async predict({ context, k, prefix }) {
      return (await ready).predict(context, { k, prefix: prefix || null });
    },
    async completions({ prompt, k, max_tokens }) {
      return (await ready).completions(prompt, { k, maxTokens: max_tokens });
    },
    async generate({ prompt, max_tokens, temperature, seed }) {
      return (await ready).generate(prompt, { maxTokens: max_tokens, temperature, seed });
    },
  };
}

export function startPage(backend) {
  const $ = (id) => document.getElementById(id);
  const textEl = $("text");
  const suggestionsEl = $("suggestions");
  const completionsBox = $("completions-box");
  const completionsEl = $("completions");
  const completionsTitle = $("completions-title");
  const statusEl = $("status");
  const modeEl = $("mode");
  const temperatureEl = $("temperature");

  let suggestions = [];      // [{token, probability, text}] as /api/predict returns them
  let answered = null;       // the query `suggestions` answers: {context, prefix, caret}
  let completions = [];      // [{text, probability}]
  let completionsCaret = 0;  // where completions insert
  let justAccepted = false;  // right after accepting, predict the following word, not a prefix
  let sentenceStart = false; // right after accepting the end of a sentence
  let timer = 0;
  let pending = false;       // a refresh is scheduled or in flight
  let controller = null;
  let seq = 0;
  let sampleSeed = 1;
  let spelling = null;       // the spelling panel, when the model has a lexicon

  function setStatus(message, isError = false) {
    statusEl.textContent = message;
    statusEl.classList.toggle("error", isError);
  }

  // {context, prefix, caret} and `send`, the context the model is asked about
  function currentQuery() {
    const caret = textEl.selectionStart ?? textEl.value.length;
    const before = textEl.value.slice(0, caret);
    let context = before;
    let prefix = "";
    if (!justAccepted) {
      const m = before.match(PARTIAL_WORD);
      if (m) [context, prefix] = [before.slice(0, m.index), m[0]];
    }
    const send = sentenceStart || SENTENCE_ENDED.test(context) ? "" : context;
    return { context, prefix, caret, send };
  }

  const sameQuery = (a, b) =>
    a && b && a.context === b.context && a.prefix === b.prefix && a.caret === b.caret && a.send === b.send;

  function formatProbability(p) {
    if (p >= 0.001) return `${(100 * p).toFixed(p >= 0.1 ? 0 : 1)}%`;
    return p.toExponential(1);
  }

  function displayToken(token) {
    if (token === "</s>") return "¶ end of sentence";
    if (token === "<unk>") return "‹unknown›";
    return token.replace(/\u2581/g, "␣");
  }

  // A typo match (distance > 0) is marked "≈" so that "Christine" under "Chirs" explains itself.
  function markTypo(span, distance, typed) {
    const why = distance > 0 ? `typo match: ${distance} ${distance === 1 ? "edit" : "edits"} from “${typed}”` : "";
    span.hidden = !why;
    span.textContent = why ? "≈" : "";
    span.title = why;
    span.setAttribute("role", "img");
    span.setAttribute("aria-label", why);
  }

  // Draw items [{label, probability, distance?}] as bars, reusing the existing rows. Bars compare the items
  // with the first one; completions (whole phrases, whose probabilities span orders of magnitude
  // and which the model ranks by more than probability) get the number only.
  function render(listEl, items, withBars = true) {
    const top = Math.max(1e-12, ...items.map((it) => it.probability || 0));
    while (listEl.children.length > items.length) listEl.lastElementChild.remove();
    while (listEl.children.length < items.length) {
      const li = document.createElement("li");
      for (const cls of ["bar", "typo", "label", "prob"]) {
        const span = document.createElement("span");
        span.className = cls;
        li.appendChild(span);
      }
      listEl.appendChild(li);
    }
    items.forEach((it, i) => {
      const li = listEl.children[i];
      li.dataset.index = String(i);
      const known = Number.isFinite(it.probability);
      li.title = known ? `p = ${it.probability}` : "";
      const [bar, typo, label, prob] = li.children;
      if (label.textContent !== it.label) label.textContent = it.label;
      markTypo(typo, it.distance, it.typed);
      bar.style.width = withBars ? `${(100 * it.probability) / top}%` : "0";
      prob.textContent = known ? formatProbability(it.probability) : "";
    });
    listEl.classList.toggle("empty", items.length === 0);
  }

  function schedule() {
    pending = true;
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  async function refresh() {
    clearTimeout(timer);
    pending = true;
    const query = currentQuery();
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = ++seq;
    const started = performance.now();
    try {
      const body = { context: query.send, k: K };
      if (query.prefix) body.prefix = query.prefix;
      const found = await backend.predict(body, controller.signal);
      if (mine !== seq) return;
      suggestions = found;
      answered = query;
      render(suggestionsEl, suggestions.map((p) => ({
        label: displayToken(p.token), probability: p.probability, distance: p.distance, typed: query.prefix })));
      modeEl.textContent = query.prefix ? `words starting with “${query.prefix}”` : "next word";
      setStatus(`${Math.round(performance.now() - started)} ms`);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (mine === seq) setStatus(err.message, true);
    } finally {
      if (mine === seq) pending = false;
    }
  }

  function insertAt(start, end, insert) {
    const value = textEl.value;
    textEl.value = value.slice(0, start) + insert + value.slice(end);
    const caret = start + insert.length;
    textEl.setSelectionRange(caret, caret);
    textEl.focus();
    spelling?.textChanged(); // no input event for a change made here
  }

  function accept(index) {
    const p = suggestions[index];
    if (!p || !answered) return;
    let text = p.text;
    sentenceStart = p.token === "</s>";
    if (sentenceStart && !/\s$/.test(answered.context)) text = " ";
    insertAt(answered.caret - answered.prefix.length, answered.caret, text);
    justAccepted = true;
    hideCompletions();
    refresh();
  }

  async function acceptFirst() {
    // Suggestions may be a keystroke behind: then ask now and accept the fresh first one.
    if (!sameQuery(currentQuery(), answered)) await refresh();
    if (sameQuery(currentQuery(), answered)) accept(0);
  }

  function promptBeforeCaret() {
    const caret = textEl.selectionStart ?? textEl.value.length;
    return [textEl.value.slice(0, caret), caret];
  }

  function showList(title, items, caret, started) {
    completions = items;
    completionsCaret = caret;
    completionsTitle.textContent = title;
    render(completionsEl, completions.map((c) => ({ label: c.text.trimStart() || "(end)", probability: c.probability })), false);
    completionsBox.hidden = false;
    setStatus(`${Math.round(performance.now() - started)} ms`);
  }

  async function showCompletions() {
    const [prompt, caret] = promptBeforeCaret();
    if (!prompt.trim()) {
      setStatus("type a few words first", true);
      return;
    }
    try {
      const started = performance.now();
      const found = await backend.completions({ prompt, k: COMPLETIONS, max_tokens: COMPLETION_TOKENS });
      showList("Completions", found, caret, started);
    } catch (err) {
      setStatus(err.message, true);
    }
  }

  async function showSamples() {
    const [prompt, caret] = promptBeforeCaret();
    const temperature = Math.min(Math.max(Number(temperatureEl?.value) || 0.8, 0), 5);
    try {
      const started = performance.now();
      const texts = [];
      for (let i = 0; i < SAMPLES; i++) {
        const seed = sampleSeed++;
        texts.push(await backend.generate({ prompt, max_tokens: SAMPLE_TOKENS, temperature, seed }));
      }
      const items = [...new Set(texts)].filter((t) => t.trim()).map((text) => ({ text, probability: NaN }));
      showList(`Samples at temperature ${temperature}`, items, caret, started);
    } catch (err) {
      setStatus(err.message, true);
    }
  }

  function hideCompletions() {
    completionsBox.hidden = true;
  }

  function acceptCompletion(index) {
    const c = completions[index];
    if (!c) return;
    insertAt(completionsCaret, completionsCaret, c.text);
    justAccepted = true;
    sentenceStart = false;
    hideCompletions();
    refresh();
  }

  // ---- events ----------------------------------------------------------------------------------

  textEl.addEventListener("input", () => {
    justAccepted = false;
    sentenceStart = false;
    hideCompletions();
    schedule();
  });

  textEl.addEventListener("keydown", (e) => {
    if (e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      if (suggestions.length || pending) {
        e.preventDefault();
        acceptFirst();
      }
    } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      showCompletions();
    } else if (e.key === "Enter" && e.altKey) {
      e.preventDefault();
      showSamples();
    } else if (e.key === "Escape") {
      hideCompletions();
    }
  });

  // moving the caret changes what comes before it
  textEl.addEventListener("keyup", (e) => {
    if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"].includes(e.key)) {
      justAccepted = false;
      sentenceStart = false;
      schedule();
    }
  });
  textEl.addEventListener("click", () => {
    justAccepted = false;
    sentenceStart = false;
    schedule();
  });

  function pickFrom(listEl, onPick) {
    // mousedown would move the focus away from the text box; keep it there
    listEl.addEventListener("mousedown", (e) => e.preventDefault());
    listEl.addEventListener("click", (e) => {
      const li = e.target.closest("li");
      if (li && listEl.contains(li)) onPick(Number(li.dataset.index));
    });
  }
  pickFrom(suggestionsEl, accept);
  pickFrom(completionsEl, acceptCompletion);
  for (const [id, action] of [["complete-btn", showCompletions], ["sample-btn", showSamples]]) {
    const button = $(id);
    if (!button) continue;
    button.addEventListener("mousedown", (e) => e.preventDefault());
    button.addEventListener("click", action);
  }

  backend.info()
    .then((m) => {
      const parts = [m.name];
      if (m.order) parts.push(`order ${m.order}`);
      if (m.vocab_size) parts.push(`${Number(m.vocab_size).toLocaleString()} tokens in the vocabulary`);
      $("model").textContent = parts.filter(Boolean).join(" · ");
      // the optional parts: only what both the model and the backend can do
      if (m.index === true && backend.search) document.querySelector("main").append(searchPanel(backend));
      if (m.spelling === true && backend.correct) {
        spelling = spellingPanel(backend, textEl, () => {
          justAccepted = false;
          sentenceStart = false;
          schedule();
        });
      }
    })
    .catch((err) => {
      $("model").textContent = `model unavailable: ${err.message}`;
      setStatus(err.message, true);
    });

  refresh();
}

// ---- small DOM helpers ----------------------------------------------------------------------------

/** An element with attributes and children: el("button", { type: "button" }, "more"). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name === "hidden") node.hidden = Boolean(value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/** Replace [start, end) of the textarea's text, the caret staying with the text around it. */
function replaceRange(textEl, start, end, insert) {
  const value = textEl.value;
  const caret = textEl.selectionStart ?? value.length;
  textEl.value = value.slice(0, start) + insert + value.slice(end);
  const moved = caret >= end ? caret + insert.length - (end - start) : caret > start ? start + insert.length : caret;
  textEl.setSelectionRange(moved, moved);
}

// ---- search: a model with a corpus index -----------------------------------------------------------

const SEARCH_PAGE = 10;    // hits per request; "more" asks for the next ones
const SEARCH_CONTEXT = 10; // tokens shown either side of a hit
const SENTENCE_MARKS = new Map([["<s>", "‹sentence start›"], ["</s>", "‹sentence end›"]]);

/** The search box: type a phrase, Enter, and see how often the training text has it, where
 *  (file:line and the words around each hit), and the words seen most often just before and
 *  after it (a click on one searches the longer phrase). Returns the section to add. */
function searchPanel(backend) {
  const phraseEl = el("input", { id: "search-phrase", type: "search", autocomplete: "off", spellcheck: "false",
    placeholder: "a phrase, then Enter" });
  const caseEl = el("input", { id: "search-case", type: "checkbox" });
  const countEl = el("p", { id: "search-count", class: "muted", "aria-live": "polite" });
  const beforeEl = el("p", { id: "search-before", class: "neighbours", hidden: true });
  const afterEl = el("p", { id: "search-after", class: "neighbours", hidden: true });
  const hitsEl = el("ol", { id: "search-hits", class: "hits" });
  const moreEl = el("button", { id: "search-more", type: "button", hidden: true }, "more");
  const form = el("form", { role: "search", class: "search-form" },
    el("label", { for: "search-phrase", class: "visually-hidden" }, "Phrase to search for"), phraseEl,
    el("button", { type: "submit" }, "Search"),
    el("label", { class: "muted" }, caseEl, "match case"));

  let query = null;  // {phrase, ignore_case}: what the hits shown answer
  let shown = 0;
  let total = 0;
  let controller = null;

  function ask(q, offset) {
    controller?.abort(); // a new search, or "more", supersedes the request in flight
    controller = new AbortController();
    return backend.search({ ...q, offset, limit: SEARCH_PAGE, context: SEARCH_CONTEXT }, controller.signal);
  }

  function fail(err) {
    if (err.name === "AbortError") return;
    countEl.textContent = err.message;
    countEl.classList.add("error");
  }

  async function search(phrase) {
    phrase = phrase.trim();
    if (!phrase) return;
    const q = { phrase, ignore_case: !caseEl.checked };
    countEl.classList.remove("error");
    countEl.textContent = "searching…";
    try {
      const found = await ask(q, 0);
      query = q; // "more" pages this one from now on
      total = found.count;
      shown = 0;
      hitsEl.replaceChildren();
      countEl.textContent = describeCount(phrase, total);
      showNeighbours(beforeEl, "before", found.before, (w) => `${w} ${phrase}`);
      showNeighbours(afterEl, "after", found.after, (w) => `${phrase} ${w}`);
      addHits(found.hits);
    } catch (err) {
      fail(err);
    }
  }

  async function more() {
    try {
      addHits((await ask(query, shown)).hits);
    } catch (err) {
      fail(err);
    }
  }

  function addHits(hits) {
    hitsEl.append(...hits.map(hitItem));
    shown += hits.length;
    moreEl.hidden = shown >= total;
    moreEl.textContent = `more (${(total - shown).toLocaleString()} left)`;
  }

  function showNeighbours(line, label, counts, extend) {
    line.replaceChildren(el("span", { class: "muted" }, `${label}:`));
    for (const { token, count } of counts) {
      const chip = el("button", { type: "button", class: "chip", title: `${count.toLocaleString()} times` },
        SENTENCE_MARKS.get(token) ?? token, el("span", { class: "count" }, count.toLocaleString()));
      if (SENTENCE_MARKS.has(token)) chip.disabled = true; // not a word one could search for
      else chip.addEventListener("click", () => { phraseEl.value = extend(token); search(phraseEl.value); });
      line.append(chip);
    }
    line.hidden = counts.length === 0;
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    search(phraseEl.value);
  });
  caseEl.addEventListener("change", () => query && search(query.phrase));
  moreEl.addEventListener("click", more);
  return el("section", { id: "search-box", "aria-labelledby": "search-title" },
    el("h2", { id: "search-title" }, "Search the training text"), form, countEl, beforeEl, afterEl, hitsEl, moreEl);
}

function describeCount(phrase, count) {
  if (count === 0) return `“${phrase}” is not in the training text`;
  return `${count.toLocaleString()} ${count === 1 ? "occurrence" : "occurrences"} of “${phrase}”`;
}

/** One hit: where it is (file name:line; the whole source in the tooltip) and its line of text,
 *  the match highlighted. */
function hitItem(hit) {
  const where = hit.source == null ? `#${hit.position}` : `${hit.source.split(/[\\/]/).pop()}:${hit.line}`;
  const after = hit.after && !/^[.,;:!?)\]}’”'"]/u.test(hit.after) ? ` ${hit.after}` : hit.after;
  return el("li", {},
    el("span", { class: "where", title: hit.source ?? "" }, where),
    el("span", { class: "kwic" }, hit.before ? `${hit.before} ` : "", el("mark", {}, hit.match), after));
}

// ---- spelling: a model with a lexicon ------------------------------------------------------------

const SPELL_DEBOUNCE_MS = 400;      // check once the typist pauses, not at every keystroke
const SPELL_BEFORE = 3000;          // UTF-16 units of text sent before the caret (the server takes 10,000)
const SPELL_AFTER = 1000;           // ... and after it
const AUTOCORRECT_CONFIDENCE = 0.9; // replace a word as it is typed only when the model is this sure
const AUTOCORRECT_ITEM = "ntp-autocorrect";
const ENDS_WORD = /^[\s.,;:!?…)\]}"”]$/u; // a character typed after a word finishes it
const LAST_WORD = /(?<![\p{L}\p{M}\p{N}_'’-])\p{L}[\p{L}\p{M}'’-]*$/u; // the word before that
// the textarea's look that decides where its text wraps: the mirror behind it copies it
const MIRRORED = ["fontFamily", "fontSize", "fontWeight", "fontStyle", "fontStretch", "lineHeight", "letterSpacing",
  "wordSpacing", "textIndent", "textTransform", "tabSize", "paddingTop", "paddingLeft", "paddingBottom",
  "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth", "borderRadius"];

/** The part of `text` to send with a request about [start, end): at most `before` units before it
 *  and `after` after it, cut at whitespace, since a word sent in part would look misspelled (and
 *  whitespace is never half of a surrogate pair, which the server would refuse). Returns the part
 *  and where it starts in `text`: the edits' offsets count from there. */
function textAround(text, start, end, before, after) {
  let from = Math.max(0, start - before);
  if (from > 0) {
    const space = text.slice(from, start).search(/\s/);
    from = space < 0 ? start : from + space + 1;
  }
  let to = Math.min(text.length, end + after);
  if (to < text.length) {
    const tail = text.slice(end, to);
    const space = Math.max(tail.lastIndexOf(" "), tail.lastIndexOf("\n"), tail.lastIndexOf("\t"));
    to = space < 0 ? end : end + space;
  }
  return { base: from, text: text.slice(from, to) };
}

/** Spell-checking the text box:
 *  - after a pause in typing, /api/correct checks the text around the caret; each suspected
 *    misspelling is underlined (in a mirror of the text drawn behind the transparent textarea:
 *    a textarea cannot style parts of its text) and listed under it as a one-click fix;
 *  - autocorrect: when a word is finished (a space or punctuation typed after it) and the model is
 *    at least AUTOCORRECT_CONFIDENCE sure it is a typo, it is replaced at once, with a note whose
 *    "undo" (or Ctrl+Z right after) restores the word as typed; such a word is then left alone.
 *    A checkbox turns autocorrect off, remembered in localStorage.
 *  `onTextChanged()` is called after the panel changes the text (no input event fires then);
 *  the page calls `textChanged()` after it does. */
function spellingPanel(backend, textEl, onTextChanged) {
  const mirror = el("div", { class: "mirror", "aria-hidden": "true" });
  const editor = el("div", { class: "editor" });
  const statusEl = el("span", { id: "spelling-status", class: "muted", "aria-live": "polite" });
  const flagsEl = el("ul", { id: "misspellings", class: "flags", "aria-label": "Possible misspellings" });
  const noteEl = el("span", { id: "autocorrect-note", class: "note", "aria-live": "polite" });
  const autocorrectEl = el("input", { id: "autocorrect", type: "checkbox" });
  const panel = el("div", { id: "spelling", class: "spelling" }, statusEl, flagsEl, noteEl,
    el("label", { class: "muted" }, autocorrectEl, "autocorrect"));

  let flags = [];         // [{start, end, original, replacement, confidence}]: offsets into textEl.value
  let corrected = null;   // the last autocorrection: {start, typed, replacement}
  let undoByKey = false;  // Ctrl+Z undoes it: nothing was typed since
  const kept = new Set(); // words the user restored: never flagged nor autocorrected again here
  let timer = 0;
  let controller = null;

  // Move the textarea into the editor, over its mirror, keeping its focus and caret.
  const hadFocus = document.activeElement === textEl;
  const [selStart, selEnd] = [textEl.selectionStart, textEl.selectionEnd];
  textEl.replaceWith(editor);
  editor.append(mirror, textEl);
  editor.after(panel);
  if (hadFocus) {
    textEl.focus();
    textEl.setSelectionRange(selStart, selEnd);
  }
  autocorrectEl.checked = readSetting() !== "off";

  // ---- the underlines

  /** Give the mirror the textarea's box and font, so its text wraps at the same places. */
  function fitMirror() {
    const style = getComputedStyle(textEl);
    for (const name of MIRRORED) mirror.style[name] = style[name];
    // the textarea's scrollbar narrows its text; the mirror has none: pad it by as much
    const scrollbar = textEl.offsetWidth - textEl.clientWidth
      - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth);
    mirror.style.paddingRight = `${parseFloat(style.paddingRight) + scrollbar}px`;
    mirror.style.width = `${textEl.offsetWidth}px`;
    mirror.style.height = `${textEl.offsetHeight}px`;
    syncScroll();
  }

  function syncScroll() {
    mirror.scrollTop = textEl.scrollTop;
    mirror.scrollLeft = textEl.scrollLeft;
  }

  /** The flags still true of the text (typing elsewhere may have moved or changed their words). */
  function liveFlags() {
    const value = textEl.value;
    return flags.filter((f) => value.slice(f.start, f.end) === f.original && !kept.has(f.original));
  }

  function draw() {
    const value = textEl.value;
    const live = liveFlags();
    const parts = [];
    let last = 0;
    for (const f of live) {
      parts.push(value.slice(last, f.start), el("mark", {}, f.original));
      last = f.end;
    }
    // a zero-width space: a final line break makes a line in a textarea, not in a div without it
    parts.push(value.slice(last) + "\u200b");
    mirror.replaceChildren(...parts);
    syncScroll();
    flagsEl.replaceChildren(...live.map(fixItem));
    statusEl.textContent = live.length ? `${live.length} possible ${live.length === 1 ? "misspelling" : "misspellings"}:` : "";
  }

  function fixItem(flag) {
    const button = el("button", { type: "button", class: "fix",
      title: `replace “${flag.original}” with “${flag.replacement}” (${Math.round(100 * flag.confidence)}% sure)` },
      el("s", {}, flag.original), " → ", flag.replacement);
    button.addEventListener("mousedown", (e) => e.preventDefault()); // keep the focus in the text
    button.addEventListener("click", () => fix(flag));
    return el("li", {}, button);
  }

  function fix(flag) {
    if (textEl.value.slice(flag.start, flag.end) === flag.original) {
      replaceRange(textEl, flag.start, flag.end, flag.replacement);
      const shift = flag.replacement.length - flag.original.length;
      flags = flags.filter((f) => f !== flag).map((f) => (f.start > flag.start ? { ...f, start: f.start + shift, end: f.end + shift } : f));
    }
    textEl.focus();
    changed();
  }

  // ---- checking the text

  /** Whether `text` stops mid-sentence (being typed): then its end is not scored as a sentence
   *  end, or "He came from the hosue " would keep "hosue" until a full stop is typed. */
  function openEnd(text) {
    return !/[.!?]["'”’)\]]*\s*$/.test(text);
  }

  function scheduleCheck() {
    clearTimeout(timer);
    timer = setTimeout(check, SPELL_DEBOUNCE_MS);
  }

  async function check() {
    const caret = textEl.selectionStart ?? textEl.value.length;
    const sent = textAround(textEl.value, caret, caret, SPELL_BEFORE, SPELL_AFTER);
    controller?.abort();
    controller = new AbortController();
    try {
      const found = sent.text.trim() ? await backend.correct({ text: sent.text, open_end: openEnd(sent.text) }, controller.signal) : { edits: [] };
      // an answer about a text that has changed since is dropped: the change scheduled a new check
      if (textEl.value.slice(sent.base, sent.base + sent.text.length) !== sent.text) return;
      flags = found.edits.map((e) => ({ ...e, start: sent.base + e.start_utf16, end: sent.base + e.end_utf16 }));
      draw();
    } catch (err) {
      if (err.name !== "AbortError") statusEl.textContent = `spelling: ${err.message}`;
    }
  }

  // ---- autocorrect

  /** The word that ends just before `boundary` (a space or punctuation just typed) and the
   *  model is sure is a typo: replaced, with a note to undo it. */
  async function autocorrect(boundary) {
    const value = textEl.value;
    const word = value.slice(0, boundary).match(LAST_WORD)?.[0];
    if (!word || kept.has(word)) return;
    const start = boundary - word.length;
    const sent = textAround(value, start, boundary + 1, SPELL_BEFORE, 0);
    let found;
    try {
      found = await backend.correct({ text: sent.text, open_end: openEnd(sent.text) });
    } catch {
      return; // the next check reports what is wrong
    }
    const edit = found.edits.find((e) => sent.base + e.start_utf16 === start && sent.base + e.end_utf16 === boundary);
    if (!edit || edit.confidence < AUTOCORRECT_CONFIDENCE || !autocorrectEl.checked) return;
    // typing went on meanwhile: correct only the very word that was asked about
    if (textEl.value.slice(start, boundary) !== word || !ENDS_WORD.test(textEl.value[boundary] ?? "")) return;
    replaceRange(textEl, start, boundary, edit.replacement);
    corrected = { start, typed: word, replacement: edit.replacement };
    undoByKey = true;
    showNote();
    changed();
  }

  function showNote() {
    const undo = el("button", { type: "button", id: "autocorrect-undo", class: "link" }, "undo");
    undo.addEventListener("mousedown", (e) => e.preventDefault());
    undo.addEventListener("click", undoCorrection);
    noteEl.replaceChildren(`autocorrected “${corrected.typed}” → “${corrected.replacement}” (`, undo, ")");
  }

  /** Put back the word as typed, if the correction is still where it was made. */
  function undoCorrection() {
    const c = corrected;
    corrected = null;
    undoByKey = false;
    noteEl.replaceChildren();
    if (!c) return;
    const end = c.start + c.replacement.length;
    if (textEl.value.slice(c.start, end) === c.replacement) {
      replaceRange(textEl, c.start, end, c.typed);
      kept.add(c.typed);
      noteEl.textContent = `kept “${c.typed}”`;
    }
    textEl.focus();
    changed();
  }

  function readSetting() {
    try {
      return localStorage.getItem(AUTOCORRECT_ITEM);
    } catch {
      return null; // storage blocked: autocorrect on, not remembered
    }
  }

  autocorrectEl.addEventListener("change", () => {
    try {
      localStorage.setItem(AUTOCORRECT_ITEM, autocorrectEl.checked ? "on" : "off");
    } catch {
      // storage blocked: the choice lasts for this page only
    }
  });

  // ---- events

  /** The text changed: redraw at once (the underlines must follow the text), check after a pause. */
  function textChanged() {
    if (corrected && textEl.value.slice(corrected.start, corrected.start + corrected.replacement.length) !== corrected.replacement) {
      corrected = null; // the corrected word was edited away: nothing left to undo
      noteEl.replaceChildren();
    }
    draw();
    scheduleCheck();
  }

  function changed() {
    textChanged();
    onTextChanged();
  }

  textEl.addEventListener("input", (e) => {
    undoByKey = false; // from now on Ctrl+Z is the browser's: it undoes the typing
    textChanged();
    // one space or punctuation mark typed after a word (not a paste, nor text put in at once)
    const finished = (e.inputType === "insertText" && e.data?.length === 1 && ENDS_WORD.test(e.data))
      || e.inputType === "insertLineBreak";
    const boundary = (textEl.selectionStart ?? 0) - 1;
    if (finished && autocorrectEl.checked && ENDS_WORD.test(textEl.value[boundary] ?? "")) autocorrect(boundary);
  });
  textEl.addEventListener("keydown", (e) => {
    const undoKey = (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "z";
    if (undoKey && undoByKey && corrected) {
      e.preventDefault();
      undoCorrection();
    }
  });
  textEl.addEventListener("scroll", syncScroll);
  new ResizeObserver(fitMirror).observe(textEl);
  fitMirror();
  draw();
  if (textEl.value.trim()) scheduleCheck();
  return { textChanged };
}
