// The shop counter: a reader shows their code, and it is redeemed once.

import { $, call, explain } from "/assets/session.js";
import { users } from "./users.js";

const redemptionRefusals = {
  already_used: "Already used: this code was redeemed before. Do not hand out the book.",
  not_found: "No claim has this code. Check it with the reader.",
  invalid_redemption_code: "A code is 16 letters and digits, like K7QM-3XPA-9TRD-W2HF.",
  malformed_request: "Type the code the reader shows.",
};

$("redeem-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = $("redeem-result");
  const code = $("redeem-code").value.trim();
  if (!code) { result.className = "error"; result.textContent = redemptionRefusals.malformed_request; return; }
  const r = await call("POST", "/admin/redemptions", { code });
  if (!r.ok) { result.className = "error"; result.textContent = explain(r, redemptionRefusals); return; }
  const who = users.get(r.data.user_id) ?? `user ${r.data.user_id}`;
  result.className = "ok";
  result.textContent = `Redeemed: ${r.data.book.title} for ${who}. The code is now used.`;
  $("redeem-code").value = "";
});
