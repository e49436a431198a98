// The event page: lists live vouchers and keeps the counts current, signs users up and in
// (the session is shared with /book and /admin), claims, and shows the reader's own vouchers
// with their codes. Talks only to this origin's /api/v1.

import {
  $, call, confirmDialog, el, explain, formatDateTime, onSessionChange, sayIn, session, wireAccount,
} from "/assets/session.js";

const REFRESH_MS = 5000;
const say = sayIn($("status"));
const cards = new Map();   // voucher id -> { voucher, li, remaining, button, result, gone }
const claims = new Map();  // voucher id -> the reader's claim (with its code)

const outcomes = {
  already_claimed: "You already claimed this one.",
  sold_out: "Sold out. Too late this time!",
  not_open_yet: "Not open yet.",
  voucher_closed: "This voucher is closed.",
  not_found: "This voucher is gone.",
};

function coverOf(book) {
  if (book.cover_url) {
    return el("img", { class: "cover", src: book.cover_url, alt: `Cover of ${book.title}` });
  }
  return el("div", { class: "cover", "aria-hidden": "true", text: book.title.trim().charAt(0).toUpperCase() });
}

const opensIn = (v) => (v.opens_at ? Date.parse(v.opens_at) - Date.now() : 0);

function countdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

/** A code shown whole: it never wraps inside. */
const codeEl = (code) => el("span", { class: "code", text: code });

function paint(card) {
  const v = card.voucher;
  const claim = claims.get(v.id);
  const wait = opensIn(v);
  if (card.gone) {
    card.remaining.textContent = "Sold out or closed";
  } else if (wait > 0) {
    const at = formatDateTime(v.opens_at);
    card.remaining.textContent = `Opens at ${at}, in ${countdown(wait)}`;
  } else {
    card.remaining.textContent = `${v.remaining} of ${v.quantity} left`;
  }
  if (claim?.used_at) {
    card.button.textContent = "Used";
    card.button.disabled = true;
    card.result.className = "result used";
    card.result.replaceChildren(`Used ${formatDateTime(claim.used_at)}: this voucher is spent.`);
  } else if (claim) {
    card.button.textContent = "Claimed";
    card.button.disabled = true;
    card.result.className = "result";
    card.result.replaceChildren(claim.code ? "Claimed! Your code: " : "Claimed!", claim.code ? codeEl(claim.code) : "");
  } else {
    card.button.textContent = "Claim";
    card.button.disabled = card.busy || card.gone || wait > 0;
  }
}

function makeCard(voucher) {
  const title = voucher.book.title;
  const remaining = el("p", { class: "remaining" });
  const claimButton = el("button", { type: "button", class: "claim-button", "aria-label": `Claim a voucher for ${title}`, text: "Claim" });
  const result = el("p", { class: "result", "aria-live": "polite" });
  const body = el("div", { class: "card-body" }, el("h3", { text: title }),
    voucher.book.author ? el("p", { class: "author", text: voucher.book.author }) : null,
    remaining, claimButton, result);
  const li = el("li", { class: "card", "data-voucher-id": String(voucher.id) }, coverOf(voucher.book), body);
  const card = { voucher, li, remaining, button: claimButton, result, gone: false, busy: false };
  claimButton.addEventListener("click", () => claim(card));
  return card;
}

/** Updates the cards in place (no focus is lost); new vouchers slot in by id. */
async function loadVouchers() {
  const list = $("vouchers");
  const { ok, data } = await call("GET", "/events");
  list.setAttribute("aria-busy", "false");
  if (!ok) { say("Could not load the vouchers. Trying again shortly.", "warn"); return; }
  const live = new Set();
  for (const v of data.items) {
    live.add(v.id);
    let card = cards.get(v.id);
    if (!card) {
      card = makeCard(v);
      cards.set(v.id, card);
      const next = [...cards.values()].filter((c) => c.voucher.id > v.id && c.li.isConnected).sort((a, b) => a.voucher.id - b.voucher.id)[0];
      list.insertBefore(card.li, next ? next.li : null);
    }
    card.voucher = { ...card.voucher, ...v };
    card.gone = false;
    paint(card);
  }
  // A voucher that left the list sold out or was closed: its card stays until the next visit.
  for (const card of cards.values()) {
    if (!live.has(card.voucher.id) && !card.gone) { card.gone = true; paint(card); }
  }
  $("no-vouchers").hidden = live.size > 0 || cards.size > 0;
}

async function claim(card) {
  const v = card.voucher;
  if (!session.token) { card.result.textContent = "Log in to claim."; $("username").focus(); return; }
  card.busy = true;
  card.button.disabled = true;
  const r = await call("POST", `/events/${v.id}/claim`);
  card.busy = false;
  if (r.status === 201) {
    claims.set(v.id, r.data);
    say(`Claimed a voucher for ${v.book.title}.`, "ok");
    paint(card);
    await loadMine();
  } else {
    const text = outcomes[r.data?.code] ?? explain(r);
    card.result.textContent = text;
    say(text, "warn");
    if (r.data?.code === "already_claimed") await loadMine();
  }
  await loadVouchers();
}

async function useClaim(c, button) {
  const title = c.book.title;
  const yes = await confirmDialog({
    title: `Use the voucher for ${title}?`,
    text: `Do this when you redeem it, as you enter or show the code ${c.code ?? ""} at the shop. `
      + "It is then marked as used for good and cannot be used again.",
    yes: "Use it now",
    no: "Not yet",
  });
  if (!yes) { button.focus(); return; }
  button.disabled = true;
  const r = await call("POST", `/users/me/vouchers/${c.id}/use`);
  say(r.ok ? `Voucher for ${title} used.` : explain(r, { already_used: "This voucher was already used." }), r.ok ? "ok" : "warn");
  await loadMine();
}

async function loadMine() {
  if (!session.token) return;
  const { ok, data } = await call("GET", "/users/me/vouchers?per_page=200");
  if (!ok) return;
  claims.clear();
  for (const c of data.items) claims.set(c.voucher_id, c);
  for (const card of cards.values()) paint(card);
  const items = data.items.map((c) => {
    const what = el("span", { class: "what" }, `${c.book.title} `, c.code ? codeEl(c.code) : "");
    if (c.used_at) {
      return el("li", { class: "claim" }, what, el("span", { text: `Used ${formatDateTime(c.used_at)}` }));
    }
    const use = el("button", { type: "button", "aria-label": `Use the voucher for ${c.book.title}`, text: "Use" });
    use.addEventListener("click", () => useClaim(c, use));
    return el("li", { class: "claim" }, what, use);
  });
  $("mine").replaceChildren(...items);
  $("no-mine").hidden = items.length > 0;
}

function render() {
  const signedIn = Boolean(session.token);
  $("mine-section").hidden = !signedIn;
  // Hints such as "Log in to claim." belong to the state before.
  for (const card of cards.values()) {
    if (!claims.has(card.voucher.id)) card.result.textContent = "";
  }
  if (!signedIn) {
    claims.clear();
    $("mine").replaceChildren();
    for (const card of cards.values()) { card.result.textContent = ""; paint(card); }
  }
}

wireAccount({ say, onSignedIn: loadMine });
onSessionChange(render);
render();
await loadVouchers();
await loadMine();
// "N left" stays current during a drop; countdowns tick and buttons enable on opening.
setInterval(() => { if (!document.hidden) loadVouchers(); }, REFRESH_MS);
setInterval(() => { for (const card of cards.values()) if (card.voucher.opens_at) paint(card); }, 1000);
