import { encodeQR } from "qr";

/**
 * A QR code as inline SVG, made here on the server: the modules come from `qr` (pinned,
 * no dependencies, pure JS, so the Worker runs it too), the SVG is one path of each row's
 * dark runs, printed through hono/jsx like every other value. Nothing is fetched and
 * nothing is logged: the text may be a secret (an otpauth:// URI). Text too long for a
 * QR code gives no image (the page keeps its link).
 */
export function QrCode({ text, label }: { text: string; label: string }) {
  let modules: boolean[][];
  try {
    modules = encodeQR(text, "raw", { ecc: "medium", border: 2 });
  } catch {
    return null;
  }
  const d = modules
    .flatMap((row, y) => {
      const runs: string[] = [];
      for (let x = 0; x < row.length; x++) {
        if (!row[x]) continue;
        const start = x;
        while (row[x + 1]) x++;
        runs.push(`M${start} ${y}h${x - start + 1}v1h-${x - start + 1}Z`);
      }
      return runs;
    })
    .join("");
  const size = modules.length;
  return (
    <svg class="qr" role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} width="200" height="200" shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
