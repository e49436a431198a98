// The day view: each hour's confirmed seats against its capacity, nearly full and full marked,
// and how it books (first-come hours with their waitlist).

import { $, call, el, explain, formatTime, latestOnly } from "/assets/session.js";
import { list } from "./console.js";

const dayTurn = latestOnly();

export const loadDay = list("day", async () => {
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
    const mode = s.booking_mode === "first_come"
      ? `First come${s.waitlisted ? `, ${s.waitlisted.toLocaleString()} waiting` : ""}`
      : "Approval";
    return el("li", { class: `hour ${state}${s.booking_mode === "first_come" ? " first-come" : ""}` },
      el("span", { class: "t", text: `${formatTime(s.starts_at)}` }),
      bar,
      el("span", { class: "n num", text: `${s.confirmed.toLocaleString()} / ${s.capacity.toLocaleString()}` }),
      el("span", { class: "flag", text: label }),
      el("span", { class: "mode", text: mode }));
  }));
});
