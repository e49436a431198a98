// The booking page: free hours of a date, seat requests, and the user's own reservations.
// Uses only the public API (/exam-slots/available, /reservations) with the shared session.

import {
  $, button, call, confirmDialog, el, explain, formatRange, formatTime, isoDay, latestOnly,
  onSessionChange, onWholeDate, sayIn, seatsText, session, wireAccount,
} from "/assets/session.js";

const HOUR = 3600 * 1000;
const LEAD_HOURS = 72;   // booking.min_lead_hours
const AHEAD_DAYS = 90;   // booking.max_ahead_days
const say = sayIn($("status"));

let grid = [];           // the hours of the chosen date: { start, end, state, remaining, mode, waitlisted }
let editing = null;      // the pending reservation being changed, if any
let anchor = null;       // the start of the tile picked first, while a range is being picked
let mineKey = "";        // what the reservation list shows now

const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

function windowNow() {
  const now = Date.now();
  return { earliest: now + LEAD_HOURS * HOUR, latest: now + AHEAD_DAYS * 24 * HOUR };
}

function setDateLimits() {
  const { earliest, latest } = windowNow();
  const date = $("date");
  date.min = isoDay(new Date(earliest));
  date.max = isoDay(new Date(latest - 1));
  if (!date.value) date.value = isoDay(new Date(earliest + 24 * HOUR));
}

// ---- field errors -------------------------------------------------------------------------

const fields = ["date", "from", "to", "seats"];

function clearErrors() {
  for (const f of fields) {
    $(`${f}-error`).textContent = "";
    $(f).removeAttribute("aria-invalid");
  }
  $("request-error").textContent = "";
  $("waitlist-offer").replaceChildren();
  $("waitlist-offer").hidden = true;
}

function fieldError(field, text) {
  if (!field) { $("request-error").textContent = text; return; }
  $(`${field}-error`).textContent = text;
  $(field).setAttribute("aria-invalid", "true");
}

// ---- free hours ---------------------------------------------------------------------------

/** Local midnight of a `YYYY-MM-DD` value. */
function midnightOf(value) {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d).getTime();
}

/**
 * The hours of the date with their state. The API lists the hours that can be booked and still
 * have seats, and the full first-come ones (their waitlist can be joined), so an hour inside the
 * booking window that is not listed is full.
 */
function buildGrid(value, slots) {
  const { earliest, latest } = windowNow();
  const listed = new Map(slots.map((s) => [Date.parse(s.starts_at), s]));
  const starts = [...listed.keys()].sort((a, b) => a - b);
  let from = midnightOf(value);
  let to = from + 24 * HOUR;
  // The service reads dates in its own offset; when that is not this browser's, show the
  // span the server listed rather than guess.
  if (starts.some((t) => t < from || t >= to || (t - from) % HOUR !== 0)) {
    from = starts[0];
    to = starts[starts.length - 1] + HOUR;
  }
  const hours = [];
  for (let t = from; t < to; t += HOUR) {
    const slot = listed.get(t);
    if (slot) {
      const state = slot.remaining > 0 ? "free" : "waitlist";
      hours.push({ start: t, end: t + HOUR, state, remaining: slot.remaining, capacity: slot.capacity, mode: slot.booking_mode, waitlisted: slot.waitlisted ?? 0 });
    }
    else if (t < earliest || t + HOUR > latest) hours.push({ start: t, end: t + HOUR, state: "closed" });
    else hours.push({ start: t, end: t + HOUR, state: "full", remaining: 0 });
  }
  return hours;
}

const pickable = (h) => h.state === "free" || h.state === "waitlist";

