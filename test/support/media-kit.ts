import { afterAll, beforeAll } from "vitest";
import { startMetaSandbox, type MetaSandbox } from "../../dev/meta-sandbox/index.js";
import { startWorkers } from "../../dev/queue.js";
import { jobSender } from "./job-kit.js";
import { serveLater } from "./served.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./stack.js";
import { startReceiver, type Receiver } from "./webhook-receiver.js";

/**
 * A worked stack served on a real port that is also its PUBLIC_URL (download links
 * point back at it), a Meta sandbox, and one sender in it.
 */
export function useMediaStack() {
  const h = {} as { stack: TestStack; sandbox: MetaSandbox; receiver: Receiver; url: string; s: Awaited<ReturnType<typeof jobSender>> };
  let stop: (() => void) | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    h.sandbox = await startMetaSandbox({ appSecret: TEST_SECRETS.META_APP_SECRET, statusDelayMs: 5 });
    const served = await serveLater();
    h.url = served.url;
    h.stack = await createTestStack({ META_GRAPH_URL: h.sandbox.url, PUBLIC_URL: served.url }, { localQueue: true });
    served.attach(h.stack);
    h.sandbox.setWebhookUrl(`${served.url}/webhooks/meta`);
    h.receiver = await startReceiver();
    stop = await startWorkers(h.stack.services, { concurrency: 4 });
    h.s = await jobSender(h.stack, h.sandbox, h.receiver.url);
    close = async () => {
      stop?.();
      await served.close();
      await h.stack.close();
      await h.sandbox.close();
      await h.receiver.close();
    };
  });
  afterAll(() => close?.());
  return h;
}

/** A PNG's signature and then filler: what Meta's limits see is the type and the size. */
export function fakePng(size: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (let i = 8; i < size; i++) b[i] = (i * 31) & 0xff;
  return b;
}

/** Meta's upload form, fields in the order given (curl puts the file first). */
export function mediaForm(bytes: Uint8Array<ArrayBuffer>, type: string, opts: { fileFirst?: boolean; messagingProduct?: string } = {}): FormData {
  const f = new FormData();
  const file = () => f.set("file", new Blob([bytes], { type }), "photo.png");
  if (opts.fileFirst) file();
  f.set("messaging_product", opts.messagingProduct ?? "whatsapp");
  f.set("type", type);
  if (!opts.fileFirst) file();
  return f;
}
