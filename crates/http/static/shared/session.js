// Shared by /events, /book and /admin: one log-in serves every page. Holds the session (the
// access token in localStorage), the API helper, the account form, plain-words messages for the
// API's problem codes, and a confirmation dialog.

const api = "/api/v1";
const TOKEN = "token";
const USERNAME = "username";
const listeners = new Set();

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  get username() { return localStorage.getItem(USERNAME); },
  save(token, username) {
    localStorage.setItem(TOKEN, token);
    localStorage.setItem(USERNAME, username);
    changed();
  },
  clear() {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(USERNAME);
    changed();
  },
};

function changed() { for (const fn of listeners) fn(); }

/** Calls `fn` whenever the session starts or ends, in this tab or another one. */
export function onSessionChange(fn) { listeners.add(fn); }
window.addEventListener("storage", (event) => { if (event.key === TOKEN) changed(); });

export const $ = (id) => document.getElementById(id);

/** One API call: `{ ok, status, data }`. A 401 on a signed-in call ends the session here. */
export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, data: { code: "offline" } };
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && token && !path.startsWith("/auth/")) session.clear();
  return { ok: res.ok, status: res.status, data };
}

// Plain words for the API's stable problem codes. Pages add their own where the context
// matters; the server's `detail` is never shown, as it is written for developers.
const plain = {
  offline: "Cannot reach the server. Check your connection and try again.",
  invalid_credentials: "Wrong username or password.",
  username_taken: "That username is taken. Pick another one.",
  invalid_username: "Usernames are 3 to 150 characters: letters, digits and _ . @ + -",
  invalid_password: "Passwords are 8 to 128 characters long.",
  too_many_attempts: "Too many failed log-ins. Wait a few minutes, then try again.",
  busy: "The server is busy. Try again in a moment.",
  service_unavailable: "The service is briefly unavailable. Try again shortly.",
  missing_token: "Log in first.",
  invalid_token: "Your session has ended. Log in again.",
  token_expired: "Your session has expired. Log in again.",
  token_revoked: "You have been logged out. Log in again.",
  session_ended: "Your session has ended. Log in again.",
  forbidden: "This is for admins only.",
  not_found: "It no longer exists. The list has been refreshed.",
  malformed_request: "Something in the form is not right. Check the fields and try again.",
  payload_too_large: "That is too long.",
  internal_error: "Something went wrong on our side. Try again shortly.",
};

/** Friendly text for a failed call, preferring `extra[code]`, then the shared words. */
export function explain(result, extra = {}) {
  const code = result?.data?.code ?? "";
  return extra[code] ?? plain[code] ?? `Something went wrong (error ${result?.status ?? "?"}). Try again shortly.`;
}

/**
 * Wires the account form shared by every page: log in, sign up, log out, with the same
 * behaviour and messages everywhere. `say(text, tone)` shows the outcome.
 */
export function wireAccount({ say, onSignedIn }) {
  const form = $("auth-form");
  const render = () => {
    const signedIn = Boolean(session.token);
    form.hidden = signedIn;
    $("signed-in").hidden = !signedIn;
    $("whoami").textContent = session.username ?? "";
  };
  onSessionChange(render);
  render();

  async function logIn(username, password) {
    const r = await call("POST", "/auth/login", { username, password });
    if (!r.ok) { say(explain(r, { invalid_credentials: "Log-in failed: wrong username or password." }), "warn"); return false; }
    session.save(r.data.access_token, username);
    say(`Welcome, ${username}.`, "ok");
    await onSignedIn?.();
    return true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter?.dataset.action ?? "login";
    const username = $("username").value.trim();
    const password = $("password").value;
    if (action === "signup") {
      const r = await call("POST", "/auth/signup", { username, password });
      if (!r.ok) { say(explain(r), "warn"); return; }
    }
    if (await logIn(username, password)) $("password").value = "";
  });

  $("logout-button").addEventListener("click", async () => {
    await call("POST", "/auth/logout");
    session.clear();
    say("Logged out.");
    $("username").focus();
  });
}

/** Shows `text` in the page's status line (role=status). */
export function sayIn(el) {
  return (text, tone = "") => {
    el.textContent = text;
    el.className = `status ${tone}`;
  };
}

/**
 * Asks before an action that cannot be undone. Resolves true only when the person presses the
 * confirming button; Escape and the other button answer false. Focus starts on the safe choice.
 */
export function confirmDialog({ title, text, yes, no = "Keep it" }) {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-title");
    dialog.setAttribute("aria-describedby", "confirm-text");
    const h = document.createElement("h2");
    h.id = "confirm-title";
    h.textContent = title;
    const p = document.createElement("p");
    p.id = "confirm-text";
    p.textContent = text;
    const actions = document.createElement("div");
    actions.className = "actions";
    const keep = button(no, "secondary");
    const go = button(yes, "danger");
    actions.append(keep, go);
    dialog.append(h, p, actions);
    let answer = false;
    keep.addEventListener("click", () => dialog.close());
    go.addEventListener("click", () => { answer = true; dialog.close(); });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(answer); });
    document.body.append(dialog);
    dialog.showModal();
    keep.focus();
  });
}

/** A `<button type=button>` with a visible name and an optional class. */
export function button(text, className = "", label = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (className) b.className = className;
  if (label) b.setAttribute("aria-label", label);
  return b;
}

/** `el(tag, {class, text, ...attrs}, ...children)`: a small element builder. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

// Every page writes dates one way: "Thu, 10 Dec 2026" and "Thu, 10 Dec 2026, 18:13".
export const formatDate = (iso) => dateFmt.format(new Date(iso));
export const formatTime = (iso) => timeFmt.format(new Date(iso));
export const formatDateTime = (iso) => `${formatDate(iso)}, ${formatTime(iso)}`;

/** "Tue, 3 Dec 2026, 09:00–11:00", or both dates when the range crosses midnight. */
export function formatRange(startIso, endIso) {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const sameDay = start.toDateString() === new Date(end.getTime() - 1).toDateString();
  if (sameDay) return `${dateFmt.format(start)}, ${timeFmt.format(start)}–${timeFmt.format(end)}`;
  return `${dateFmt.format(start)}, ${timeFmt.format(start)} – ${dateFmt.format(end)}, ${timeFmt.format(end)}`;
}

/** `YYYY-MM-DD` of a Date in the browser's calendar. */
export function isoDay(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** `YYYY-MM-DD` `days` from today in the browser's calendar. */
export function dayFromToday(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return isoDay(d);
}

export const seatsText = (n) => `${n.toLocaleString()} seat${n === 1 ? "" : "s"}`;

/**
 * For a loader that can be called again before its last answer is in (a date changed twice,
 * a filter applied while the previous page loads): each call takes a turn, and only the latest
 * turn may show its answer. Answers can arrive out of order, and an older one arriving last
 * would otherwise replace the newer one on the page.
 */
export function latestOnly() {
  let latest = 0;
  return () => {
    const mine = ++latest;
    return () => mine === latest;
  };
}

/**
 * Calls `load` once the date field holds a whole date and typing has paused: a year typed digit
 * by digit passes through 0002, 0020 and 0202, which are dates too, and each would be a request
 * for nothing. A date outside the field's `min`..`max` goes to `outside` instead, unrequested.
 */
export function onWholeDate(input, load, outside = () => {}) {
  let timer;
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const value = input.value;
      if (value && ((input.min && value < input.min) || (input.max && value > input.max))) outside(value);
      else load();
    }, 300);
  };
  input.addEventListener("input", settle);
  input.addEventListener("change", settle);
}
