// Drives /book and /admin as people would, finding everything by its visible label or role:
// a user requests seats and sees them pending; the refusals are explained next to the field;
// an admin works the pending queue (oldest first), one confirm is refused for lack of room;
// the user reloads and sees the confirmation; a non-admin gets a clear "admins only" page.
//
// usage: FIXTURE='{...}' node book.spec.mjs BASE_URL OUTPUT_DIR
// The fixture is prepared by tests/tests/browser_book.rs: an admin, and on `date` one hour
// with 10 seats left (`nearly_full_hour`) and one full hour (`full_hour`).

import assert from "node:assert/strict";
import {
  PHONE, apiClient, args, assertNoSideScroll, launch, logIn, pageErrors, person, shooter, signUp,
  viewShooter,
} from "./lib.mjs";

const { base, out } = args();
const fx = JSON.parse(process.env.FIXTURE ?? "{}");
assert.ok(fx.date && fx.admin, "FIXTURE names a date and an admin");
const step = shooter(out);
const view = viewShooter(out);
const browser = await launch();
const pages = [];

// Form fields, by their exact visible labels.
const field = (page, label) => page.getByLabel(label, { exact: true });
const mineOf = (page) => page.locator("section").filter({ has: page.getByRole("heading", { name: "My reservations" }) });
const pendingOf = (page) => page.locator("section").filter({ has: page.getByRole("heading", { name: "Pending reservations" }) });

async function pickDate(page) {
  // The page asks once typing has paused on a whole date.
  const loaded = page.waitForResponse((r) => r.url().includes(`/exam-slots/available?date=${fx.date}`));
  await field(page, "Date").fill(fx.date);
  await loaded;
  await page.getByRole("list", { name: "Hours of the chosen date" }).getByRole("listitem").first().waitFor();
}

async function request(page, from, to, seats) {
  await field(page, "From").selectOption({ label: from });
  await field(page, "To").selectOption({ label: to });
  await field(page, "Seats").fill(String(seats));
  await page.getByRole("button", { name: "Request seats" }).click();
}

