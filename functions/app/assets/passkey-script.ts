import type { Hono } from "hono";
import type { AppEnv } from "../../env.js";
import { open } from "../../middleware/permission.js";

export const PASSKEY_SCRIPT_PATH = "/app/assets/passkey.js";

/**
 * The dashboard's passkey ceremonies in the browser, served as a file from our own
 * origin (the dashboard CSP allows 'self' scripts and nonced inline ones only). It calls
 * navigator.credentials directly: the JSON options from /app/auth/passkey/* become
 * ArrayBuffers, the credential goes back as base64url JSON (WebAuthn L3's toJSON shape).
 *
 * Any element with data-passkey="sign-in" (or id="passkey-sign-in") or
 * data-passkey="register" runs a ceremony when clicked. Optional attributes:
 *   data-options, data-verify   the endpoints (defaults: /app/auth/passkey/<login|register>/…)
 *   data-invitation             an invitation token (accepting it registers the first passkey)
 *   data-csrf                   the session's CSRF token (else <meta name="csrf-token">)
 *   data-name-input             the id of an <input> holding the new passkey's name
 *   data-status                 the id of a live region for progress and errors (default passkey-status)
 *   data-next                   where to go afterwards (sign-in also honours ?next=)
 */
export const PASSKEY_SCRIPT = String.raw`// Sandesh: passkey sign-in and registration (WebAuthn), no dependencies.
const toBuf = (s) => {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
};
const toB64u = (buf) => {
  const bytes = new Uint8Array(buf);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const creationOptions = (o) => ({
  ...o,
  challenge: toBuf(o.challenge),
  user: { ...o.user, id: toBuf(o.user.id) },
  excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: toBuf(c.id) })),
});
const requestOptions = (o) => ({
  ...o,
  challenge: toBuf(o.challenge),
  allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: toBuf(c.id) })),
});

const common = (cred) => ({
  id: cred.id,
  rawId: toB64u(cred.rawId),
  type: cred.type,
  authenticatorAttachment: cred.authenticatorAttachment || undefined,
  clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
});
const registrationJson = (cred) => ({
  ...common(cred),
  response: {
    clientDataJSON: toB64u(cred.response.clientDataJSON),
    attestationObject: toB64u(cred.response.attestationObject),
    transports: cred.response.getTransports ? cred.response.getTransports() : [],
  },
});
const assertionJson = (cred) => ({
  ...common(cred),
  response: {
    clientDataJSON: toB64u(cred.response.clientDataJSON),
    authenticatorData: toB64u(cred.response.authenticatorData),
    signature: toB64u(cred.response.signature),
    userHandle: cred.response.userHandle ? toB64u(cred.response.userHandle) : undefined,
  },
});

const csrfOf = (el) => el.dataset.csrf || document.querySelector('meta[name="csrf-token"]')?.content || null;

async function post(url, body, csrf) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(url, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((json.error && json.error.message) || "The server refused the request (" + res.status + ").");
  return json;
}

const say = (el, text) => {
  const out = document.getElementById(el.dataset.status || "passkey-status");
  if (out) out.textContent = text;
};

const WORDS = {
  NotAllowedError: "The passkey prompt was cancelled or timed out. Try again.",
  InvalidStateError: "This device already holds a passkey for your account.",
  SecurityError: "Passkeys are not allowed on this address.",
  NotSupportedError: "This device cannot make a passkey Sandesh accepts.",
};

async function signIn(el) {
  const csrf = csrfOf(el);
  const options = await post(el.dataset.options || "/app/auth/passkey/login/options", {}, csrf);
  say(el, "Waiting for your passkey…");
  const cred = await navigator.credentials.get({ publicKey: requestOptions(options) });
  const next = el.dataset.next || new URLSearchParams(location.search).get("next") || undefined;
  const done = await post(el.dataset.verify || "/app/auth/passkey/login/verify", { response: assertionJson(cred), next }, csrf);
  say(el, "Signed in.");
  location.assign(done.next || "/app");
}

async function register(el) {
  const csrf = csrfOf(el);
  const invitation = el.dataset.invitation || undefined;
  const options = await post(el.dataset.options || "/app/auth/passkey/register/options", { invitation }, csrf);
  say(el, "Follow your device's prompt to create the passkey…");
  const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
  const input = el.dataset.nameInput ? document.getElementById(el.dataset.nameInput) : null;
  const name = input && input.value.trim() ? input.value.trim() : undefined;
  const done = await post(el.dataset.verify || "/app/auth/passkey/register/verify", { invitation, response: registrationJson(cred), name }, csrf);
  say(el, "Passkey saved.");
  if (el.dataset.next || done.next) location.assign(el.dataset.next || done.next);
  else location.reload();
}

function wire(el) {
  const kind = el.dataset.passkey || (el.id === "passkey-sign-in" ? "sign-in" : "");
  const run = kind === "sign-in" ? signIn : kind === "register" ? register : null;
  if (!run) return;
  if (!window.PublicKeyCredential || !navigator.credentials) {
    el.disabled = true;
    say(el, "This browser does not support passkeys.");
    return;
  }
  el.addEventListener("click", async (ev) => {
    ev.preventDefault();
    if (el.disabled) return;
    el.disabled = true;
    try {
      await run(el);
    } catch (err) {
      say(el, WORDS[err && err.name] || (err && err.message) || "Something went wrong. Try again.");
    } finally {
      el.disabled = false;
    }
  });
}

document.querySelectorAll('[data-passkey], #passkey-sign-in').forEach(wire);
`;

/** GET /app/assets/passkey.js */
export const registerPasskeyScript = (app: Hono<AppEnv>) =>
  app.get("/assets/passkey.js", open("before sign-in: the ceremonies' script, the same for everyone"), (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=300");
    return c.body(PASSKEY_SCRIPT);
  });
