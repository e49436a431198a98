// The console's sections as tabs (WAI-ARIA tabs pattern): one section on screen at a time,
// chosen by a click, the arrow keys, Home and End, or the address's #hash, which a reload keeps.

import { $ } from "/assets/session.js";

const tabs = [...document.querySelectorAll('#sections [role="tab"]')];

/** Shows the section `name` ("pending", "day", ...); `focus` moves the keyboard to its tab. */
export function showSection(name, { focus = false } = {}) {
  const chosen = tabs.find((t) => t.dataset.panel === name) ?? tabs[0];
  for (const tab of tabs) {
    const selected = tab === chosen;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`panel-${tab.dataset.panel}`).hidden = !selected;
  }
  if (focus) chosen.focus();
  history.replaceState(null, "", `#${chosen.dataset.panel}`);
}

for (const [i, tab] of tabs.entries()) {
  tab.addEventListener("click", () => showSection(tab.dataset.panel));
  tab.addEventListener("keydown", (event) => {
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    showSection(tabs[(to + tabs.length) % tabs.length].dataset.panel, { focus: true });
  });
}

showSection(location.hash.slice(1));
