// The pending queue: the oldest requests first, each with Confirm and Cancel.

import { $, call, explain } from "/assets/session.js";
import { list, say } from "./console.js";
import { reservationRow } from "./rows.js";

export const loadPending = list("pending", async () => {
  const r = await call("GET", "/admin/reservations?status=pending&order=oldest&per_page=50");
  if (!r.ok) { say(explain(r), "warn"); return; }
  const rows = await Promise.all(r.data.items.map((x) => reservationRow(x, { confirm: true, edit: false, after: "reservations" })));
  $("pending").replaceChildren(...rows);
  $("pending-empty").hidden = r.data.items.length > 0;
  $("pending-more").hidden = r.data.total <= r.data.items.length;
  $("pending-more").textContent = `Showing the oldest ${r.data.items.length} of ${r.data.total}.`;
});