function hourItem(h) {
  const time = formatTime(h.start);
  let text;
  let cls = h.state;
  if (h.state === "free") {
    const few = h.remaining <= Math.max(1, Math.floor(h.capacity / 10));
    if (few) cls = "free few";
    text = `${h.remaining.toLocaleString()} left`;
  } else if (h.state === "waitlist") {
    text = h.waitlisted ? `Full, ${h.waitlisted.toLocaleString()} waiting` : "Full";
  } else if (h.state === "full") {
    text = "Full";
  } else {
    text = "Not bookable";
  }
  const firstCome = h.mode === "first_come";
  const li = el("li", { class: `hour ${cls}${firstCome ? " first-come" : ""}` });
  if (pickable(h)) {
    const how = firstCome ? ", first come" : "";
    const action = h.state === "waitlist" ? "pick this hour to join its waitlist" : "pick this hour";
    const b = el("button", { type: "button", class: "hour-button", "aria-pressed": "false", "data-start": String(h.start), "aria-label": `${time} to ${formatTime(h.end)}, ${text}${how}: ${action}` },
      el("span", { class: "t", text: time }), el("span", { class: "n", text }),
      firstCome ? el("span", { class: "mode", text: "First come", "aria-hidden": "true" }) : null);
    b.addEventListener("click", () => pickTile(h));
    li.append(b);
  } else {
    li.append(el("span", { class: "t", text: time }), el("span", { class: "n", text }));
  }
  return li;
}

/**
 * A first tile picks its hour; a later tile then takes every hour up to it, so two clicks pick
 * a range. A tile before the first, or a third click, starts again.
 */
function pickTile(h) {
  const reachable = (start) => grid.filter((g) => g.start >= start && g.start <= h.start).every((g) => g.state !== "closed");
  if (anchor !== null && h.start > anchor && reachable(anchor)) {
    $("from").value = iso(anchor);
    fillTo(iso(h.end));
    anchor = null;
  } else {
    $("from").value = iso(h.start);
    fillTo(iso(h.end));
    anchor = h.start;
  }
  showSelection();
}

/** Marks the tiles of the chosen From–To range as picked, and says what is picked. */
function showSelection() {
  const from = Date.parse($("from").value);
  const to = Date.parse($("to").value);
  for (const b of $("hours").querySelectorAll(".hour-button")) {
    const start = Number(b.dataset.start);
    const picked = start >= from && start < to;
    b.setAttribute("aria-pressed", String(picked));
    b.parentElement.classList.toggle("picked", picked);
  }
  $("picked").textContent = Number.isNaN(from) || Number.isNaN(to)
    ? ""
    : `Picked ${formatTime(from)}–${formatTime(to)}${anchor !== null ? ". Pick a later hour to extend the range." : "."}`;
}

const hoursTurn = latestOnly();

async function loadHours() {
  const current = hoursTurn();
  const value = $("date").value;
  $("date-error").textContent = "";
  $("date").removeAttribute("aria-invalid");
  grid = [];
  if (!value) { renderHours(); return; }
  $("hours").setAttribute("aria-busy", "true");
  const r = await call("GET", `/exam-slots/available?date=${encodeURIComponent(value)}`);
  if (!current()) return; // another date was picked meanwhile: its answer is the one to show
  $("hours").setAttribute("aria-busy", "false");
  if (r.ok) {
    grid = r.data.slots.length ? buildGrid(value, r.data.slots) : [];
    if (!r.data.slots.length) fieldError("date", "Every hour of this date is full or outside the booking window. Pick another date.");
  } else if (r.data?.code === "date_outside_window") {
    fieldError("date", `Pick a date from ${$("date").min} to ${$("date").max}: bookings start at least 3 days ahead and end at most 90 days ahead.`);
  } else if (r.status === 400) {
    fieldError("date", "Enter a whole date, like 2026-12-01.");
  } else if (session.token) {
    fieldError("date", explain(r));
  }
  renderHours();
}

/** How the chosen date books, in a sentence: by approval, first-come, or some of each. */
function describeModes() {
  const modes = new Set(grid.filter(pickable).map((h) => h.mode));
  if (!modes.size) return "";
  if (modes.size > 1) return "Hours marked “First come” are confirmed at once; the others wait for an admin to confirm them.";
  return modes.has("first_come")
    ? "This date books first-come: seats are confirmed at once. When an hour is full you can join its waitlist."
    : "This date books by approval: an admin confirms each request.";
}

