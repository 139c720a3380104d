const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The account chooser: where Google would ask who is signing in, this page lets a
 * person (or a browser test) say which account answers: email, whether Google has
 * verified it, and the account's `sub`. Field ids are stable for tests to fill.
 */
export function consentPage(p: { requestId: string; clientId: string; loginHint?: string; redirectHost: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Development Google</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input[type=email],input[type=text]{width:100%;padding:.4rem}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}.note{color:#555;font-size:.9rem}</style>
</head><body>
<main>
<h1>Choose an account</h1>
<p class="note">Development OpenID Connect issuer standing in for Google. Continuing signs in to <strong>${esc(p.redirectHost)}</strong> (client <code>${esc(p.clientId)}</code>).</p>
<form method="post" action="/o/oauth2/v2/auth/approve">
<input type="hidden" name="request" value="${esc(p.requestId)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" required autocomplete="email" value="${esc(p.loginHint ?? "")}">
<label><input id="email_verified" name="email_verified" type="checkbox" value="true" checked> Google has verified this email</label>
<label for="sub">Account id (sub; empty: derived from the email)</label>
<input id="sub" name="sub" type="text" inputmode="numeric" autocomplete="off">
<label for="name">Name</label>
<input id="name" name="name" type="text" autocomplete="name">
<button id="allow" type="submit" name="action" value="allow">Continue</button>
<button id="deny" type="submit" name="action" value="deny" formnovalidate>Cancel</button>
</form>
</main>
</body></html>`;
}

/** What Google shows when the request cannot be sent back to the client (unknown client, unregistered redirect URI). */
export function errorPage(code: string, detail: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error: ${esc(code)}</title></head><body>
<main><h1>Access blocked: authorization error</h1><p>Error 400: <strong>${esc(code)}</strong></p><p>${esc(detail)}</p></main>
</body></html>`;
}
