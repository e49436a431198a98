// Users: their names for the other lists, their roles, and deleting an account.

import { $, button, call, confirmDialog, el, explain, formatDate } from "/assets/session.js";
import { list, refresh, say } from "./console.js";

export const users = new Map();      // id -> username

export const loadUsers = list("users", async () => {
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
});

export async function nameOf(id) {
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
        await refresh("users", "pending", "reservations", "day");
      } else note.textContent = explain(r);
    });
    return el("li", { class: "item" },
      el("div", { class: "what" }, el("strong", { text: u.username }),
        el("span", { class: "hint", text: `#${u.id}, since ${formatDate(u.created_at)}` })),
      el("div", { class: "actions" }, el("label", { for: role.id, class: "inline", text: "Role" }), role, del),
      note);
  }));
}
