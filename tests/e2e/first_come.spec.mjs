// Registration day in the browser, found by label and role: an admin switches a date to
// first-come on /admin; ann books on /book and is confirmed at once; ben finds the hour full,
// joins its waitlist and sees his place in line; ann cancels, and ben, on his next look, holds
// the seats. The admin's day view shows each hour's mode and its waitlist.
//
// usage: FIXTURE='{...}' node first_come.spec.mjs BASE_URL OUTPUT_DIR
// The fixture is prepared by tests/tests/browser_first_come.rs: an admin, a date whose hours
// hold `capacity` seats each, all booking by approval.

import assert from "node:assert/strict";
import { PHONE, args, assertNoSideScroll, launch, logIn, pageErrors, person, shooter, signUp } from "./lib.mjs";

const { base, out } = args();
const fx = JSON.parse(process.env.FIXTURE ?? "{}");
assert.ok(fx.date && fx.admin && fx.capacity, "FIXTURE names a date, an admin and the capacity");
const step = shooter(out);
const browser = await launch();
const pages = [];

const field = (page, label) => page.getByLabel(label, { exact: true });
const mineOf = (page) => page.locator("section").filter({ has: page.getByRole("heading", { name: "My reservations" }) });
const dayOf = (page) => page.getByRole("list", { name: "Confirmed seats per hour" });

/** Shows `fx.date` in the admin's day view, once its hours have come. */
async function showDay(page) {
  await page.getByRole("tab", { name: "Day view" }).click();
  const loaded = page.waitForResponse((r) => r.url().includes(`/admin/exam-slots?date=${fx.date}`));
  await field(page, "Day").fill(fx.date);
  await loaded;
  await dayOf(page).getByRole("listitem").first().waitFor();
}

async function pickDate(page) {
  // The page asks once typing has paused on a whole date.
  const loaded = page.waitForResponse((r) => r.url().includes(`/exam-slots/available?date=${fx.date}`));
  await field(page, "Date").fill(fx.date);
  await loaded;
  await page.getByRole("list", { name: "Hours of the chosen date" }).getByRole("listitem").first().waitFor();
}

async function request(page, seats) {
  await field(page, "From").selectOption({ label: "09:00" });
  await field(page, "To").selectOption({ label: "10:00" });
  await field(page, "Seats").fill(String(seats));
  await page.getByRole("button", { name: "Request seats" }).click();
}

