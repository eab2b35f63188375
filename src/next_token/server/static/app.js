// The autocomplete page: as you type, the likeliest next words appear as probability bars.
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
// sentence.
"use strict";

(() => {
  const K = 8;
  const COMPLETIONS = 5;
  const COMPLETION_TOKENS = 12;
  const DEBOUNCE_MS = 120;
  const PARTIAL_WORD = /[\p{L}\p{N}_][\p{L}\p{N}_'’-]*$/u;
  const SENTENCE_ENDED = /[.!?…]["'”’)\]]*\s+$/u;

  const $ = (id) => document.getElementById(id);
  const textEl = $("text");
  const suggestionsEl = $("suggestions");
  const completionsBox = $("completions-box");
  const completionsEl = $("completions");
  const statusEl = $("status");
  const modeEl = $("mode");

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

  async function postJSON(path, body, signal) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data?.error?.message || `HTTP ${response.status}`);
    return data;
  }

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
    const top = Math.max(1e-12, ...items.map((it) => it.probability));
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
      li.title = `p = ${it.probability}`;
      const [bar, label, prob] = li.children;
      if (label.textContent !== it.label) label.textContent = it.label;
      bar.style.width = withBars ? `${(100 * it.probability) / top}%` : "0";
      prob.textContent = formatProbability(it.probability);
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
      const data = await postJSON("/api/predict", body, controller.signal);
      if (mine !== seq) return;
      suggestions = data.predictions;
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

  async function showCompletions() {
    const caret = textEl.selectionStart ?? textEl.value.length;
    const prompt = textEl.value.slice(0, caret);
    if (!prompt.trim()) {
      setStatus("type a few words first", true);
      return;
    }
    try {
      const started = performance.now();
      const data = await postJSON("/api/completions", { prompt, k: COMPLETIONS, max_tokens: COMPLETION_TOKENS });
      completions = data.completions;
      completionsCaret = caret;
      render(completionsEl, completions.map((c) => ({ label: c.text.trimStart() || "(end)", probability: c.probability })), false);
      completionsBox.hidden = false;
      setStatus(`${Math.round(performance.now() - started)} ms`);
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
  $("complete-btn").addEventListener("mousedown", (e) => e.preventDefault());
  $("complete-btn").addEventListener("click", showCompletions);

  fetch("/api/info")
    .then((r) => r.json())
    .then((info) => {
      const m = info.model || {};
      const parts = [info.model_id];
      if (m.order) parts.push(`order ${m.order}`);
      if (m.vocab_size) parts.push(`${Number(m.vocab_size).toLocaleString()} tokens in the vocabulary`);
      $("model").textContent = parts.join(" · ");
    })
    .catch(() => ($("model").textContent = "model info unavailable"));

  refresh();
})();
