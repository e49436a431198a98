// The pending queue: the oldest requests first, each with Confirm and Cancel.

import { $, call, explain, isoDay } from "/assets/session.js";
import { list, refresh, say } from "./console.js";
import { rangeFromDay } from "./modes.js";
import { reservationRow } from "./rows.js";

/** Until the admin picks a day, the day view shows the day of the oldest pending request. */
function dayOfOldest(items) {
  const day = $("day-date");
  if (!items.length || day.dataset.chosen) return;
  const date = isoDay(new Date(items[0].starts_at));
  if (day.value === date) return;
  day.value = date;
  rangeFromDay();
  refresh("day");
}

export const loadPending = list("pending", async () => {
  const r = await call("GET", "/admin/reservations?status=pending&order=oldest&per_page=50");
  if (!r.ok) { say(explain(r), "warn"); return; }
  const rows = await Promise.all(r.data.items.map((x) => reservationRow(x, { confirm: true, edit: false, after: "reservations" })));
  $("pending").replaceChildren(...rows);
  $("pending-empty").hidden = r.data.items.length > 0;
  $("pending-more").hidden = r.data.total <= r.data.items.length;
  $("pending-more").textContent = `Showing the oldest ${r.data.items.length} of ${r.data.total}.`;
  dayOfOldest(r.data.items);
});
