// The admin console: the pending queue, a day view of the seat counters, every reservation,
// users and the voucher drop. Uses only the admin API with the shared session.

import {
  $, button, call, confirmDialog, dayFromToday, el, explain, formatRange, formatTime,
  latestOnly, onSessionChange, sayIn, seatsText, session, wireAccount,
} from "/assets/session.js";

const say = sayIn($("status"));
const users = new Map();      // id -> username
let page = 1;                 // of the reservation list

// Plain words for refusals of a reservation change, as they appear in the row.
const refusals = {
  insufficient_capacity: "No room: an hour it covers has fewer free seats than it needs. It stays as it was.",
  slot_missing: "An hour it covers is not open for booking.",
  status_changed: "Not pending any more: someone changed it meanwhile.",
  already_confirmed: "Not pending any more: it is already confirmed.",
  already_cancelled: "Not pending any more: it was cancelled.",
  already_started: "It has already started, so it can no longer change.",
  busy: "Busy: someone else is changing it right now. Try again in a moment.",
  not_found: "It no longer exists (its user may have been deleted).",
  invalid_seats: "Seats must be a whole number from 1 to 50,000.",
  invalid_time_range: "Use whole hours, with the end after the start.",
  outside_booking_window: "Outside the booking window: start at least 3 days ahead, end at most 90 days ahead.",
  malformed_request: "Fill in both times and a whole number of seats.",
};

// ---- users --------------------------------------------------------------------------------

async function loadUsers() {
  users.clear();
  const all = [];
  for (let p = 1; p <= 10; p++) {
    const r = await call("GET", `/admin/users?per_page=200&page=${p}`);
    if (!r.ok) break;
    all.push(...r.data.items);
    if (p * 200 >= r.data.total) break;
  }
  for (const u of all) users.set(u.id, u.username);
  $("usernames").replaceChildren(...all.map((u) => el("option", { value: u.username })));
  renderUsers(all);
}

async function nameOf(id) {
  if (!users.has(id)) {
    const r = await call("GET", `/admin/users/${id}`);
    users.set(id, r.ok ? r.data.username : `user #${id}`);
  }
  return users.get(id);
}

function renderUsers(all) {
  $("users").replaceChildren(...all.map((u) => {
    const role = el("select", { id: `role-${u.id}`, "aria-label": `Role of ${u.username}` },
      el("option", { value: "user", text: "User" }), el("option", { value: "admin", text: "Admin" }));
    role.value = u.role;
    const note = el("p", { class: "note error", "aria-live": "polite" });
    role.addEventListener("change", async () => {
      note.textContent = "";
      const r = await call("PATCH", `/admin/users/${u.id}`, { role: role.value });
      if (r.ok) say(`${u.username} is now ${r.data.role === "admin" ? "an admin" : "a user"}.`, "ok");
      else { role.value = u.role; note.textContent = explain(r); }
      if (r.ok) u.role = r.data.role;
    });
    const del = button("Delete", "danger small", `Delete ${u.username}`);
    del.addEventListener("click", async () => {
      const yes = await confirmDialog({
        title: `Delete ${u.username}?`,
        text: "The account ends at once. Its reservations are cancelled and their confirmed seats freed. This cannot be undone.",
        yes: "Delete account",
      });
      if (!yes) { del.focus(); return; }
      const r = await call("DELETE", `/admin/users/${u.id}`);
      if (r.ok) {
        say(`Deleted ${u.username}.`, "ok");
        await Promise.all([loadUsers(), loadPending(), loadReservations(), loadDay()]);
      } else note.textContent = explain(r);
    });
    return el("li", { class: "item" },
      el("div", { class: "what" }, el("strong", { text: u.username }),
        el("span", { class: "hint", text: `#${u.id}, since ${new Date(u.created_at).toLocaleDateString()}` })),
      el("div", { class: "actions" }, el("label", { for: role.id, class: "inline", text: "Role" }), role, del),
      note);
  }));
}

// ---- reservations: shared row actions -----------------------------------------------------

function badge(status) { return el("span", { class: `badge ${status}`, text: status }); }

