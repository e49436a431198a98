// The admin console: the pending queue, a day view of the seat counters, every reservation,
// users and the voucher drop, each part in a module of its own. Uses only the admin API with
// the shared session.

import { $, call, dayFromToday, onSessionChange, onWholeDate, session, wireAccount } from "/assets/session.js";
import { refresh, say } from "./console.js";
import { loadDay } from "./day.js";
import { rangeFromDay } from "./modes.js";
import { loadPending } from "./pending.js";
import "./redeem.js";
import "./search.js";
import "./tabs.js";
import { loadUsers } from "./users.js";
import { loadBooks, loadVouchers } from "./vouchers.js";

async function render() {
  const signedIn = Boolean(session.token);
  $("signed-out-note").hidden = signedIn;
  if (!signedIn) {
    $("console").hidden = true;
    $("admins-only").hidden = true;
    return;
  }
  const me = await call("GET", "/users/me");
  if (!me.ok) return;
  const admin = me.data.role === "admin";
  $("admins-only").hidden = admin;
  $("not-admin-name").textContent = me.data.username;
  $("console").hidden = !admin;
  if (admin) {
    await loadUsers();
    await Promise.all([refresh("pending", "day", "reservations"), loadBooks(), loadVouchers()]);
  }
}

$("day-date").value = dayFromToday(4);
rangeFromDay();
$("day-date").addEventListener("input", () => { $("day-date").dataset.chosen = "1"; });
onWholeDate($("day-date"), () => { rangeFromDay(); loadDay(); });
$("pending-refresh").addEventListener("click", async () => { await loadPending(); say("Queue refreshed."); });

wireAccount({ say });
onSessionChange(render);
render();