function renderHours() {
  $("hours").replaceChildren(...grid.map(hourItem));
  $("mode-note").textContent = describeModes();
  const from = $("from");
  const keep = from.value;
  const starts = grid.filter(pickable).map((h) => iso(h.start));
  if (editing && !starts.includes(editing.starts_at) && grid.some((h) => iso(h.start) === editing.starts_at)) {
    starts.push(editing.starts_at);
    starts.sort();
  }
  from.replaceChildren(...starts.map((s) => el("option", { value: s, text: formatTime(s) })));
  if (starts.includes(keep)) from.value = keep;
  fillTo();
  showSelection();
}

/** The To choices: every hour end after From, up to the end of the date's bookable span. */
function fillTo(wanted) {
  const to = $("to");
  const keep = wanted ?? to.value;
  const start = Date.parse($("from").value);
  const ends = [];
  if (!Number.isNaN(start)) {
    for (const h of grid) {
      if (h.start < start) continue;
      if (h.state === "closed") break;
      ends.push(iso(h.end));
    }
  }
  if (editing && editing.starts_at === $("from").value && !ends.includes(editing.ends_at)) ends.push(editing.ends_at);
  const day = new Date(start).toDateString();
  const label = (e) => {
    const d = new Date(Date.parse(e) - 1).toDateString();
    return d === day ? formatTime(e) : `${formatTime(e)} (${formatRange(e, e).split(",")[0]})`;
  };
  to.replaceChildren(...ends.map((e) => el("option", { value: e, text: label(e) })));
  if (ends.includes(keep)) to.value = keep;
}

// ---- requests -----------------------------------------------------------------------------

/** Plain words for every rule the server applies, and the field each one belongs to. */
function refusal(r, seats) {
  const code = r.data?.code;
  switch (code) {
    case "invalid_seats":
      return ["seats", "Seats must be a whole number from 1 to 50,000."];
    case "malformed_request":
      return ["seats", "Seats must be a whole number from 1 to 50,000."];
    case "invalid_time_range":
      return ["to", "Pick whole hours, with To later than From."];
    case "outside_booking_window":
      return ["from", "That is outside the booking window: start at least 3 days from now and end at most 90 days from now."];
    case "insufficient_capacity": {
      const start = Date.parse($("from").value);
      const end = Date.parse($("to").value);
      const tight = grid.filter((h) => h.start >= start && h.end <= end && (h.remaining ?? 0) < seats);
      const worst = tight.sort((a, b) => (a.remaining ?? 0) - (b.remaining ?? 0))[0];
      const where = worst
        ? (worst.remaining ? ` The ${formatTime(worst.start)} hour has only ${seatsText(worst.remaining)} left.` : ` The ${formatTime(worst.start)} hour is full.`)
        : "";
      return ["seats", `No room: not enough free seats for ${seatsText(seats)} in every hour of that range.${where} Ask for fewer seats or pick other hours.`];
    }
    case "slot_missing":
      return ["from", "Some of those hours are not open for booking yet. Pick other hours."];
    case "mixed_booking_modes":
      return ["to", "Those hours do not all book the same way. Pick only first-come hours, or only hours an admin confirms."];
    case "first_come_not_editable":
      return [null, "First-come reservations cannot be changed: cancel it and ask again."];
    case "status_changed":
    case "already_confirmed":
    case "already_cancelled":
    case "edit_requires_admin":
      return [null, "This reservation is no longer pending, so it cannot be changed here. Your list has been refreshed."];
    case "already_started":
      return [null, "This reservation has already started."];
    default:
      return [null, explain(r)];
  }
}

/** True when every hour of the chosen range books first-come. */
function rangeIsFirstCome() {
  const start = Date.parse($("from").value);
  const end = Date.parse($("to").value);
  const covered = grid.filter((h) => h.start >= start && h.end <= end);
  return covered.length > 0 && covered.every((h) => h.mode === "first_come");
}

