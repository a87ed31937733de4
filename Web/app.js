// The HDRec page: a client of the same JSON API that product backends use (POST
// /recommend, GET /items, GET /model, GET /readyz), same-origin. Served under a CSP that
// forbids inline script and eval, so everything is wired here with addEventListener, and
// text from the catalog only ever enters the page through textContent.
'use strict';

const $ = (id) => document.getElementById(id);

// An element with a class and text (text only: catalog titles never become markup).
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A button whose spoken name says what it does to which item.
function button(text, label, onClick, className) {
  const node = el('button', className, text);
  node.type = 'button';
  if (label) node.setAttribute('aria-label', label);
  node.addEventListener('click', onClick);
  return node;
}

const state = {
  history: [],          // [{id, title}], oldest first
  k: 10,
  fusion: null,         // null until the manifest gives the bundle's default
  alpha: null,
  apiKey: null,         // memory only: never written to storage, gone with the tab
  search: { q: '', cursor: null, seq: 0 },
  recommendSeq: 0,
};

// ---------------------------------------------------------------- API

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
  if (state.apiKey) headers.Authorization = 'Bearer ' + state.apiKey;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) { askForKey(); throw new Unauthorized('an API key is required'); }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new Error(detail ? `${detail} (${response.status})` : `HTTP ${response.status} on ${path}`);
  }
  return body;
}

function showError(error) {
  if (error instanceof Unauthorized) return;
  $('error').textContent = String(error.message || error);
  $('error').hidden = false;
}

function clearError() { $('error').hidden = true; }

// ---------------------------------------------------------------- deep link

// /?history=ID1,ID2&k=10[&fusion=...&alpha=...]: the ids are split on raw commas and
// then each is percent-decoded, so an id holding a comma travels as %2C.
function readLink() {
  const raw = location.search.replace(/^\?/, '').split('&');
  const link = {};
  for (const piece of raw) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    link[piece.slice(0, eq)] = piece.slice(eq + 1);
  }
  const decode = (s) => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return null; } };
  const ids = link.history ? link.history.split(',').map(decode).filter((s) => s) : [];
  const k = parseInt(link.k, 10);
  const alpha = parseFloat(link.alpha);
  return {
    hasHistory: 'history' in link,  // "?history=" asks for an empty one
    ids,
    k: Number.isInteger(k) && k >= 1 ? k : null,
    fusion: link.fusion ? decode(link.fusion) : null,
    alpha: Number.isFinite(alpha) && alpha >= 0 && alpha <= 1 ? alpha : null,
  };
}

function linkFor() {
  const parts = [];
  if (state.history.length) parts.push('history=' + state.history.map((h) => encodeURIComponent(h.id)).join(','));
  parts.push('k=' + state.k);
  if (state.fusion) parts.push('fusion=' + encodeURIComponent(state.fusion));
  if (state.alpha !== null) parts.push('alpha=' + state.alpha);
  return '/?' + parts.join('&');
}

function updateLink() {
  const url = linkFor();
  $('deep-link').href = url;
  history.replaceState(null, '', url);
}

// ---------------------------------------------------------------- model and live versions

async function loadModel() {
  const manifest = await api('/model');
  const name = [manifest.dataset && manifest.dataset.name, manifest.base && manifest.base.file_name].filter(Boolean);
  $('bundle-name').textContent = name.join(' on ') || 'loaded';
  const fusion = manifest.fusion || {};
  if (state.fusion === null) state.fusion = fusion.method || 'text-dominant';
  if (state.alpha === null) state.alpha = typeof fusion.alpha === 'number' ? fusion.alpha : 0.5;
  if (manifest.adapters) showVersions({ text: manifest.adapters.text && manifest.adapters.text.version,
                                        id: manifest.adapters.id && manifest.adapters.id.version });
  renderMetrics(manifest.metrics || {});
  syncControls();
}

function renderMetrics(metrics) {
  const valid = metrics.valid || {}, test = metrics.test || {};
  const names = Array.from(new Set(Object.keys(valid).concat(Object.keys(test)))).sort(metricOrder);
  const body = $('metrics').tBodies[0];
  body.replaceChildren();
  for (const name of names) {
    const row = body.insertRow();
    const th = el('th', '', name);
    th.scope = 'row';
    row.appendChild(th);
    for (const split of [valid, test]) row.insertCell().textContent = typeof split[name] === 'number' ? split[name].toFixed(4) : '–';
  }
  if (!names.length) body.insertRow().insertCell().textContent = 'none recorded';
}

