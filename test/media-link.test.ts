import { describe, expect, it } from "vitest";
import type { Services } from "../lib/context.js";
import { MEDIA_LINK_TTL_S, openMediaLink, signMediaLink } from "../lib/media/link.js";
import { testConfig, TEST_SECRETS } from "./support/stack.js";

/** The download link's token: a signed claim only Sandesh's key opens, for its life only. */
const WS = "0190f0a0-0000-7000-8000-000000000001";
let now = new Date("2026-12-01T12:00:00Z");
const services = (env: Record<string, string> = {}) =>
  ({ config: testConfig({ DATABASE_URL: "postgres://x@127.0.0.1/x", REDIS_URL: "redis://127.0.0.1:6379", PUBLIC_URL: "https://sandesh.example.com", ...env }), clock: { now: () => now } }) as unknown as Services;

describe("media download links", () => {
  it("open to their claim until they expire, and never after", async () => {
    const s = services();
    const { url, expiresAt } = await signMediaLink(s, { workspaceId: WS, mediaId: "123456" });
    expect(url.startsWith("https://sandesh.example.com/media/download/")).toBe(true);
    expect(expiresAt.getTime() - now.getTime()).toBe(MEDIA_LINK_TTL_S * 1000);
    const token = url.split("/").pop()!;
    expect(await openMediaLink(s, token)).toEqual({ workspaceId: WS, mediaId: "123456", exp: expiresAt.getTime() / 1000 });
    now = new Date(expiresAt.getTime());
    expect(await openMediaLink(s, token)).toBeUndefined();
    now = new Date("2026-12-01T12:00:00Z");
  });

  it("do not open under another MASTER_KEK, and keep opening under an earlier key version after a rotation", async () => {
    const { url } = await signMediaLink(services(), { workspaceId: WS, mediaId: "42" });
    const token = url.split("/").pop()!;
    expect(await openMediaLink(services({ MASTER_KEK: "Zq8-another-high-entropy-key-4e1X9pLk2vB7nM0" }), token)).toBeUndefined();
    const rotated = services({ VAULT_KEY_VERSION: "2", MASTER_KEK: "Zq8-another-high-entropy-key-4e1X9pLk2vB7nM0", MASTER_KEK_V1: TEST_SECRETS.MASTER_KEK });
    expect(await openMediaLink(rotated, token)).toMatchObject({ workspaceId: WS, mediaId: "42" });
  });

  it("carry nothing of the vault or of Meta: the claim is the workspace, the media id and the expiry", async () => {
    const { url } = await signMediaLink(services(), { workspaceId: WS, mediaId: "42" });
    const [, claim] = url.split("/").pop()!.split(".");
    expect(Object.keys(JSON.parse(Buffer.from(claim!, "base64url").toString()) as object).sort()).toEqual(["e", "m", "w"]);
    expect(url).not.toContain(TEST_SECRETS.MASTER_KEK);
  });
});