try {
  // ---- the admin opens registration: the whole date books first-come ----------------------
  const chief = await person(browser);
  pages.push(chief);
  await chief.goto(`${base}/admin`);
  await logIn(chief, fx.admin.username, fx.admin.password);
  await showDay(chief);
  await dayOf(chief).getByRole("listitem").filter({ hasText: "09:00" }).getByText("Approval").waitFor();
  // The range follows the day shown: its midnight to the next.
  assert.equal(await field(chief, "From").inputValue(), `${fx.date}T00:00`);
  await field(chief, "Hours book").selectOption({ label: "First come, with a waitlist" });
  await chief.getByRole("button", { name: "Set booking mode" }).click();
  await chief.getByRole("status").getByText(/now books first-come: 24 hours changed\. Existing reservations are unchanged\.$/).waitFor();
  await dayOf(chief).getByRole("listitem").filter({ hasText: "09:00" }).getByText("First come").waitFor();
  await step(chief, "first-come-01-admin-modes");

  // ---- ann is confirmed at once -----------------------------------------------------------
  const ann = await person(browser);
  pages.push(ann);
  await ann.goto(`${base}/book`);
  await signUp(ann, "ann", "ann-password");
  await pickDate(ann);
  await ann.getByText("This date books first-come: seats are confirmed at once. When an hour is full you can join its waitlist.").waitFor();
  const annHours = ann.getByRole("list", { name: "Hours of the chosen date" });
  await annHours.getByRole("button", { name: `09:00 to 10:00, ${fx.capacity} left, first come: pick this hour` }).waitFor();
  await request(ann, fx.capacity);
  await ann.getByRole("status").getByText(new RegExp(`^Confirmed: ${fx.capacity} seats for .*09:00–10:00\\. The seats are yours\\.$`)).waitFor();
  const annRow = mineOf(ann).getByRole("listitem").filter({ hasText: "09:00–10:00" });
  await annRow.getByText("confirmed", { exact: true }).waitFor();
  assert.equal(await annRow.getByRole("button", { name: /^Edit/ }).count(), 0, "first-come seats are not edited");
  await step(ann, "first-come-02-confirmed");

  // ---- ben finds the hour full and joins the waitlist ------------------------------------
  const ben = await person(browser);
  pages.push(ben);
  await ben.goto(`${base}/book`);
  await signUp(ben, "ben", "ben-password");
  await pickDate(ben);
  const benHours = ben.getByRole("list", { name: "Hours of the chosen date" });
  await benHours.getByRole("button", { name: "09:00 to 10:00, Full, first come: pick this hour to join its waitlist" }).click();
  await field(ben, "Seats").fill("4");
  await ben.getByRole("button", { name: "Request seats" }).click();
  await ben.getByText("No room: not enough free seats for 4 seats in every hour of that range. The 09:00 hour is full. Ask for fewer seats or pick other hours.").waitFor();
  assert.equal(await mineOf(ben).getByRole("listitem").count(), 0, "a refusal books nothing");
  await ben.getByRole("button", { name: /^Join the waitlist for 4 seats on / }).click();
  await ben.getByRole("status").getByText(/^You are number 1 on the waitlist for 4 seats on .*09:00–10:00\./).waitFor();
  const benRow = mineOf(ben).getByRole("listitem").filter({ hasText: "09:00–10:00" });
  await benRow.getByText("waitlisted", { exact: true }).waitFor();
  await benRow.getByText("4 seats · number 1 in line").waitFor();
  await benHours.getByRole("button", { name: "09:00 to 10:00, Full, 1 waiting, first come: pick this hour to join its waitlist" }).waitFor();
  await step(ben, "first-come-03-waitlisted");
  await ben.setViewportSize(PHONE);
  await assertNoSideScroll(ben, "/book on a phone, first-come");
  await step(ben, "first-come-04-waitlisted-phone");

  // The admin's day view counts the line.
  await chief.reload();
  await showDay(chief);
  await dayOf(chief).getByRole("listitem").filter({ hasText: "09:00" }).getByText("First come, 1 waiting").waitFor();

  // ---- ann cancels; ben holds the seats -----------------------------------------------------
  await annRow.getByRole("button", { name: /^Cancel the reservation for / }).click();
  const dialog = ann.getByRole("dialog", { name: "Cancel this reservation?" });
  await dialog.getByText(/Your seats are given up, to the next in line/).waitFor();
  await dialog.getByRole("button", { name: "Cancel reservation" }).click();
  await annRow.getByText("cancelled", { exact: true }).waitFor();

  await ben.reload();
  await ben.getByRole("button", { name: "Log out" }).waitFor();
  await benRow.getByText("confirmed", { exact: true }).waitFor();
  await benRow.getByText("4 seats", { exact: true }).waitFor();
  await assertNoSideScroll(ben, "/book on a phone, promoted");
  await step(ben, "first-come-05-promoted-phone");

  await showDay(chief);
  const nine = dayOf(chief).getByRole("listitem").filter({ hasText: "09:00" });
  await nine.getByText(`4 / ${fx.capacity}`).waitFor();
  await nine.getByText("First come", { exact: true }).waitFor();
  await chief.setViewportSize(PHONE);
  await chief.getByRole("heading", { name: "Booking mode" }).scrollIntoViewIfNeeded();
  await assertNoSideScroll(chief, "/admin on a phone, booking mode");
  await step(chief, "first-come-06-admin-phone");

  assert.deepEqual(pageErrors.map(String), [], "no errors in the pages");
  console.log("browser test (first come): all steps passed");
} catch (error) {
  for (const [i, page] of pages.entries()) await step(page, `failure-first-come-${i}`).catch(() => {});
  throw error;
} finally {
  await browser.close();
}