/** Confirm and Cancel for one reservation row; the row changes in place, then `after` brings
 * the other list up to date. */
function rowActions(r, row, note, { confirm, edit, after }) {
  const range = formatRange(r.starts_at, r.ends_at);
  const box = el("div", { class: "actions" });
  const setStatus = (status) => {
    row.querySelector(".badge")?.replaceWith(badge(status));
    r.status = status;
    box.replaceChildren(...buttons());
  };
  const refresh = async () => {
    const fresh = await call("GET", `/admin/reservations/${r.id}`);
    if (fresh.ok) setStatus(fresh.data.status);
  };
  function buttons() {
    const out = [];
    if (confirm && r.status === "pending") {
      const yes = button("Confirm", "small", `Confirm ${seatsText(r.seats)} on ${range}`);
      yes.addEventListener("click", async () => {
        yes.disabled = true;
        note.textContent = "";
        const res = await call("POST", `/admin/reservations/${r.id}/confirm`);
        if (res.ok) {
          setStatus("confirmed");
          note.className = "note ok";
          note.textContent = "Confirmed: the seats are taken.";
          say(`Confirmed ${seatsText(r.seats)} on ${range}.`, "ok");
          loadDay();
          after?.();
        } else {
          note.className = "note error";
          note.textContent = explain(res, refusals);
          yes.disabled = false;
          if (["status_changed", "already_confirmed", "already_cancelled"].includes(res.data?.code)) await refresh();
        }
      });
      out.push(yes);
    }
    if (edit && r.status !== "cancelled") {
      const change = button("Edit", "secondary small", `Edit the reservation on ${range}`);
      change.addEventListener("click", () => editForm(r, row, note));
      out.push(change);
    }
    if (r.status !== "cancelled") {
      const cancel = button("Cancel", "danger small", `Cancel the reservation on ${range}`);
      cancel.addEventListener("click", async () => {
        const ok = await confirmDialog({
          title: "Cancel this reservation?",
          text: `${range}, ${seatsText(r.seats)}.${r.status === "confirmed" ? " Its confirmed seats are freed." : ""} This cannot be undone.`,
          yes: "Cancel reservation",
        });
        if (!ok) { cancel.focus(); return; }
        note.textContent = "";
        const res = await call("DELETE", `/admin/reservations/${r.id}`);
        if (res.ok) {
          setStatus("cancelled");
          note.className = "note";
          note.textContent = "Cancelled.";
          say(`Cancelled the reservation on ${range}.`, "ok");
          loadDay();
          after?.();
        } else {
          note.className = "note error";
          note.textContent = explain(res, refusals);
          if (["status_changed", "already_cancelled"].includes(res.data?.code)) await refresh();
        }
      });
      out.push(cancel);
    }
    return out;
  }
  box.replaceChildren(...buttons());
  return box;
}

async function reservationRow(r, options) {
  const who = await nameOf(r.user_id);
  const range = formatRange(r.starts_at, r.ends_at);
  const note = el("p", { class: "note", "aria-live": "polite" });
  const row = el("li", { class: "item", "data-reservation-id": String(r.id) },
    el("div", { class: "what" },
      el("strong", { class: "user", text: who }),
      el("span", { class: "range", text: range }),
      el("span", { class: "num", text: `${seatsText(r.seats)} · requested ${new Date(r.created_at).toLocaleString()}` })),
    badge(r.status));
  row.append(rowActions(r, row, note, options), note);
  return row;
}

// ---- pending queue ------------------------------------------------------------------------

async function loadPending() {
  const r = await call("GET", "/admin/reservations?status=pending&order=oldest&per_page=50");
  if (!r.ok) { say(explain(r), "warn"); return; }
  const rows = await Promise.all(r.data.items.map((x) => reservationRow(x, { confirm: true, edit: false, after: loadReservations })));
  $("pending").replaceChildren(...rows);
  $("pending-empty").hidden = r.data.items.length > 0;
  $("pending-more").hidden = r.data.total <= r.data.items.length;
  $("pending-more").textContent = `Showing the oldest ${r.data.items.length} of ${r.data.total}.`;
}

