// One reservation as a row of the pending queue or the search: who, when, how many seats, its
// status, and what an admin can do with it (confirm, edit, cancel) in place.

import {
  button, call, confirmDialog, el, explain, formatDateTime, formatRange, formatTime, seatsText,
} from "/assets/session.js";
import { refresh, say } from "./console.js";
import { nameOf } from "./users.js";

// Plain words for refusals of a reservation change, as they appear in the row.
export const refusals = {
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
  mixed_booking_modes: "Those hours do not all book the same way (approval and first-come).",
  waitlisted: "It waits for seats: it is confirmed by itself when enough come free.",
  already_expired: "It expired: the booking window closed while it waited.",
  first_come_not_editable: "A waiting reservation is not edited: cancel it and ask again.",
};

/** What an admin may still do to a reservation in this state. */
const live = (status) => status !== "cancelled" && status !== "expired";

/** A refusal in plain words; a lack of room names the hour that is short, when the server does. */
function refusalOf(res, r) {
  const hour = res.data?.short_hour;
  if (res.data?.code === "insufficient_capacity" && hour) {
    return `No room at ${formatTime(hour)}: that hour has fewer free seats than the ${seatsText(r.seats)} it needs. It stays as it was.`;
  }
  return explain(res, refusals);
}

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
  const reread = async () => {
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
          refresh("day", after);
        } else {
          note.className = "note error";
          note.textContent = refusalOf(res, r);
          // The status line speaks of the latest action: never a success before it.
          say(`Not confirmed: ${range}. ${note.textContent}`, "warn");
          yes.disabled = false;
          if (["status_changed", "already_confirmed", "already_cancelled"].includes(res.data?.code)) await reread();
        }
      });
      out.push(yes);
    }
    if (edit && live(r.status) && r.status !== "waitlisted") {
      const change = button("Edit", "secondary small", `Edit the reservation on ${range}`);
      change.addEventListener("click", () => editForm(r, row, note));
      out.push(change);
    }
    if (live(r.status)) {
      const cancel = button("Cancel", "danger small", `Cancel the reservation on ${range}`);
      cancel.addEventListener("click", async () => {
        const ok = await confirmDialog({
          title: "Cancel this reservation?",
          text: `${range}, ${seatsText(r.seats)}.${r.status === "confirmed" ? " Its confirmed seats are freed, and go to the waitlist first." : ""} This cannot be undone.`,
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
          refresh("day", after);
        } else {
          note.className = "note error";
          note.textContent = explain(res, refusals);
          say(`Not cancelled: ${range}. ${note.textContent}`, "warn");
          if (["status_changed", "already_cancelled"].includes(res.data?.code)) await reread();
        }
      });
      out.push(cancel);
    }
    return out;
  }
  box.replaceChildren(...buttons());
  return box;
}

export async function reservationRow(r, options) {
  const who = await nameOf(r.user_id);
  const range = formatRange(r.starts_at, r.ends_at);
  const note = el("p", { class: "note", "aria-live": "polite" });
  const row = el("li", { class: "item", "data-reservation-id": String(r.id) },
    el("div", { class: "what" },
      el("strong", { class: "user", text: who }),
      el("span", { class: "range", text: range }),
      el("span", { class: "num", text: `${seatsText(r.seats)} · requested ${formatDateTime(r.created_at)}${r.status === "waitlisted" ? ` · number ${r.waitlist_position} in line` : ""}` })),
    badge(r.status));
  row.append(rowActions(r, row, note, options), note);
  return row;
}

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
      await refresh("reservations", "pending", "day");
    } else {
      note.className = "note error";
      note.textContent = refusalOf(res, r);
      say(`Not changed: ${formatRange(r.starts_at, r.ends_at)}. ${note.textContent}`, "warn");
    }
  });
  row.append(form);
  from.focus();
}
