// Drives the event page like a reader would: sign up, claim, keep the claimed state (and its
// code) across a reload, watch the counts refresh while someone else takes the last copy,
// see a voucher open by itself, use a voucher after confirming, and check the phone layout.
// Saves a screenshot at each step under the output folder.
//
// usage: node events.spec.mjs BASE_URL OUTPUT_DIR
// The fixture (live vouchers "Dune" with plenty left and "Last Copy" with one; "Soon", which
// opens about 20 seconds after the test starts) is created by tests/tests/browser_events.rs.
// Codes are per claim and random: the test checks that one is shown, and that it is the one
// the API returns, never a fixed value.

import assert from "node:assert/strict";
import { PHONE, apiClient, args, assertNoSideScroll, launch, pageErrors, person, shooter, signUp, viewShooter } from "./lib.mjs";

const { base, out } = args();
const step = shooter(out);
const view = viewShooter(out);
const api = apiClient(base);
const browser = await launch();
const page = await person(browser);
const claimButton = (title) => page.getByRole("button", { name: `Claim a voucher for ${title}` });
const card = (title) => page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: title }) });

try {
  await page.goto(`${base}/events`);
  await page.getByRole("heading", { name: "Live vouchers" }).waitFor();
  await claimButton("Dune").waitFor();
  // "Soon" is not open yet: not claimable.
  assert.ok((await claimButton("Soon").count()) === 0 || (await claimButton("Soon").isDisabled()), "Soon is not claimable yet");
  await step(page, "events-01-page");

  // Claiming before logging in asks for a log-in; the hint goes once logged in.
  await claimButton("Dune").click();
  await page.getByText("Log in to claim.").waitFor();
  await signUp(page, "reader1", "reading-is-fun");
  assert.equal(await page.getByText("Log in to claim.").count(), 0, "the log-in hint is gone");
  await step(page, "events-02-signed-up");

  // Claim: a code shows, the count drops, the button says so.
  const dune = card("Dune");
  assert.equal(await dune.getByText(/ left$/).textContent(), "50 of 50 left");
  await claimButton("Dune").click();
  await dune.getByText(/^Claimed! Your code:/).waitFor();
  await dune.getByText("49 of 50 left").waitFor();
  const code = (await dune.locator(".code").textContent()).trim();
  assert.ok(code.length > 0, "a code is shown");
  const token = await page.evaluate(() => localStorage.getItem("token"));
  const mine = await api("GET", "/users/me/vouchers", token);
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.data.items.map((c) => c.code), [code], "the code is the reader's own, from the API");
  assert.equal(await claimButton("Dune").textContent(), "Claimed");
  assert.equal(await claimButton("Dune").isDisabled(), true);
  await step(page, "events-03-claimed");

  // The claimed state and its code survive a reload.
  await page.reload();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  await dune.getByText(`Claimed! Your code: ${code}`).waitFor();
  assert.equal(await claimButton("Dune").isDisabled(), true);

  // Someone else takes the last copy while the page is open: the list refreshes itself.
  const other = await api("POST", "/auth/signup", null, { username: "speedy", password: "faster-than-you" });
  assert.equal(other.status, 201);
  const login = await api("POST", "/auth/login", null, { username: "speedy", password: "faster-than-you" });
  const events = await api("GET", "/events");
  assert.ok(events.data.items.every((v) => v.code === undefined || typeof v.code === "string"));
  const last = events.data.items.find((v) => v.book.title === "Last Copy");
  await card("Last Copy").getByText("1 of 1 left").waitFor();
  assert.equal((await api("POST", `/events/${last.id}/claim`, login.data.access_token)).status, 201);
  await card("Last Copy").getByText("Sold out or closed").waitFor({ timeout: 15000 });
  assert.equal(await claimButton("Last Copy").isDisabled(), true);
  await step(page, "events-04-sold-out");

  // "Soon" is listed before it opens, with when it opens, and cannot be claimed yet; then it
  // opens while the page is open and its button enables itself.
  await card("Soon").getByText(/^Opens at .*, in /).waitFor();
  assert.equal(await claimButton("Soon").isDisabled(), true, "not claimable before it opens");
  await page.waitForFunction(
    () => [...document.querySelectorAll("button")].some((b) => b.getAttribute("aria-label") === "Claim a voucher for Soon" && !b.disabled),
    null, { timeout: 60000 },
  );
  await claimButton("Soon").click();
  await card("Soon").getByText(/^Claimed! Your code:/).waitFor();

  // My vouchers: use one, after a confirmation that says what it means.
  const myList = page.getByRole("region", { name: "My vouchers" });
  await myList.getByText(code).waitFor();
  await myList.getByRole("button", { name: "Use the voucher for Dune" }).click();
  const dialog = page.getByRole("dialog", { name: "Use the voucher for Dune?" });
  await dialog.getByText(/cannot be used again/).waitFor();
  await dialog.getByRole("button", { name: "Not yet" }).click();
  await dialog.waitFor({ state: "detached" });
  assert.equal(await myList.getByText(/^Used /).count(), 0, "nothing used on 'Not yet'");
  await myList.getByRole("button", { name: "Use the voucher for Dune" }).click();
  await dialog.getByRole("button", { name: "Use it now" }).click();
  await myList.getByText(/^Used /).waitFor();
  // The card says so too: no more "Claimed!" once the voucher is spent.
  await card("Dune").getByText(/^Used .*: this voucher is spent\.$/).waitFor();
  assert.equal(await claimButton("Dune").textContent(), "Used");
  assert.equal(await card("Dune").getByText(/^Claimed!/).count(), 0);
  await step(page, "events-05-used");
  await page.evaluate(() => window.scrollTo(0, 0));
  await view(page, "readme-events");

  // After a reload the sold-out voucher has left the page and the session persists.
  await page.reload();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  await claimButton("Dune").waitFor();
  assert.equal(await card("Last Copy").count(), 0);

  // Phone width: one column, nothing cut off, codes whole, focus visible from the keyboard.
  await page.setViewportSize(PHONE);
  await assertNoSideScroll(page, "/events on a phone");
  for (const el of await page.locator(".code").all()) {
    const lines = await el.evaluate((n) => n.getClientRects().length);
    assert.equal(lines, 1, "a code never breaks across lines");
  }
  await page.keyboard.press("Tab");
  await step(page, "events-06-phone");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("button", { name: "Log in" }).waitFor();
  assert.deepEqual(pageErrors.map(String), [], "no errors in the page");
  console.log("browser test (events): all steps passed");
} catch (error) {
  await step(page, "failure-events").catch(() => {});
  throw error;
} finally {
  await browser.close();
}