// ---- day view -----------------------------------------------------------------------------

const dayTurn = latestOnly();

async function loadDay() {
  const current = dayTurn();
  const date = $("day-date").value;
  $("day-error").textContent = "";
  if (!date) { $("day").replaceChildren(); return; }
  const r = await call("GET", `/admin/exam-slots?date=${encodeURIComponent(date)}`);
  if (!current()) return;
  if (!r.ok) { $("day-error").textContent = r.status === 400 ? "Enter a whole date, like 2026-12-01." : explain(r); return; }
  if (!r.data.slots.length) { $("day").replaceChildren(el("li", { class: "empty", text: "No slots exist for this date." })); return; }
  $("day").replaceChildren(...r.data.slots.map((s) => {
    const share = s.capacity ? s.confirmed / s.capacity : 1;
    const state = s.remaining === 0 ? "full" : share >= 0.9 ? "nearly" : "";
    const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span", { class: "fill" }));
    bar.firstChild.style.width = `${Math.min(100, share * 100).toFixed(1)}%`;
    const label = state === "full" ? "Full" : state === "nearly" ? "Nearly full" : "";
    return el("li", { class: `hour ${state}` },
      el("span", { class: "t", text: `${formatTime(s.starts_at)}` }),
      bar,
      el("span", { class: "n num", text: `${s.confirmed.toLocaleString()} / ${s.capacity.toLocaleString()}` }),
      el("span", { class: "flag", text: label }));
  }));
}

// ---- reservation search -------------------------------------------------------------------

function editForm(r, row, note) {
  row.querySelector("form")?.remove();
  const local = (iso) => {
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  };
  const id = `edit-${r.id}`;
  const from = el("input", { id: `${id}-from`, type: "datetime-local", step: "3600", value: local(r.starts_at) });
  const to = el("input", { id: `${id}-to`, type: "datetime-local", step: "3600", value: local(r.ends_at) });
  const seats = el("input", { id: `${id}-seats`, type: "number", min: "1", max: "50000", step: "1", value: String(r.seats) });
  const save = el("button", { type: "submit", class: "small", text: "Save changes" });
  const stop = button("Stop editing", "secondary small");
  const form = el("form", { class: "row edit", novalidate: true, "aria-label": `Edit the reservation on ${formatRange(r.starts_at, r.ends_at)}` },
    el("div", { class: "field" }, el("label", { for: from.id, text: "Starts" }), from),
    el("div", { class: "field" }, el("label", { for: to.id, text: "Ends" }), to),
    el("div", { class: "field" }, el("label", { for: seats.id, text: "Seats" }), seats),
    el("div", { class: "actions" }, save, stop));
  if (r.status === "confirmed") form.append(el("p", { class: "hint note", text: "Confirmed: its seats move to the new hours in one step, or nothing changes." }));
  stop.addEventListener("click", () => { form.remove(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.textContent = "";
    const toIso = (v) => (v ? new Date(v).toISOString().replace(".000Z", "Z") : "");
    if (!from.value || !to.value || !/^\d+$/.test(seats.value)) {
      note.className = "note error";
      note.textContent = refusals.malformed_request;
      return;
    }
    const res = await call("PATCH", `/admin/reservations/${r.id}`, { starts_at: toIso(from.value), ends_at: toIso(to.value), seats: Number(seats.value) });
    if (res.ok) {
      say(`Changed to ${formatRange(res.data.starts_at, res.data.ends_at)}, ${seatsText(res.data.seats)}.`, "ok");
      await Promise.all([loadReservations(), loadPending(), loadDay()]);
    } else {
      note.className = "note error";
      note.textContent = explain(res, refusals);
    }
  });
  row.append(form);
  from.focus();
}

const reservationsTurn = latestOnly();

async function loadReservations() {
  const current = reservationsTurn();
  const q = new URLSearchParams({ per_page: "20", page: String(page) });
  const status = $("filter-status").value;
  const date = $("filter-date").value;
  const who = $("filter-user").value.trim();
  $("filter-user-error").textContent = "";
  $("filter-user").removeAttribute("aria-invalid");
  if (status) q.set("status", status);
  if (date) q.set("date", date);
  if (who) {
    const match = [...users].find(([, name]) => name.toLowerCase() === who.toLowerCase());
    if (!match) {
      $("filter-user-error").textContent = `No user is called "${who}".`;
      $("filter-user").setAttribute("aria-invalid", "true");
      return;
    }
    q.set("user_id", String(match[0]));
  }
  const r = await call("GET", `/admin/reservations?${q}`);
  if (!current()) return;
  if (!r.ok) { say(explain(r), "warn"); return; }
  const rows = await Promise.all(r.data.items.map((x) => reservationRow(x, { confirm: true, edit: true, after: loadPending })));
  if (!current()) return;
  $("reservations").replaceChildren(...rows);
  const pages = Math.max(1, Math.ceil(r.data.total / r.data.per_page));
  $("reservations-summary").textContent = r.data.total
    ? `${r.data.total} reservation${r.data.total === 1 ? "" : "s"}, newest first. Page ${page} of ${pages}.`
    : "No reservation matches.";
  $("res-prev").disabled = page <= 1;
  $("res-next").disabled = page >= pages;
}

// ---- vouchers -----------------------------------------------------------------------------

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

async function loadBooks() {
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
  if (v.opens_at) parts.push(`opens ${new Date(v.opens_at).toLocaleString()}`);
  if (v.closes_at) parts.push(`closes ${new Date(v.closes_at).toLocaleString()}`);
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
      el("span", { class: "hint", text: ` claimed ${new Date(c.claimed_at).toLocaleString()}${c.used_at ? `, used ${new Date(c.used_at).toLocaleString()}` : ""}` }))));
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

