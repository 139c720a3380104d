import type { Duplex } from "node:stream";
import { SECURITY_HEADERS } from "../functions/middleware/security.js";

const ANSWERS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large", "request_header_fields_too_large", "The request's headers are too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "request_timeout", "The request took too long to arrive"],
};
const BAD_REQUEST: [number, string, string, string] = [400, "Bad Request", "bad_request", "The request is not valid HTTP"];

/**
 * Node's HTTP parser refuses some requests before the app sees them (a malformed
 * request line or header, headers over the limit). Left alone, Node answers those with
 * a bare status line; here they get the one error shape, a request id and the security
 * headers, as every other answer does. A socket already closing is only destroyed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] = ANSWERS[err.code ?? ""] ?? BAD_REQUEST;
  const requestId = crypto.randomUUID();
  const body = JSON.stringify({ error: { code, message, request_id: requestId } });
  const headers = {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    "X-Request-Id": requestId,
    Connection: "close",
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n${body}`);
}
