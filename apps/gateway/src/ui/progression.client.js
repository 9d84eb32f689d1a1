/**
 * Live progress of a status page (ADR 016), served as /assets/progression.js from the gateway's own
 * origin (CSP `script-src 'self'`). Plain JavaScript for every browser a school runs, copied as is
 * into dist/ by the build; no dependency.
 *
 * It asks `<section id="progression" data-progress-url>` for the transfer's counters every 2.5 s,
 * less often while nothing changes or the gateway does not answer, and stops at a terminal state.
 * It updates the page in place (summary, state, each `<tr data-item-id>`'s `data-field` cells) and
 * tells assistive technologies, through the polite live region `#progression-annonce`, only what
 * matters: a new state, each quarter of the way, the end. When the state changes, what she can do
 * changes too (the answer to confirm, a button to retry): the page's `<main>` is then fetched and
 * replaced in place, keeping the live region, instead of reloading the page under her.
 * Without script the page has an « Actualiser » button; nothing here is needed to use it.
 */
(function () {
  'use strict';
  const FAST_MS = 2_500;
  const SLOW_MS = 30_000;
  const DOWN_MS = 60_000;

  const section = document.getElementById('progression');
  const url = section ? section.getAttribute('data-progress-url') : null;
  if (!section || !url || !url.startsWith('/')) return;

  let delay = FAST_MS;
  let state = section.getAttribute('data-state') || '';
  let analysis = section.getAttribute('data-analysis') || '';
  let quarter = -1;
  let stopped = false;

  function announce(text) {
    const region = document.getElementById('progression-annonce');
    if (!region) return;
    // A new text node each time, so that the same sentence twice is read twice.
    region.textContent = '';
    window.setTimeout(() => { region.textContent = text; }, 100);
  }

  function setText(root, field, text) {
    let changed = false;
    root.querySelectorAll(`[data-field="${field}"]`).forEach((cell) => {
      // A state is drawn as a DSFR badge: its words change, the badge stays.
      const el = cell.querySelector('.fr-badge') || cell;
      if (el.textContent !== text) {
        el.textContent = text;
        changed = true;
      }
    });
    return changed;
  }

  function applyInPlace(doc) {
    // Looked up each time: a replaced <main> holds a new section.
    const current = document.getElementById('progression') || document;
    let changed = setText(current, 'summary', doc.summary);
    const meter = current.querySelector('progress[data-field="meter"]');
    if (meter && meter.value !== doc.percent) {
      meter.value = doc.percent;
      meter.textContent = `${doc.percent} %`;
    }
    const rows = new Map(doc.rows.map((r) => [r.itemId, r]));
    document.querySelectorAll('tr[data-item-id]').forEach((tr) => {
      const row = rows.get(tr.getAttribute('data-item-id') || '');
      if (!row) return;
      changed = setText(tr, 'state', row.stateLabel) || changed;
      changed = setText(tr, 'bytes', row.bytesLabel) || changed;
      changed = setText(tr, 'percent', row.percentLabel) || changed;
    });
    return changed;
  }

  /** The state changed: what she may do changed with it. Replace <main>'s content, keep the live region. */
  async function replaceMain() {
    const res = await fetch(window.location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' }, cache: 'no-store' });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html');
    const main = document.querySelector('main');
    const next = fresh.querySelector('main');
    if (!main || !next) return;
    const region = document.getElementById('progression-annonce');
    const focusedId = document.activeElement && document.activeElement.id ? document.activeElement.id : '';
    main.replaceChildren(...Array.from(next.childNodes).map((n) => document.importNode(n, true)));
    const newRegion = document.getElementById('progression-annonce');
    if (region && newRegion && newRegion !== region) newRegion.replaceWith(region);
    if (fresh.title) document.title = fresh.title;
    const again = focusedId ? document.getElementById(focusedId) : null;
    if (again) again.focus();
  }

  async function tick() {
    let next = FAST_MS;
    try {
      const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        stopped = true; // logged out or gone: the « Actualiser » button says the rest
        return;
      }
      if (!res.ok) throw new Error(String(res.status));
      const doc = await res.json();
      const newQuarter = Math.floor(doc.percent / 25);
      const messages = [];
      const stateChanged = doc.state !== state || (doc.analysis ? doc.analysis.state : '') !== analysis;
      if (stateChanged) {
        await replaceMain().catch(() => undefined);
        messages.push(doc.analysis && doc.state === 'OFFERED' ? doc.analysis.message : `État du transfert : ${doc.stateLabel}.`);
      }
      const changed = applyInPlace(doc) || stateChanged;
      if (quarter >= 0 && newQuarter > quarter && !doc.terminal && newQuarter < 4) messages.push(`Progression : ${doc.percent} %. ${doc.summary}.`);
      if (doc.terminal && stateChanged) messages.push(`Transfert terminé : ${doc.summary}.`);
      quarter = newQuarter;
      state = doc.state;
      analysis = doc.analysis ? doc.analysis.state : '';
      if (messages.length) announce(messages.join(' '));
      if (doc.terminal) {
        stopped = true;
        return;
      }
      next = changed ? FAST_MS : Math.min(Math.round(delay * 1.5), SLOW_MS);
    } catch {
      next = Math.min(delay * 2, DOWN_MS);
    }
    delay = next;
  }

  async function loop() {
    await tick();
    if (!stopped) window.setTimeout(function () { void loop(); }, document.hidden ? Math.max(delay, SLOW_MS) : delay);
  }

  if (section.getAttribute('data-terminal') !== 'true') window.setTimeout(function () { void loop(); }, FAST_MS);
})();
