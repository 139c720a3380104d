import type { RouteDoc } from "./registry.js";

const form = {
  messaging_product: "whatsapp",
  type: "the media's MIME type, e.g. image/jpeg (Meta's types and limits: README, \"Media\")",
  file: "the file (binary)",
};
const meta = { messaging_product: "whatsapp", url: "https://sandesh.example.com/media/download/1.eyJ3Ijoi….Mx3…", mime_type: "image/jpeg", sha256: "3b5e…", file_size: 303833, id: "1037543291543636" };

/** Media: upload, metadata with a Sandesh download link, the link itself, delete. */
export const MEDIA: RouteDoc[] = [
  { method: "post", path: "/v1/media", tag: "Media", summary: "Upload media to Meta with the number's token (streamed)", query: { from: "a connected phone-number id; needed when the workspace has several" }, body: { multipart: form }, responses: { 201: "{id, mime_type, file_size, sha256}", 413: "payload_too_large: past the type's limit", 422: "validation_failed: not a form Meta takes, or a type it does not" }, answer: { id: meta.id, mime_type: "image/jpeg", file_size: 303833, sha256: "3b5e…" } },
  { method: "get", path: "/v1/media/{id}", tag: "Media", summary: "The media's metadata and a download link valid 5 minutes", responses: { 200: "{id, mime_type, sha256, file_size, source, phone_number_id, download_url, download_url_expires_at, created_at}", 404: "Not this workspace's" } },
  { method: "delete", path: "/v1/media/{id}", tag: "Media", summary: "Delete the media at Meta and here", responses: { 204: "Deleted", 404: "Not this workspace's" } },
  { method: "post", path: "/{version}/{phoneNumberId}/media", tag: "Graph-compatible", summary: "Cloud API's media upload, streamed to Meta with the number's vaulted token", body: { multipart: form }, responses: { 200: "{id}" }, answer: { id: meta.id } },
  { method: "get", path: "/{version}/{mediaId}", tag: "Graph-compatible", summary: "Cloud API's media metadata, with `url` a Sandesh download link (5 minutes, no token needed)", responses: { 200: "{messaging_product, url, mime_type, sha256, file_size, id}" }, answer: meta },
  { method: "delete", path: "/{version}/{mediaId}", tag: "Graph-compatible", summary: "Cloud API's media delete", responses: { 200: "{success: true}" }, answer: { success: true } },
  { method: "get", path: "/media/download/{token}", tag: "Media", auth: "none", summary: "The bytes of the media a download link names, streamed from Meta; the link is the credential", responses: { 200: "The media's bytes, with Meta's Content-Type", 404: "Altered, expired, not Sandesh's, or the media was deleted" } },
];
