import { describe, expect, it } from "vitest";
import { parseSendMessage } from "../lib/messages/schema.js";

const errorsOf = (body: unknown) => {
  const r = parseSendMessage(body);
  if (r.ok) throw new Error("expected a refusal");
  return r.errors;
};
const tpl = (extra: Record<string, unknown>) => ({ to: "919876543210", type: "template", template: { name: "order_update", language: { code: "en_US" }, ...extra } });

describe("POST /v1/messages field errors read as sentences, never the validator's wording", () => {
  it("an unknown template.category names the allowed values", () => {
    expect(errorsOf(tpl({ category: "PROMO" }))).toEqual([{ field: "template.category", message: "must be one of MARKETING, UTILITY, AUTHENTICATION" }]);
  });

  it("{} names every missing required field: no type is a text, as at Meta, so to and text", () => {
    expect(errorsOf({})).toEqual([{ field: "to", message: "is required" }, { field: "text", message: "is required" }]);
  });

  it("an unknown type says which types there are and where the content goes", () => {
    const errors = errorsOf({ to: "919876543210", type: "fax" });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^must be one of text, template, .*reaction, with the content in the field of that name/);
  });

  it("a known type without its content names to and the content field", () => {
    expect(errorsOf({ type: "text" })).toEqual([{ field: "to", message: "is required" }, { field: "text", message: "is required" }]);
  });

  it("an unknown type still checks to", () => {
    expect(errorsOf({ type: "fax", fax: {} }).map((e) => e.field)).toEqual(["to", "type"]);
  });

  it("a value of the wrong kind says what it must be, not that it is missing", () => {
    expect(errorsOf({ to: 919876543210, type: "text", text: { body: 2 } })).toEqual([
      { field: "to", message: "must be a string" },
      { field: "text.body", message: "must be a string" },
    ]);
    expect(errorsOf({ to: "919876543210", type: "location", location: { latitude: 100, longitude: 0 } })).toEqual([{ field: "location.latitude", message: "must be from -90 to 90" }]);
    expect(errorsOf({ to: "919876543210", type: "interactive", interactive: { type: 3, action: {} } })[0]!.message).toBe("must be a string");
    expect(errorsOf({ to: "919876543210", type: "image", image: { id: "1", link: "https://x.example/a.png" } })).toEqual([{ field: "image", message: "needs exactly one of id (an uploaded media id) or link (an http or https URL), not both" }]);
  });

  it("a body that is not an object is one error on body", () => {
    for (const b of [null, [], "hi", 3]) expect(errorsOf(b)).toEqual([{ field: "body", message: "must be a JSON object" }]);
  });

  it("no message anywhere carries the validator's raw wording", () => {
    const bodies = [{}, { to: 1 }, tpl({ category: "x" }), tpl({ components: "x" }), { to: "919876543210", type: "reaction", reaction: { message_id: "w", emoji: 1 } }, { to: "919876543210", type: "text", text: { body: "x", preview_url: "yes" }, messaging_product: "sms" }];
    for (const b of bodies) for (const e of errorsOf(b)) expect(e.message, JSON.stringify(b)).not.toMatch(/Invalid (type|value)|Expected|received/);
  });
});
