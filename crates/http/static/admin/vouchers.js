// The voucher drop's catalog: books, vouchers (quantity, window, open or closed) and who
// claimed them.

import { $, button, call, el, explain, formatDateTime } from "/assets/session.js";
import { say } from "./console.js";
import { nameOf } from "./users.js";

const voucherRefusals = {
  invalid_book: "Title: 1 to 300 characters; author: at most 200; cover: an http(s) URL.",
  invalid_voucher: "Check the campaign name (3 to 64 letters, digits, - and _), the quantity (1 to 1,000,000, never lower than now) and the window (closing after opening).",
  duplicate_code: "That campaign name is taken. Pick another one.",
  not_found: "That book no longer exists.",
  malformed_request: "Fill in every required field; quantities are whole numbers.",
};

const whenIso = (v) => (v ? new Date(v).toISOString() : undefined);
const localInput = (iso) => {
  if (!iso) return "";
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

export async function loadBooks() {
  const r = await call("GET", "/admin/books?per_page=200");
  if (!r.ok) return;
  $("books").replaceChildren(...r.data.items.map((b) => el("li", { class: "item" },
    el("span", { text: b.author ? `${b.title}, by ${b.author}` : b.title }))));
  $("no-books").hidden = r.data.items.length > 0;
  const select = $("voucher-book");
  const keep = select.value;
  select.replaceChildren(...r.data.items.map((b) => el("option", { value: String(b.id), text: b.title })));
  if (keep) select.value = keep;
}

function windowText(v) {
  const parts = [];
  if (v.opens_at) parts.push(`opens ${formatDateTime(v.opens_at)}`);
  if (v.closes_at) parts.push(`closes ${formatDateTime(v.closes_at)}`);
  return parts.length ? parts.join(", ") : "no window: open while active";
}

function voucherItem(v) {
  const title = v.book.title;
  const name = v.code ? ` (${v.code})` : "";
  const note = el("p", { class: "note", "aria-live": "polite" });
  const fail = (res) => { note.className = "note error"; note.textContent = explain(res, voucherRefusals); };
  const patch = async (body, done) => {
    note.textContent = "";
    const res = await call("PATCH", `/admin/vouchers/${v.id}`, body);
    if (res.ok) { say(done, "ok"); await loadVouchers(); } else fail(res);
  };

  const qty = el("input", { id: `qty-${v.id}`, type: "number", min: String(v.quantity), max: "1000000", step: "1", value: String(v.quantity) });
  const raise = el("button", { type: "submit", class: "small secondary", text: "Raise" });
  const qtyForm = el("form", { class: "row", novalidate: true },
    el("div", { class: "field" }, el("label", { for: qty.id, text: "Quantity" }), qty), raise);
  qtyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!/^\d+$/.test(qty.value)) { note.className = "note error"; note.textContent = "The quantity is a whole number."; return; }
    patch({ quantity: Number(qty.value) }, `${title}: quantity is now ${Number(qty.value).toLocaleString()}.`);
  });

  const opens = el("input", { id: `opens-${v.id}`, type: "datetime-local", value: localInput(v.opens_at) });
  const closes = el("input", { id: `closes-${v.id}`, type: "datetime-local", value: localInput(v.closes_at) });
  const setWindow = el("button", { type: "submit", class: "small secondary", text: "Set window" });
  const windowForm = el("form", { class: "row", novalidate: true },
    el("div", { class: "field" }, el("label", { for: opens.id, text: "Opens at" }), opens),
    el("div", { class: "field" }, el("label", { for: closes.id, text: "Closes at" }), closes), setWindow);
  windowForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = {};
    if (opens.value) body.opens_at = whenIso(opens.value);
    if (closes.value) body.closes_at = whenIso(closes.value);
    if (!Object.keys(body).length) { note.className = "note error"; note.textContent = "Set an opening or a closing time."; return; }
    patch(body, `${title}: window set.`);
  });

  const closed = v.status === "closed";
  const toggle = button(closed ? "Open" : "Close", closed ? "small" : "danger small", `${closed ? "Open" : "Close"} the voucher for ${title}`);
  toggle.addEventListener("click", () => patch({ status: closed ? "active" : "closed" }, `${title}: ${closed ? "open again" : "closed"}.`));

  const claimsList = el("ul", { class: "claims", hidden: true });
  const showClaims = button("Show claims", "secondary small", `Show the claims of ${title}`);
  showClaims.setAttribute("aria-expanded", "false");
  showClaims.addEventListener("click", async () => {
    const open = claimsList.hidden;
    showClaims.setAttribute("aria-expanded", String(open));
    showClaims.textContent = open ? "Hide claims" : "Show claims";
    claimsList.hidden = !open;
    if (!open) return;
    const r = await call("GET", `/admin/vouchers/${v.id}/claims?per_page=200`);
    if (!r.ok) { fail(r); return; }
    const rows = await Promise.all(r.data.items.map(async (c) => el("li", {},
      el("strong", { text: await nameOf(c.user_id) }), " ",
      c.code ? el("span", { class: "code", text: c.code }) : "",
      el("span", { class: "hint", text: ` claimed ${formatDateTime(c.claimed_at)}${c.used_at ? `, used ${formatDateTime(c.used_at)}` : ""}` }))));
    claimsList.replaceChildren(...(rows.length ? rows : [el("li", { class: "empty", text: "No claims yet." })]));
  });

  return el("li", { class: "item voucher" },
    el("div", { class: "what" },
      el("strong", { text: `${title}${name}` }),
      el("span", { class: "num", text: `${v.remaining.toLocaleString()} of ${v.quantity.toLocaleString()} left · ${windowText(v)}` })),
    el("span", { class: `badge ${v.status === "active" ? "confirmed" : v.status === "closed" ? "cancelled" : "pending"}`, text: v.status.replace("_", " ") }),
    el("div", { class: "voucher-tools" }, qtyForm, windowForm, el("div", { class: "actions" }, toggle, showClaims)),
    note, claimsList);
}