/** What a created reservation means for its owner, in a sentence. */
function outcome(r) {
  const range = formatRange(r.starts_at, r.ends_at);
  if (r.status === "confirmed") return `Confirmed: ${seatsText(r.seats)} for ${range}. The seats are yours.`;
  if (r.status === "waitlisted") return `You are number ${r.waitlist_position} on the waitlist for ${seatsText(r.seats)} on ${range}. You get the seats as soon as enough come free.`;
  return `Requested ${seatsText(r.seats)} for ${range}. It is pending until an admin confirms it.`;
}

/** Offers to wait for seats after a first-come refusal; the offer goes with the next change. */
function offerWaitlist(body) {
  const join = button("Join the waitlist", "", `Join the waitlist for ${seatsText(body.seats)} on ${formatRange(body.starts_at, body.ends_at)}`);
  join.addEventListener("click", async () => {
    join.disabled = true;
    const r = await call("POST", "/reservations", { ...body, waitlist: true });
    if (r.ok) {
      clearErrors();
      say(outcome(r.data), "ok");
      await Promise.all([loadMine(), loadHours()]);
      $("mine-title").focus();
    } else {
      join.disabled = false;
      const [field, text] = refusal(r, body.seats);
      fieldError(field, text);
    }
  });
  $("waitlist-offer").replaceChildren(
    el("span", { text: "Or wait for seats: you are confirmed automatically, in turn, when they come free. " }),
    join);
  $("waitlist-offer").hidden = false;
}

async function submitRequest(event) {
  event.preventDefault();
  clearErrors();
  const raw = $("seats").value.trim();
  if (!/^\d+$/.test(raw)) { fieldError("seats", "Seats must be a whole number from 1 to 50,000."); $("seats").focus(); return; }
  const seats = Number(raw);
  if (!$("from").value) { fieldError("from", "No free hour on this date. Pick another date."); $("date").focus(); return; }
  if (!$("to").value) { fieldError("to", "Pick when your exam ends."); return; }
  const body = { starts_at: $("from").value, ends_at: $("to").value, seats };
  const submit = $("submit-request");
  submit.disabled = true;
  const r = editing
    ? await call("PATCH", `/reservations/${editing.id}`, body)
    : await call("POST", "/reservations", { ...body, waitlist: false });
  submit.disabled = false;
  if (r.ok) {
    const range = formatRange(r.data.starts_at, r.data.ends_at);
    say(editing
      ? `Changed: ${range}, ${seatsText(r.data.seats)}. It stays pending until an admin confirms it.`
      : outcome(r.data), "ok");
    stopEditing();
    await Promise.all([loadMine(), loadHours()]);
    return;
  }
  const [field, text] = refusal(r, seats);
  fieldError(field, text);
  if (!editing && r.data?.code === "insufficient_capacity" && rangeIsFirstCome()) offerWaitlist(body);
  (field ? $(field) : submit).focus();
  if (!field) await loadMine();
}

function startEditing(r) {
  editing = r;
  $("request-title").textContent = "Change a reservation";
  $("editing-note").textContent = `Changing ${formatRange(r.starts_at, r.ends_at)}, ${seatsText(r.seats)}.`;
  $("editing-note").hidden = false;
  $("submit-request").textContent = "Save changes";
  $("stop-editing").hidden = false;
  $("date").value = isoDay(new Date(r.starts_at));
  $("seats").value = String(r.seats);
  clearErrors();
  loadHours().then(() => {
    $("from").value = r.starts_at;
    fillTo(r.ends_at);
    $("from").focus();
  });
}

function stopEditing() {
  editing = null;
  $("request-title").textContent = "Request seats";
  $("editing-note").hidden = true;
  $("submit-request").textContent = "Request seats";
  $("stop-editing").hidden = true;
}

// ---- my reservations ----------------------------------------------------------------------

/** Owners cancel pending requests, and first-come seats or places in line. */
const cancellable = (r) => r.status === "pending"
  || (r.booking_mode === "first_come" && (r.status === "confirmed" || r.status === "waitlisted"));

