/**
 * A browser as far as cookies and redirects go: it keeps what servers set (by name,
 * attributes aside), sends it back to the origin that set it, and lets the test follow
 * each redirect itself.
 */
let browsers = 0;

export class CookieBrowser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** This browser's own client address, sent as X-Test-Client-Ip for a test server that reads it (serveLater's clientIp). */
  readonly address = `198.51.100.${(browsers++ % 250) + 1}`;

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  /** A cookie the browser already holds (a session signed in another way). */
  set(origin: string, name: string, value: string): void {
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    jar.set(name, value);
    this.jars.set(origin, jar);
  }

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    const headers = new Headers(init.headers);
    headers.set("x-test-client-ip", this.address);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (!value || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }
}
