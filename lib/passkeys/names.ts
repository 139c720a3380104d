import * as v from "valibot";

/** A passkey's name as its owner gives it ("Work laptop"): 1-64 characters, no control characters. */
export const PasskeyName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, "must not be empty"),
  v.maxLength(64, "must be at most 64 characters"),
  v.regex(/^[^\p{Cc}\p{Cf}]*$/u, "must not contain control characters"),
);

/** What a passkey is called until its owner names it: "Passkey", then "Passkey 2", … */
export const defaultName = (existing: number) => (existing === 0 ? "Passkey" : `Passkey ${existing + 1}`);