function reservationItem(r) {
  const range = formatRange(r.starts_at, r.ends_at);
  const line = r.status === "waitlisted" ? `${seatsText(r.seats)} · number ${r.waitlist_position} in line` : seatsText(r.seats);
  const li = el("li", { class: "item", "data-reservation-id": String(r.id) },
    el("div", { class: "what" },
      el("span", { class: "range", text: range }),
      el("span", { class: "num", text: line })),
    el("span", { class: `badge ${r.status}`, text: r.status }));
  if (cancellable(r)) {
    const cancel = button("Cancel", "danger small", `Cancel the reservation for ${range}`);
    const note = el("p", { class: "note error", "aria-live": "polite" });
    const what = r.status === "confirmed" ? "Your seats are given up, to the next in line" : r.status === "waitlisted" ? "You leave the waitlist" : "The request is withdrawn";
    cancel.addEventListener("click", async () => {
      const yes = await confirmDialog({
        title: "Cancel this reservation?",
        text: `${range}, ${seatsText(r.seats)}. ${what}; this cannot be undone.`,
        yes: "Cancel reservation",
        no: "Keep it",
      });
      if (!yes) { cancel.focus(); return; }
      const res = await call("DELETE", `/reservations/${r.id}`);
      if (res.ok) {
        if (editing?.id === r.id) stopEditing();
        say(`Cancelled the reservation for ${range}.`, "ok");
        await loadMine();
        $("mine-title").focus();
      } else {
        note.textContent = explain(res, {
          cancel_requires_admin: "An admin has confirmed it meanwhile: only an admin can cancel it now.",
          cancel_window_closed: "It starts in less than 3 days, so it can no longer be cancelled here. Ask an admin.",
          already_expired: "It expired: the booking window closed while it waited.",
          already_cancelled: "It is already cancelled.",
          status_changed: "It changed meanwhile. The list has been refreshed.",
        });
      }
    });
    const actions = el("div", { class: "actions" });
    if (r.status === "pending") {
      const edit = button("Edit", "secondary small", `Edit the reservation for ${range}`);
      edit.addEventListener("click", () => startEditing(r));
      actions.append(edit);
    }
    actions.append(cancel);
    li.append(actions, note);
  }
  return li;
}

async function loadMine() {
  if (!session.token) return;
  const r = await call("GET", "/reservations?per_page=200");
  if (!r.ok) { if (session.token) say(explain(r), "warn"); return; }
  // Redraw only on a change, so a periodic refresh never takes the focus away.
  const key = JSON.stringify(r.data.items);
  if (key === mineKey) return;
  mineKey = key;
  $("mine").replaceChildren(...r.data.items.map(reservationItem));
  $("no-mine").hidden = r.data.items.length > 0;
}

// ---- wiring -------------------------------------------------------------------------------

function render() {
  const signedIn = Boolean(session.token);
  $("booking").hidden = !signedIn;
  $("signed-out-note").hidden = signedIn;
  if (!signedIn) {
    stopEditing();
    $("mine").replaceChildren();
    mineKey = "";
    grid = [];
    renderHours();
  }
}

$("mine-title").tabIndex = -1;
$("tz-note").textContent = `Times are in your time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`;
onWholeDate($("date"), () => { clearErrors(); loadHours(); }, () => {
  clearErrors();
  grid = [];
  renderHours();
  fieldError("date", `Pick a date from ${$("date").min} to ${$("date").max}: bookings start at least 3 days ahead and end at most 90 days ahead.`);
});
$("from").addEventListener("change", () => { anchor = null; fillTo(); showSelection(); });
$("to").addEventListener("change", () => { anchor = null; showSelection(); });
$("request-form").addEventListener("submit", submitRequest);
$("stop-editing").addEventListener("click", () => { stopEditing(); clearErrors(); $("from").focus(); });

wireAccount({ say, onSignedIn: () => Promise.all([loadHours(), loadMine()]) });
onSessionChange(render);
setDateLimits();
render();
if (session.token) { loadHours(); loadMine(); }
// Confirmations by an admin and promotions from the waitlist show up while the page is open.
setInterval(() => { if (session.token && !document.hidden) loadMine(); }, 15000);
