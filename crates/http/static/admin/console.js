// What the admin console's parts share: the status line, and the lists that show reservations
// and seats, which a change in any part brings up to date.

import { $, sayIn } from "/assets/session.js";

export const say = sayIn($("status"));

const lists = new Map();

/** Names a list's loader, so that other parts can refresh it. */
export function list(name, load) {
  lists.set(name, load);
  return load;
}

/** Brings the named lists up to date, together. */
export function refresh(...names) {
  return Promise.all(names.map((name) => lists.get(name)?.()));
}
