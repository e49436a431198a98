// What the browser scripts share: Debian's Chromium, headless; one context per person (each
// with its own storage, so each has its own log-in); screenshots; the API for fixtures.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function args() {
  const [base, out] = process.argv.slice(2);
  assert.ok(base && out, "usage: node <spec>.mjs BASE_URL OUTPUT_DIR");
  mkdirSync(out, { recursive: true });
  return { base, out };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Errors thrown inside any page; a run fails when one happened. */
export const pageErrors = [];

/** A new person at desktop size: own storage, British English, UTC like the server. */
export async function person(browser) {
  const context = await browser.newContext({ viewport: DESKTOP, locale: "en-GB", timezoneId: "UTC" });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e));
  page.on("console", (m) => { if (m.type() === "error") console.log(`page console: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 500) console.log(`server error: ${r.status()} ${r.url()}`); });
  return page;
}

export function shooter(out) {
  return (page, name) => page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
}

/** What fits in the window only: the pictures in the README. */
export function viewShooter(out) {
  return (page, name) => page.screenshot({ path: `${out}/${name}.png` });
}

/** Fails when the page scrolls sideways at its current width. */
export async function assertNoSideScroll(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, `${what}: no horizontal scrolling`);
}

export function apiClient(base) {
  return async (method, path, token, body) => {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
    return { status: res.status, data: res.status === 204 ? null : await res.json() };
  };
}

export async function signUp(page, username, password) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

export async function logIn(page, username, password) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}