// NDCG before Recall before MRR, then by cutoff (NDCG@5 before NDCG@10).
function metricOrder(a, b) {
  const rank = (m) => [m.startsWith('NDCG') ? 0 : m.startsWith('Recall') ? 1 : 2, parseInt(m.split('@')[1] || '0', 10)];
  const [x, y] = [rank(a), rank(b)];
  return x[0] - y[0] || x[1] - y[1] || a.localeCompare(b);
}

function showVersions(v) {
  if (v.text) $('version-text').textContent = v.text;
  if (v.id) $('version-id').textContent = v.id;
}

// /readyz is open (no key) and names the pair serving now; a hot swap shows up here.
async function refreshLive() {
  try {
    const response = await fetch('/readyz');
    const body = await response.json();
    if (body.adapters) showVersions(body.adapters);
  } catch (e) { /* a restart in progress; the next poll will tell */ }
}

// ---------------------------------------------------------------- search

let searchTimer = null;

function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => runSearch(false), 120);
}

async function runSearch(more) {
  const q = $('search').value.trim();
  const seq = ++state.search.seq;
  if (!q) {
    $('search-results').replaceChildren();
    $('search-status').textContent = '';
    $('search-more').hidden = true;
    return;
  }
  let path = '/items?q=' + encodeURIComponent(q) + '&limit=20';
  if (more && state.search.cursor) path += '&cursor=' + encodeURIComponent(state.search.cursor);
  try {
    const page = await api(path);
    if (seq !== state.search.seq) return;  // a later keystroke already asked again
    clearError();
    if (!more) $('search-results').replaceChildren();
    for (const item of page.items) $('search-results').appendChild(searchRow(item));
    state.search.cursor = page.next_cursor;
    $('search-more').hidden = !page.next_cursor;
    const shown = $('search-results').children.length;
    $('search-status').textContent = page.total === 0 ? 'No title matches.' : `${shown} of ${page.total} matches`;
  } catch (e) { showError(e); }
}

function searchRow(item) {
  const add = button(undefined, `Add to history: ${item.title}`, () => addToHistory(item), 'add');
  add.dataset.itemId = item.id;
  add.append(el('span', 'title', item.title), el('span', 'id-label', ' ' + item.id));
  const li = el('li');
  li.appendChild(add);
  return li;
}

// ---------------------------------------------------------------- history

function addToHistory(item) {
  state.history.push({ id: item.id, title: item.title });
  renderHistory();
  scheduleRecommend();
}

function removeFromHistory(index) {
  state.history.splice(index, 1);
  renderHistory();
  // Keep keyboard focus in the list rather than losing it to <body>.
  const buttons = $('history').querySelectorAll('button');
  if (buttons.length) buttons[Math.min(index, buttons.length - 1)].focus(); else $('search').focus();
  scheduleRecommend();
}

function renderHistory() {
  const list = $('history');
  list.replaceChildren();
  state.history.forEach((item, index) => {
    const li = el('li');
    li.dataset.itemId = item.id;
    const row = el('span', 'row');
    row.append(el('span', 'title', item.title || item.id), el('span', 'id-label', item.id),
               button('Remove', `Remove from history: ${item.title || item.id}`, () => removeFromHistory(index)));
    li.appendChild(row);
    list.appendChild(li);
  });
  $('history-empty').hidden = state.history.length > 0;
  $('history-note').hidden = true;  // the sample note holds only until the history changes
  $('history-clear').hidden = state.history.length === 0;
}

// ---------------------------------------------------------------- settings

function syncControls() {
  $('k').value = state.k;
  if (state.fusion) $('fusion').value = state.fusion;
  if (state.alpha !== null) { $('alpha').value = state.alpha; $('alpha-value').textContent = Number(state.alpha).toFixed(2); }
}

function readControls() {
  const k = parseInt($('k').value, 10);
  if (Number.isInteger(k) && k >= 1) state.k = Math.min(k, 100);
  state.fusion = $('fusion').value;
  state.alpha = Number($('alpha').value);
  $('alpha-value').textContent = state.alpha.toFixed(2);
  scheduleRecommend();
}

// ---------------------------------------------------------------- recommendations

let recommendTimer = null;

function scheduleRecommend() {
  clearTimeout(recommendTimer);
  recommendTimer = setTimeout(recommend, 150);
}