async function loadVouchers() {
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

// A shop redeems the code a reader shows, once.
const redemptionRefusals = {
  already_used: "Already used: this code was redeemed before. Do not hand out the book.",
  not_found: "No claim has this code. Check it with the reader.",
  invalid_redemption_code: "A code is 16 letters and digits, like K7QM-3XPA-9TRD-W2HF.",
  malformed_request: "Type the code the reader shows.",
};

$("redeem-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = $("redeem-result");
  const code = $("redeem-code").value.trim();
  if (!code) { result.className = "error"; result.textContent = redemptionRefusals.malformed_request; return; }
  const r = await call("POST", "/admin/redemptions", { code });
  if (!r.ok) { result.className = "error"; result.textContent = explain(r, redemptionRefusals); return; }
  const who = users.get(r.data.user_id) ?? `user ${r.data.user_id}`;
  result.className = "ok";
  result.textContent = `Redeemed: ${r.data.book.title} for ${who}. The code is now used.`;
  $("redeem-code").value = "";
});

// ---- wiring -------------------------------------------------------------------------------

async function render() {
  const signedIn = Boolean(session.token);
  $("signed-out-note").hidden = signedIn;
  if (!signedIn) {
    $("console").hidden = true;
    $("admins-only").hidden = true;
    $("sections").hidden = true;
    return;
  }
  const me = await call("GET", "/users/me");
  if (!me.ok) return;
  const admin = me.data.role === "admin";
  $("admins-only").hidden = admin;
  $("not-admin-name").textContent = me.data.username;
  $("console").hidden = !admin;
  $("sections").hidden = !admin;
  if (admin) {
    await loadUsers();
    await Promise.all([loadPending(), loadDay(), loadReservations(), loadBooks(), loadVouchers()]);
  }
}

$("day-date").value = dayFromToday(4);
$("day-date").addEventListener("change", loadDay);
$("pending-refresh").addEventListener("click", async () => { await loadPending(); say("Queue refreshed."); });
$("filter-form").addEventListener("submit", (e) => { e.preventDefault(); page = 1; loadReservations(); });
$("filter-clear").addEventListener("click", () => { $("filter-form").reset(); page = 1; loadReservations(); });
$("res-prev").addEventListener("click", () => { page = Math.max(1, page - 1); loadReservations(); });
$("res-next").addEventListener("click", () => { page += 1; loadReservations(); });

wireAccount({ say });
onSessionChange(render);
render();
