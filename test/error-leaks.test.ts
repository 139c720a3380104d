import { describe, expect, it } from "vitest";
import { refusalOf } from "../functions/graph/errors.js";
import { vaultMismatchResponse } from "../functions/vault-refusal.js";
import { AppError } from "../lib/errors.js";

// Server-side problems are the operator's: their words go to the log, callers get a code.
const VAULT_TEXT = "MASTER_KEK_V2 does not match vault key version 2: it derives another key than the one that sealed this database's fields";

describe("5xx answers carry no internal text", () => {
  it("the Graph surface: an unmapped 5xx AppError is Graph's unknown error, without error_data details", () => {
    const r = refusalOf(new AppError(500, "vault_decrypt_failed", VAULT_TEXT), "1234567890");
    expect(r).toEqual({ status: 500, code: 1, message: "An unknown error occurred" });
    expect(JSON.stringify(r)).not.toContain("MASTER_KEK");
  });

  it("the Graph surface: a 4xx keeps its details (they are the caller's own mistake)", () => {
    expect(refusalOf(new AppError(422, "some_new_check", "to: must be digits"), "1").details).toBe("to: must be digits");
    expect(refusalOf(new AppError(503, "temporarily_unavailable", "Retry shortly"), "1")).toMatchObject({ status: 503, code: 2, details: "Retry shortly" });
  });

  it("the Worker's vault refusal names its code, never the variable or the key version", async () => {
    const res = vaultMismatchResponse();
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "vault_key_mismatch", message: expect.any(String), request_id: "" } });
    expect(text).not.toMatch(/MASTER_KEK|version|derive/i);
  });
});
