// Every reservation, found by user, status and date, a page at a time.

import { $, call, explain, latestOnly } from "/assets/session.js";
import { list, say } from "./console.js";
import { reservationRow } from "./rows.js";
import { users } from "./users.js";

let page = 1;

const reservationsTurn = latestOnly();

export const loadReservations = list("reservations", async () => {
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
  const rows = await Promise.all(r.data.items.map((x) => reservationRow(x, { confirm: true, edit: true, after: "pending" })));
  if (!current()) return;
  $("reservations").replaceChildren(...rows);
  const pages = Math.max(1, Math.ceil(r.data.total / r.data.per_page));
  $("reservations-summary").textContent = r.data.total
    ? `${r.data.total} reservation${r.data.total === 1 ? "" : "s"}, newest first. Page ${page} of ${pages}.`
    : "No reservation matches.";
  $("res-prev").disabled = page <= 1;
  $("res-next").disabled = page >= pages;
});

$("filter-form").addEventListener("submit", (e) => { e.preventDefault(); page = 1; loadReservations(); });
$("filter-clear").addEventListener("click", () => { $("filter-form").reset(); page = 1; loadReservations(); });
$("res-prev").addEventListener("click", () => { page = Math.max(1, page - 1); loadReservations(); });
$("res-next").addEventListener("click", () => { page += 1; loadReservations(); });