try {
  // ---- alice books on /book ------------------------------------------------------------
  const alice = await person(browser);
  pages.push(alice);
  await alice.goto(`${base}/book`);
  await alice.getByRole("heading", { name: "Book exam seats" }).waitFor();
  await alice.getByText("Log in or sign up above").waitFor();
  await signUp(alice, "alice", "alice-password");

  await pickDate(alice);
  const hours = alice.getByRole("list", { name: "Hours of the chosen date" });
  assert.equal(await hours.getByRole("listitem").count(), 24, "every hour of the date is shown");
  await hours.getByRole("button", { name: `${fx.nearly_full_hour} to 10:00, 10 left: pick this hour` }).waitFor();
  const full = hours.getByRole("listitem").filter({ hasText: fx.full_hour });
  assert.equal(await full.textContent(), `${fx.full_hour}Full`);
  assert.equal(await full.getByRole("button").count(), 0, "a full hour cannot be picked");
  assert.equal(await field(alice, "From").locator("option", { hasText: fx.full_hour }).count(), 0, "nor started from");
  await step(alice, "book-01-hours");

  // Every rule is explained next to the field at fault, in plain words.
  for (const seats of [0, 60000]) {
    await request(alice, "10:00", "12:00", seats);
    await alice.getByText("Seats must be a whole number from 1 to 50,000.").waitFor();
    assert.equal(await field(alice, "Seats").getAttribute("aria-invalid"), "true");
    const described = await field(alice, "Seats").getAttribute("aria-describedby");
    assert.ok(described.includes("seats-error"), "the error is tied to the field");
  }
  // Two tiles pick a range, the first hour and then the last, and the range shows as picked.
  await hours.getByRole("button", { name: /^10:00 to 11:00, / }).click();
  await hours.getByRole("button", { name: /^11:00 to 12:00, / }).click();
  assert.equal(await field(alice, "From").inputValue(), `${fx.date}T10:00:00Z`);
  assert.equal(await field(alice, "To").inputValue(), `${fx.date}T12:00:00Z`);
  for (const [tile, pressed] of [["10:00", "true"], ["11:00", "true"], ["12:00", "false"], ["09:00", "false"]]) {
    const b = hours.getByRole("button", { name: new RegExp(`^${tile} to `) });
    assert.equal(await b.getAttribute("aria-pressed"), pressed, `${tile} picked: ${pressed}`);
  }
  await alice.getByText("Picked 10:00–12:00.").waitFor();
  await step(alice, "book-01-range");
  await field(alice, "Seats").fill("3");
  await alice.getByRole("button", { name: "Request seats" }).click();
  await alice.getByRole("status").getByText(/^Requested 3 seats for .*10:00–12:00\. It is pending/).waitFor();
  assert.equal(await field(alice, "Seats").getAttribute("aria-invalid"), null, "the error is gone");
  const aliceRow = mineOf(alice).getByRole("listitem").filter({ hasText: "10:00–12:00" });
  await aliceRow.getByText("pending", { exact: true }).waitFor();
  await aliceRow.getByText("3 seats").waitFor();
  await step(alice, "book-02-requested");
  await view(alice, "readme-book");

  // A second request: edit it, then cancel it (after confirming in a dialog).
  await request(alice, "16:00", "17:00", 2);
  const extra = mineOf(alice).getByRole("listitem").filter({ hasText: "16:00–17:00" });
  await extra.getByText("2 seats").waitFor();
  await extra.getByRole("button", { name: /^Edit the reservation for / }).click();
  await alice.getByRole("heading", { name: "Change a reservation" }).waitFor();
  assert.equal(await field(alice, "From").inputValue(), `${fx.date}T16:00:00Z`);
  await field(alice, "Seats").fill("4");
  await alice.getByRole("button", { name: "Save changes" }).click();
  await alice.getByRole("status").getByText(/^Changed: .*16:00–17:00, 4 seats/).waitFor();
  await extra.getByText("4 seats").waitFor();
  await extra.getByRole("button", { name: /^Cancel the reservation for / }).click();
  const dialog = alice.getByRole("dialog", { name: "Cancel this reservation?" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Keep it" }).click();
  await dialog.waitFor({ state: "detached" });
  await extra.getByText("pending", { exact: true }).waitFor();
  await extra.getByRole("button", { name: /^Cancel the reservation for / }).click();
  await dialog.getByRole("button", { name: "Cancel reservation" }).click();
  await extra.getByText("cancelled", { exact: true }).waitFor();
  assert.equal(await extra.getByRole("button").count(), 0, "a cancelled reservation has no actions");

  // ---- bob: no room in the nearly full hour -------------------------------------------
  const bob = await person(browser);
  pages.push(bob);
  await bob.goto(`${base}/book`);
  // Answers can arrive out of order: the hours of the page's first date (its default, loaded
  // at sign-in) are answered slowly here, after bob has picked another date, and must not
  // replace that date's hours when they arrive.
  const slowly = "**/api/v1/exam-slots/available?*";
  await bob.route(slowly, async (route) => {
    if (!route.request().url().includes(fx.date)) await new Promise((done) => setTimeout(done, 1500));
    await route.continue();
  });
  const lateAnswer = bob.waitForResponse((r) => r.url().includes("/exam-slots/available?") && !r.url().includes(fx.date));
  await signUp(bob, "bob", "bob-password");
  await pickDate(bob);
  await lateAnswer;
  await bob.waitForTimeout(300);
  const bobHours = bob.getByRole("list", { name: "Hours of the chosen date" });
  assert.equal(await bobHours.getByRole("button", { name: `${fx.nearly_full_hour} to 10:00, 10 left: pick this hour` }).count(), 1,
    "the chosen date's hours stay after a late answer for the date before");
  await bob.unroute(slowly);
  await request(bob, fx.nearly_full_hour, "10:00", 20);
  await bob.getByText(`No room: not enough free seats for 20 seats in every hour of that range. The ${fx.nearly_full_hour} hour has only 10 seats left. Ask for fewer seats or pick other hours.`).waitFor();
  assert.equal(await field(bob, "Seats").getAttribute("aria-invalid"), "true");
  assert.equal(await mineOf(bob).getByRole("listitem").count(), 0, "nothing was booked");
  await step(bob, "book-03-no-room");
  // Two requests of 8 fit one at a time; only one of them can be confirmed.
  for (let i = 1; i <= 2; i++) {
    await request(bob, fx.nearly_full_hour, "10:00", 8);
    await bob.getByRole("status").getByText(/^Requested 8 seats/).waitFor();
    await bob.waitForFunction((n) => document.querySelectorAll("#mine li").length === n, i);
  }

  // A user who is not an admin gets a clear page on /admin.
  await bob.goto(`${base}/admin`);
  await bob.getByRole("heading", { name: "Admins only" }).waitFor();
  await bob.getByText("You are signed in as bob, which is not an admin account.").waitFor();
  assert.equal(await bob.getByRole("heading", { name: "Pending reservations" }).count(), 0);
  await step(bob, "admin-05-not-admin");

  // ---- the admin works the queue on /admin --------------------------------------------
  const chief = await person(browser);
  pages.push(chief);
  await chief.goto(`${base}/admin`);
  await chief.getByText("Log in with an admin account").waitFor();
  await logIn(chief, fx.admin.username, fx.admin.password);
  const queue = pendingOf(chief).getByRole("listitem");
  await queue.first().waitFor();
  assert.equal(await queue.count(), 3);
  const users = await queue.locator(".user").allInnerTexts();
  assert.deepEqual(users, ["alice", "bob", "bob"], "oldest first");
  await step(chief, "admin-01-queue");
  // The sections are tabs; the day view opens on the date of the oldest pending request.
  const tab = (name) => chief.getByRole("tab", { name });
  await tab("Day view").click();
  assert.equal(await tab("Day view").getAttribute("aria-selected"), "true");
  assert.equal(await chief.getByRole("heading", { name: "Pending reservations" }).isVisible(), false, "one section at a time");
  const day = chief.getByRole("list", { name: "Confirmed seats per hour" });
  await day.getByRole("listitem").filter({ hasText: fx.nearly_full_hour }).getByText("Nearly full").waitFor();
  assert.equal(await chief.getByLabel("Day", { exact: true }).inputValue(), fx.date);
  await day.getByRole("listitem").filter({ hasText: fx.full_hour }).getByText("Full", { exact: true }).waitFor();
  await step(chief, "admin-01-day");
  // The arrow keys move between the tabs.
  await tab("Day view").focus();
  await chief.keyboard.press("ArrowLeft");
  assert.equal(await tab("Pending").getAttribute("aria-selected"), "true");

  const first = queue.nth(0);
  await first.getByRole("button", { name: /^Confirm 3 seats on .*10:00–12:00/ }).click();
  await first.getByText("Confirmed: the seats are taken.").waitFor();
  await first.getByText("confirmed", { exact: true }).waitFor();
  assert.equal(await first.getByRole("button", { name: /^Confirm/ }).count(), 0);
  await queue.nth(1).getByRole("button", { name: /^Confirm 8 seats/ }).click();
  await queue.nth(1).getByText("Confirmed: the seats are taken.").waitFor();
  await chief.getByRole("status").getByText(/^Confirmed 8 seats on /).waitFor();
  await step(chief, "admin-02-confirmed");
  // A refused confirm names the hour that is short, and the status line no longer shows the
  // success before it.
  await queue.nth(2).getByRole("button", { name: /^Confirm 8 seats/ }).click();
  const noRoom = `No room at ${fx.nearly_full_hour}: that hour has fewer free seats than the 8 seats it needs. It stays as it was.`;
  await queue.nth(2).getByText(noRoom).waitFor();
  await chief.getByRole("status").getByText(`Not confirmed: `, { exact: false }).waitFor();
  assert.ok((await chief.getByRole("status").textContent()).endsWith(noRoom));
  await queue.nth(2).getByText("pending", { exact: true }).waitFor();
  await step(chief, "admin-03-refused");
  await chief.evaluate(() => window.scrollTo(0, 0));
  await view(chief, "readme-admin");
  await tab("Day view").click();
  await day.getByRole("listitem").filter({ hasText: "10:00" }).getByText("3 / 50,000").waitFor();
  await day.getByRole("listitem").filter({ hasText: fx.nearly_full_hour }).getByText("49,998 / 50,000").waitFor();
  await tab("Reservations").click();

  // Reservations: the list followed the queue; search by user and status.
  const list = chief.locator("section").filter({ has: chief.getByRole("heading", { name: "Reservations", exact: true }) });
  await list.getByRole("listitem").filter({ hasText: "alice" }).filter({ hasText: "10:00–12:00" }).getByText("confirmed", { exact: true }).waitFor();
  await chief.getByLabel("User", { exact: true }).fill("alice");
  await chief.getByLabel("Status", { exact: true }).selectOption({ label: "Confirmed" });
  await chief.getByRole("button", { name: "Search" }).click();
  await chief.getByText("1 reservation, newest first. Page 1 of 1.").waitFor();
  await list.getByRole("listitem").filter({ hasText: "alice" }).getByText("3 seats", { exact: false }).waitFor();
  await chief.getByLabel("User", { exact: true }).fill("nobody");
  await chief.getByRole("button", { name: "Search" }).click();
  await chief.getByText('No user is called "nobody".').waitFor();
  await chief.getByRole("button", { name: "Clear" }).click();
  await chief.getByText(/^6 reservations, newest first/).waitFor();

  // Vouchers: a book, a voucher, more stock, closed and open again.
  await tab("Vouchers").click();
  await chief.getByRole("button", { name: "Create voucher" }).click();
  await chief.getByText("Add a book first.").waitFor();
  await chief.getByLabel("Title", { exact: true }).fill("Dune");
  await chief.getByRole("button", { name: "Add book" }).click();
  await chief.getByRole("status").getByText("Added the book Dune.").waitFor();
  assert.equal(await chief.getByText("Add a book first.").count(), 0, "the hint goes once a book exists");
  await chief.getByLabel("Campaign name").fill("DUNE-DROP");
  await chief.getByLabel("Quantity", { exact: true }).first().fill("5");
  await chief.getByRole("button", { name: "Create voucher" }).click();
  const voucher = chief.locator("#vouchers").getByRole("listitem").filter({ hasText: "Dune" }).first();
  await voucher.getByText(/^5 of 5 left/).waitFor();
  await voucher.getByLabel("Quantity", { exact: true }).fill("7");
  await voucher.getByRole("button", { name: "Raise" }).click();
  await chief.getByText(/^7 of 7 left/).waitFor();
  await chief.getByRole("button", { name: "Close the voucher for Dune" }).click();
  await chief.getByRole("button", { name: "Open the voucher for Dune" }).waitFor();
  await chief.getByRole("button", { name: "Open the voucher for Dune" }).click();
  await chief.getByRole("button", { name: "Close the voucher for Dune" }).waitFor();
  await chief.getByRole("button", { name: "Show the claims of Dune" }).click();
  await chief.getByText("No claims yet.").waitFor();

  // A shop redeems the code alice got for Dune: once, however it is typed.
  const api = apiClient(base);
  const aliceToken = await alice.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => /token/i.test(k));
    return localStorage.getItem(key);
  });
  const events = await api("GET", "/events");
  const dune = events.data.items.find((v) => v.book.title === "Dune");
  const claimed = await api("POST", `/events/${dune.id}/claim`, aliceToken);
  assert.equal(claimed.status, 201, JSON.stringify(claimed.data));
  const code = claimed.data.code;
  await chief.getByLabel("Redemption code").fill(code.toLowerCase().replaceAll("-", " "));
  await chief.getByRole("button", { name: "Redeem", exact: true }).click();
  await chief.getByText("Redeemed: Dune for alice. The code is now used.").waitFor();
  await chief.getByLabel("Redemption code").fill(code);
  await chief.getByRole("button", { name: "Redeem", exact: true }).click();
  await chief.getByText(/^Already used: this code was redeemed before/).waitFor();
  await chief.getByLabel("Redemption code").fill("DUNE-DROP");
  await chief.getByRole("button", { name: "Redeem", exact: true }).click();
  await chief.getByText(/^A code is 16 letters and digits/).waitFor();

  // Phone width: one column, nothing cut off.
  await chief.setViewportSize(PHONE);
  await tab("Pending").click();
  await chief.getByRole("heading", { name: "Pending reservations" }).scrollIntoViewIfNeeded();
  await assertNoSideScroll(chief, "/admin on a phone");
  await step(chief, "admin-04-phone");

  // ---- alice reloads and sees her reservation confirmed ----------------------------------
  await alice.reload();
  await alice.getByRole("button", { name: "Log out" }).waitFor();
  await mineOf(alice).getByRole("listitem").filter({ hasText: "10:00–12:00" }).getByText("confirmed", { exact: true }).waitFor();
  assert.equal(await mineOf(alice).getByRole("listitem").filter({ hasText: "10:00–12:00" }).getByRole("button").count(), 0,
    "a confirmed reservation is no longer hers to change");
  await step(alice, "book-04-confirmed");

  // The keyboard: the first Tab reaches the skip link, and focus is visible.
  await alice.keyboard.press("Tab");
  const focused = await alice.evaluate(() => ({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  assert.deepEqual(focused, { text: "Skip to booking", outline: "solid" });

  // Phone width: one column, nothing cut off.
  await alice.setViewportSize(PHONE);
  await pickDate(alice);
  await assertNoSideScroll(alice, "/book on a phone");
  await step(alice, "book-05-phone");

  // An admin makes bob an admin on the Users list; bob's console opens on the next load.
  await chief.setViewportSize({ width: 1280, height: 900 });
  await tab("Users").click();
  await chief.getByLabel("Role of bob").selectOption("admin");
  await chief.getByRole("status").getByText("bob is now an admin.").waitFor();
  await bob.reload();
  await bob.getByRole("heading", { name: "Pending reservations" }).waitFor();
  assert.equal(await bob.getByRole("heading", { name: "Admins only" }).isVisible(), false);

  assert.deepEqual(pageErrors.map(String), [], "no errors in the pages");
  console.log("browser test (book, admin): all steps passed");
} catch (error) {
  for (const [i, page] of pages.entries()) await step(page, `failure-book-${i}`).catch(() => {});
  throw error;
} finally {
  await browser.close();
}
