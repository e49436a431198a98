// Switching a range of hours between booking by approval and first-come. The range defaults to
// the day shown in the day view; the answer says how many hours changed.

import { $, call, el, explain, formatDateTime } from "/assets/session.js";
import { refresh, say } from "./console.js";

const pad = (n) => String(n).padStart(2, "0");
const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:00`;
const toIso = (v) => new Date(v).toISOString().replace(".000Z", "Z");
const modeWords = { approval: "by approval", first_come: "first-come" };

/** The whole of the day-view's date, in this browser's time. */
export function rangeFromDay() {
  const value = $("day-date").value;
  if (!value) return;
  const [y, m, d] = value.split("-").map(Number);
  $("mode-from").value = local(new Date(y, m - 1, d));
  $("mode-to").value = local(new Date(y, m - 1, d + 1));
}

async function setMode(event) {
  event.preventDefault();
  const note = $("mode-result");
  note.className = "error";
  note.textContent = "";
  const from = $("mode-from").value;
  const to = $("mode-to").value;
  if (!from || !to) { note.textContent = "Fill in both times."; return; }
  if (Date.parse(to) <= Date.parse(from)) { note.textContent = "“Until” must be after “From”."; $("mode-to").focus(); return; }
  const mode = $("mode-choice").value;
  const r = await call("PATCH", "/admin/exam-slots", { from: toIso(from), to: toIso(to), booking_mode: mode });
  if (!r.ok) {
    note.textContent = explain(r, { invalid_time_range: "“Until” must be after “From”." });
    return;
  }
  const span = `${formatDateTime(toIso(from))} to ${formatDateTime(toIso(to))}`;
  const hours = r.data.updated === 1 ? "1 hour" : `${r.data.updated.toLocaleString()} hours`;
  const text = r.data.updated
    ? `${span} now books ${modeWords[mode]}: ${hours} changed. Existing reservations are unchanged.`
    : `${span} already booked ${modeWords[mode]}: nothing changed.`;
  note.className = "ok";
  note.replaceChildren(el("span", { text }));
  say(text, "ok");
  await refresh("day");
}

$("mode-form").addEventListener("submit", setMode);
rangeFromDay();