export async function loadVouchers() {
  const r = await call("GET", "/admin/vouchers?per_page=200");
  if (!r.ok) return;
  $("vouchers").replaceChildren(...r.data.items.map(voucherItem));
  $("no-vouchers").hidden = r.data.items.length > 0;
}

$("book-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("book-error").textContent = "";
  const body = { title: $("book-title").value.trim() };
  if ($("book-author").value.trim()) body.author = $("book-author").value.trim();
  if ($("book-cover").value.trim()) body.cover_url = $("book-cover").value.trim();
  const r = await call("POST", "/admin/books", body);
  if (!r.ok) { $("book-error").textContent = explain(r, voucherRefusals); return; }
  say(`Added the book ${r.data.title}.`, "ok");
  $("book-form").reset();
  // The voucher form's "Add a book first." no longer holds.
  $("voucher-error").textContent = "";
  await loadBooks();
  $("voucher-book").value = String(r.data.id);
});

$("voucher-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("voucher-error").textContent = "";
  if (!$("voucher-book").value) { $("voucher-error").textContent = "Add a book first."; return; }
  if (!/^\d+$/.test($("voucher-quantity").value)) { $("voucher-error").textContent = "The quantity is a whole number from 1 to 1,000,000."; return; }
  const body = {
    book_id: Number($("voucher-book").value),
    code: $("voucher-code").value.trim(),
    quantity: Number($("voucher-quantity").value),
  };
  const opens = whenIso($("voucher-opens").value);
  const closes = whenIso($("voucher-closes").value);
  if (opens) body.opens_at = opens;
  if (closes) body.closes_at = closes;
  const r = await call("POST", "/admin/vouchers", body);
  if (!r.ok) { $("voucher-error").textContent = explain(r, voucherRefusals); return; }
  say(`Created a voucher for ${r.data.book.title}.`, "ok");
  $("voucher-code").value = "";
  await loadVouchers();
});
