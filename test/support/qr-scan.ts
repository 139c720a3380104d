import { decodeQR } from "qr/decode.js";
import { expect } from "vitest";

/** What a page's QR code (an inline SVG: one path of each row's dark runs) reads as, scanned: drawn 4 px a module, decoded. */
export function scanQr(html: string): string {
  const svg = /<svg class="qr"[^>]*viewBox="0 0 (\d+) \1"[^>]*>[\s\S]*?<path d="([^"]+)"/.exec(html);
  expect(svg).not.toBeNull();
  const modules = Number(svg![1]);
  const px = 4;
  const width = modules * px;
  const data = new Uint8Array(width * width * 4).fill(255);
  for (const [, x, y, w] of svg![2]!.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3Z/g)) {
    for (let row = Number(y) * px; row < (Number(y) + 1) * px; row++) {
      for (let col = Number(x) * px; col < (Number(x) + Number(w)) * px; col++) data.fill(0, (row * width + col) * 4, (row * width + col) * 4 + 3);
    }
  }
  return decodeQR({ width, height: width, data });
}
