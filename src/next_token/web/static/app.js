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

  // Draw items [{label, probability}] as bars, reusing the existing rows. Bars compare the items
  // with the first one; completions (whole phrases, whose probabilities span orders of magnitude
  // and which the model ranks by more than probability) get the number only.
  function render(listEl, items, withBars = true) {
    const top = Math.max(1e-12, ...items.map((it) => it.probability || 0));
    while (listEl.children.length > items.length) listEl.lastElementChild.remove();
    while (listEl.children.length < items.length) {
      const li = document.createElement("li");
      for (const cls of ["bar", "label", "prob"]) {
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
      const [bar, label, prob] = li.children;
      if (label.textContent !== it.label) label.textContent = it.label;
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
      render(suggestionsEl, suggestions.map((p) => ({ label: displayToken(p.token), probability: p.probability })));
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
    })
    .catch((err) => {
      $("model").textContent = `model unavailable: ${err.message}`;
      setStatus(err.message, true);
    });

  refresh();
}
