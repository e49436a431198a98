// Drives the event page like a reader would: sign up, claim, see "already claimed" and
// "sold out", use a voucher from "my vouchers", and check the phone layout. Saves a screenshot
// at each step under the output folder.
//
// usage: node events.spec.mjs BASE_URL OUTPUT_DIR
// The fixture (two live vouchers: "Dune" with plenty left, "Last Copy" with one) is created by
// the Rust test that runs this script.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const [base, out] = process.argv.slice(2);
assert.ok(base && out, "usage: node events.spec.mjs BASE_URL OUTPUT_DIR");
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const step = async (page, name) => page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
const api = async (method, path, token, body) => {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, data: res.status === 204 ? null : await res.json() };
};

const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
try {
  page.on("pageerror", (e) => { throw e; });
  page.on("console", (m) => console.log(`page console: ${m.type()}: ${m.text()}`));
  page.on("response", (r) => { if (r.status() >= 500) console.log(`server error: ${r.status()} ${r.url()}`); });
  await page.goto(`${base}/events`);
  await page.getByRole("heading", { name: "Live vouchers" }).waitFor();
  await page.getByRole("button", { name: "Claim a voucher for Dune" }).waitFor();
  await step(page, "01-event-page");

  // Claiming before logging in asks for a log-in.
  await page.getByRole("button", { name: "Claim a voucher for Dune" }).click();
  await page.getByText("Log in to claim.").waitFor();

  // Sign up through the form (labels are real labels).
  await page.getByLabel("Username").fill("reader1");
  await page.getByLabel("Password").fill("reading-is-fun");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByText("Signed in as").waitFor();
  await step(page, "02-signed-up");

  // Claim: the code shows and the count drops.
  const dune = page.locator("li.card", { hasText: "Dune" });
  assert.equal(await dune.locator(".remaining").textContent(), "50 of 50 left");
  await dune.getByRole("button", { name: "Claim a voucher for Dune" }).click();
  await dune.getByText("Claimed! Your code: DUNE-2026").waitFor();
  await dune.locator(".remaining", { hasText: "49 of 50 left" }).waitFor();
  await step(page, "03-claimed");

  // A second press: already claimed.
  await dune.getByRole("button", { name: "Claim a voucher for Dune" }).click();
  await dune.getByText("You already claimed this one.").waitFor();

  // Someone else takes the last copy while the page is open: sold out.
  const other = await api("POST", "/auth/signup", null, { username: "speedy", password: "faster-than-you" });
  assert.equal(other.status, 201);
  const login = await api("POST", "/auth/login", null, { username: "speedy", password: "faster-than-you" });
  const events = await api("GET", "/events");
  const last = events.data.items.find((v) => v.book.title === "Last Copy");
  assert.equal((await api("POST", `/events/${last.id}/claim`, login.data.access_token)).status, 201);
  const lastCard = page.locator("li.card", { hasText: "Last Copy" });
  await lastCard.getByRole("button", { name: "Claim a voucher for Last Copy" }).click();
  await lastCard.getByText("Sold out. Too late this time!").waitFor();
  await step(page, "04-sold-out");

  // My vouchers: the claim is listed; use it once.
  const mine = page.locator("#mine");
  await mine.getByText("DUNE-2026").waitFor();
  await mine.getByRole("button", { name: "Use the voucher for Dune" }).click();
  await mine.getByText(/^Used /).waitFor();
  await step(page, "05-used");

  // After a reload the sold-out voucher has left the page and the session persists.
  await page.reload();
  await page.getByText("Signed in as").waitFor();
  await page.getByRole("button", { name: "Claim a voucher for Dune" }).waitFor();
  assert.equal(await page.locator("li.card", { hasText: "Last Copy" }).count(), 0);

  // Phone width: one column, nothing cut off, focus visible from the keyboard.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.keyboard.press("Tab");
  await step(page, "06-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "no horizontal scrolling on a phone");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("button", { name: "Log in" }).waitFor();
  console.log("browser test: all steps passed");
} catch (error) {
  await step(page, "failure").catch(() => {});
  throw error;
} finally {
  await browser.close();
}
