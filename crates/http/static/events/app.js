// The event page: lists live vouchers, signs users up and in, claims, and shows own vouchers.
// Talks only to this origin's /api/v1; keeps the access token in localStorage.

const api = "/api/v1";
const $ = (id) => document.getElementById(id);
const session = {
  get token() { return localStorage.getItem("token"); },
  get username() { return localStorage.getItem("username"); },
  save(token, username) { localStorage.setItem("token", token); localStorage.setItem("username", username); },
  clear() { localStorage.removeItem("token"); localStorage.removeItem("username"); },
};

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const res = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && session.token && !path.startsWith("/auth/")) {
    session.clear();
    renderAccount();
  }
  return { ok: res.ok, status: res.status, data };
}

function say(text, tone = "") {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${tone}`;
}

function coverOf(book) {
  if (book.cover_url) {
    const img = document.createElement("img");
    img.className = "cover";
    img.src = book.cover_url;
    img.alt = `Cover of ${book.title}`;
    return img;
  }
  const div = document.createElement("div");
  div.className = "cover";
  div.setAttribute("aria-hidden", "true");
  div.textContent = book.title.trim().charAt(0).toUpperCase();
  return div;
}

function card(voucher) {
  const li = document.createElement("li");
  li.className = "card";
  li.dataset.voucherId = voucher.id;
  const body = document.createElement("div");
  body.className = "card-body";
  const title = document.createElement("h3");
  title.textContent = voucher.book.title;
  body.append(title);
  if (voucher.book.author) {
    const author = document.createElement("p");
    author.className = "author";
    author.textContent = voucher.book.author;
    body.append(author);
  }
  const remaining = document.createElement("p");
  remaining.className = "remaining";
  remaining.textContent = `${voucher.remaining} of ${voucher.quantity} left`;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "claim-button";
  button.textContent = "Claim";
  button.setAttribute("aria-label", `Claim a voucher for ${voucher.book.title}`);
  const result = document.createElement("p");
  result.className = "result";
  result.setAttribute("aria-live", "polite");
  button.addEventListener("click", () => claim(voucher, button, result));
  body.append(remaining, button, result);
  li.append(coverOf(voucher.book), body);
  return li;
}

async function loadVouchers() {
  const list = $("vouchers");
  const { ok, data } = await call("GET", "/events");
  list.setAttribute("aria-busy", "false");
  if (!ok) { say("Could not load the vouchers. Try again shortly.", "warn"); return; }
  list.replaceChildren(...data.items.map(card));
  $("no-vouchers").hidden = data.items.length > 0;
}

const outcomes = {
  already_claimed: "You already claimed this one.",
  sold_out: "Sold out. Too late this time!",
  not_open_yet: "Not open yet.",
  voucher_closed: "This voucher is closed.",
};

async function claim(voucher, button, result) {
  if (!session.token) { result.textContent = "Log in to claim."; $("username").focus(); return; }
  button.disabled = true;
  const { status, data } = await call("POST", `/events/${voucher.id}/claim`);
  if (status === 201) {
    result.textContent = `Claimed! Your code: ${data.code}`;
    say(`Claimed a voucher for ${voucher.book.title}.`, "ok");
    await loadMine();
  } else {
    const text = outcomes[data?.code] ?? data?.detail ?? "Something went wrong.";
    result.textContent = text;
    say(text, "warn");
  }
  button.disabled = false;
  // Refresh counts; a sold-out voucher leaves the page.
  const { ok, data: fresh } = await call("GET", "/events");
  if (ok) {
    const current = fresh.items.find((v) => v.id === voucher.id);
    const li = button.closest("li");
    if (!current) {
      li.querySelector(".remaining").textContent = "Sold out";
      button.disabled = true;
    } else {
      li.querySelector(".remaining").textContent = `${current.remaining} of ${current.quantity} left`;
    }
    $("no-vouchers").hidden = fresh.items.length > 0;
  }
}

async function loadMine() {
  if (!session.token) return;
  const { ok, data } = await call("GET", "/users/me/vouchers?per_page=200");
  if (!ok) return;
  const items = data.items.map((c) => {
    const li = document.createElement("li");
    li.className = "claim";
    const what = document.createElement("span");
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = c.code;
    what.append(`${c.book.title} `, code);
    const state = document.createElement("span");
    if (c.used_at) {
      state.textContent = `Used ${new Date(c.used_at).toLocaleString()}`;
      li.append(what, state);
    } else {
      const use = document.createElement("button");
      use.type = "button";
      use.textContent = "Use";
      use.setAttribute("aria-label", `Use the voucher for ${c.book.title}`);
      use.addEventListener("click", async () => {
        use.disabled = true;
        const r = await call("POST", `/users/me/vouchers/${c.id}/use`);
        say(r.ok ? `Voucher for ${c.book.title} used.` : (r.data?.detail ?? "Could not use it."), r.ok ? "ok" : "warn");
        await loadMine();
      });
      li.append(what, use);
    }
    return li;
  });
  $("mine").replaceChildren(...items);
  $("no-mine").hidden = items.length > 0;
}

function renderAccount() {
  const signedIn = Boolean(session.token);
  $("auth-form").hidden = signedIn;
  $("signed-in").hidden = !signedIn;
  $("mine-section").hidden = !signedIn;
  $("whoami").textContent = session.username ?? "";
}

async function logIn(username, password) {
  const { ok, data } = await call("POST", "/auth/login", { username, password });
  if (!ok) { say(data?.detail ?? "Log-in failed.", "warn"); return false; }
  session.save(data.access_token, username);
  renderAccount();
  say(`Welcome, ${username}.`, "ok");
  await loadMine();
  return true;
}

$("auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const action = event.submitter?.dataset.action ?? "login";
  const username = $("username").value.trim();
  const password = $("password").value;
  if (action === "signup") {
    const { ok, data } = await call("POST", "/auth/signup", { username, password });
    if (!ok) { say(data?.detail ?? "Sign-up failed.", "warn"); return; }
  }
  if (await logIn(username, password)) $("password").value = "";
});

$("logout-button").addEventListener("click", async () => {
  await call("POST", "/auth/logout");
  session.clear();
  renderAccount();
  $("mine").replaceChildren();
  say("Logged out.");
  $("username").focus();
});

renderAccount();
loadVouchers();
loadMine();
