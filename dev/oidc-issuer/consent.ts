/**
 * What a person does on the account chooser, over HTTP: open the authorization URL,
 * pick an account, continue. Answers where the issuer sends the browser next (the
 * client's redirect URI with `code` and `state`, or with `error`).
 */
export async function chooseAccount(
  authorizationUrl: string,
  account: { email: string; email_verified?: boolean; sub?: string; name?: string },
  action: "allow" | "deny" = "allow",
): Promise<string> {
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  if (page.status === 302) return page.headers.get("location")!;
  const html = await page.text();
  if (page.status !== 200) throw new Error(`authorization endpoint answered ${page.status}: ${html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim()}`);
  const requestId = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (!requestId) throw new Error("no account chooser in the authorization endpoint's page");
  const form = new URLSearchParams({ request: requestId, email: account.email, action });
  if (account.email_verified ?? true) form.set("email_verified", "true");
  if (account.sub) form.set("sub", account.sub);
  if (account.name) form.set("name", account.name);
  const approved = await fetch(new URL("/o/oauth2/v2/auth/approve", authorizationUrl), { method: "POST", body: form, redirect: "manual" });
  if (approved.status !== 302) throw new Error(`the account chooser answered ${approved.status}`);
  return approved.headers.get("location")!;
}