async function recommend() {
  updateLink();
  const list = $('results');
  const seq = ++state.recommendSeq;
  if (!state.history.length) {
    list.replaceChildren();
    list.dataset.state = 'empty';
    $('results-status').textContent = 'Add items to the history to see recommendations.';
    return;
  }
  list.dataset.state = 'loading';
  list.classList.add('loading');
  $('results-status').textContent = 'Scoring…';
  const request = { history: state.history.map((h) => h.id), k: state.k, explain: true };
  if (state.fusion) request.fusion = state.fusion;
  if (state.alpha !== null) request.alpha = state.alpha;
  try {
    const answer = await api('/recommend', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request),
    });
    if (seq !== state.recommendSeq) return;
    clearError();
    renderResults(answer);
    showVersions(answer.adapters || {});
    const t = answer.timing_ms || {};
    $('results-status').textContent = `${answer.items.length} items in ${Math.round(t.total || 0)} ms ` +
      `(text pass ${Math.round(t.text_pass || 0)} ms, ID pass ${Math.round(t.id_pass || 0)} ms)`;
    list.dataset.state = 'ready';
  } catch (e) {
    if (seq !== state.recommendSeq) return;
    list.dataset.state = 'error';
    $('results-status').textContent = '';
    showError(e);
  } finally {
    if (seq === state.recommendSeq) list.classList.remove('loading');
  }
}

function renderResults(answer) {
  const items = answer.items;
  // One scale for both bars of every item, so lengths compare across items and passes.
  const scale = Math.max(1e-9, ...items.flatMap((it) => [Math.abs(it.text_score || 0), Math.abs(it.id_boost || 0)]));
  const list = $('results');
  list.replaceChildren();
  for (const item of items) {
    const li = el('li');
    li.dataset.itemId = item.id;
    const head = el('div', 'head');
    const score = el('span', 'score', item.score.toFixed(3));
    score.title = 'fused score';
    head.append(el('span', 'title', item.title), el('span', 'id-label', item.id), score,
                button('Add', `Add to history: ${item.title}`, () => addToHistory(item)));
    const bars = el('div', 'bars');
    bars.append(...bar('text', 'text', item.text_score, scale), ...bar('ID', 'id', item.id_boost, scale));
    li.append(head, bars);
    list.appendChild(li);
  }
}

// A label, a track with the value drawn from its middle, and the number. The width is set
// through the CSSOM, which the CSP allows (a style attribute would not be).
function bar(label, kind, value, scale) {
  const v = typeof value === 'number' ? value : 0;
  const track = el('span', 'track');
  track.setAttribute('role', 'img');
  track.setAttribute('aria-label', `${label} contribution ${v.toFixed(3)}`);
  const fill = el('span', `fill ${kind}${v < 0 ? ' neg' : ''}`);
  fill.style.width = `${(50 * Math.abs(v) / scale).toFixed(2)}%`;
  track.appendChild(fill);
  return [el('span', '', label), track, el('span', 'value', typeof value === 'number' ? value.toFixed(3) : '–')];
}

// ---------------------------------------------------------------- API key

let resumeAfterKey = null;

function askForKey() {
  $('key-form').hidden = false;
  $('api-key').focus();
}

async function onKeySubmit(event) {
  event.preventDefault();
  state.apiKey = $('api-key').value.trim() || null;
  $('api-key').value = '';
  $('key-form').hidden = true;
  if (resumeAfterKey) await resumeAfterKey();
}

// ---------------------------------------------------------------- start

// Everything that needs the key: run again once one is entered.
async function start(link) {
  try {
    await loadModel();
    if (!state.history.length && (link.ids.length || !link.hasHistory)) {
      // A deep link's ids, or, on a bare "/", a sample: the catalog's first two items.
      const found = await api(link.ids.length ? '/items?ids=' + link.ids.map(encodeURIComponent).join(',') : '/items?limit=2');
      state.history = found.items.map((it) => ({ id: it.id, title: it.title }));
      renderHistory();
      $('history-note').hidden = link.hasHistory;
    }
    clearError();
    await recommend();
  } catch (e) { showError(e); }
}

function init() {
  const link = readLink();
  if (link.k) state.k = Math.min(link.k, 100);
  if (link.fusion) state.fusion = link.fusion;
  if (link.alpha !== null) state.alpha = link.alpha;
  syncControls();
  renderHistory();

  $('search').addEventListener('input', onSearchInput);
  $('search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); runSearch(false); } });
  $('search-more').addEventListener('click', () => runSearch(true));
  $('history-clear').addEventListener('click', () => { state.history = []; renderHistory(); $('search').focus(); scheduleRecommend(); });
  for (const id of ['k', 'fusion', 'alpha']) $(id).addEventListener('input', readControls);
  $('key-form').addEventListener('submit', onKeySubmit);

  resumeAfterKey = () => start(link);
  start(link);
  refreshLive();
  setInterval(refreshLive, 10000);
}

document.addEventListener('DOMContentLoaded', init);
