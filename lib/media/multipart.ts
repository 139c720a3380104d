import { createHash } from "node:crypto";
import { concatBytes } from "../bytes.js";

/**
 * Reads a multipart/form-data upload as it streams through on its way to Meta, without
 * holding it: each chunk is shown here before it passes on unchanged; this notes the fields
 * (small, before or after the file), the file part's headers, and counts and hashes the
 * file's bytes. `limitFor` is asked for the file's limit once its headers are read; the
 * chunk that would pass it is never forwarded, so Meta never gets an oversized file, and
 * a form that turns out wrong at its end fails before its last byte goes out (the
 * request to Meta is then cut short and Meta stores nothing).
 */
export interface MediaForm {
  fields: Record<string, string>;
  file: { name: string; filename?: string; contentType?: string; size: number; sha256: string };
}

/** Fed each chunk before it goes on; a chunk it refuses must not go on. */
export interface MediaFormReader {
  push(chunk: Uint8Array): void;
  end(): void;
  form: Promise<MediaForm>;
  failure(): unknown;
  seen(): { fields: Record<string, string>; file?: { contentType?: string } };
}

export class MediaFormError extends Error {
  constructor(
    readonly kind: "malformed" | "too_large" | "refused",
    message: string,
  ) {
    super(message);
  }
}

/** Fields and part headers together stay under this; a file has no such bound but its type's. */
const MAX_FIELDS_BYTES = 64 * 1024;

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

const latin1 = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.length ? concatBytes([a, b]) : b;
}

export function inspectMediaForm(
  boundary: string,
  limitFor: (fields: Record<string, string>, file: { contentType?: string }) => number,
  finish: (form: MediaForm) => void,
): MediaFormReader {
  const enc = new TextEncoder();
  const delim = enc.encode(`--${boundary}`);
  const bodyEnd = enc.encode(`\r\n--${boundary}`);
  const fields: Record<string, string> = {};
  let file: (MediaForm["file"] & { max: number }) | undefined;
  let fileDone = false;
  const hash = createHash("sha256");
  let phase: "fields" | "file" | "done" = "fields";
  let pending: Uint8Array = new Uint8Array(0);
  let fieldBytes = 0;
  let started = false;
  let finished = false;
  let failed: unknown;
  let resolve!: (f: MediaForm) => void;
  let reject!: (e: unknown) => void;
  const form = new Promise<MediaForm>((res, rej) => ((resolve = res), (reject = rej)));
  form.catch(() => {});

  const fileBytes = (b: Uint8Array) => {
    file!.size += b.length;
    if (file!.size > file!.max) throw new MediaFormError("too_large", `the file is larger than its type allows`);
    hash.update(b);
  };

  /** Parts from `pending`, as far as they are complete. */
  function parseFields() {
    for (;;) {
      if (phase !== "fields") return;
      if (!started) {
        const at = indexOf(pending, delim);
        if (at === -1) return;
        pending = pending.subarray(at);
        started = true;
      }
      // pending starts at a delimiter: `--B--` ends the form, `--B\r\n` opens a part.
      if (pending.length < delim.length + 2) return;
      const after = latin1(pending.subarray(delim.length, delim.length + 2));
      if (after === "--") {
        phase = "done";
        return;
      }
      if (after !== "\r\n") throw new MediaFormError("malformed", "the multipart body is malformed");
      const headEnd = indexOf(pending, enc.encode("\r\n\r\n"), delim.length + 2);
      if (headEnd === -1) return;
      const head = latin1(pending.subarray(delim.length + 2, headEnd));
      const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(head)?.[1] ?? "";
      const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
      const contentType = /^content-type:\s*(.+)$/im.exec(head)?.[1]?.trim();
      if (name === undefined) throw new MediaFormError("malformed", "a form part has no name");
      const rest = pending.subarray(headEnd + 4);
      if (name === "file" || filename !== undefined) {
        if (file || name !== "file") throw new MediaFormError("malformed", "the form must hold one file, in the field `file`");
        file = { name, ...(filename !== undefined ? { filename } : {}), ...(contentType ? { contentType } : {}), size: 0, sha256: "", max: limitFor(fields, contentType ? { contentType } : {}) };
        phase = "file";
        pending = new Uint8Array(0);
        fileChunk(rest);
        return;
      }
      const end = indexOf(rest, bodyEnd);
      if (end === -1) return;
      fields[name] = new TextDecoder().decode(rest.subarray(0, end));
      pending = rest.subarray(end + 2);
    }
  }

  function fileChunk(chunk: Uint8Array) {
    const buf = concat(pending, chunk);
    const end = indexOf(buf, bodyEnd);
    if (end === -1) {
      // Keep what could be the start of the closing delimiter; the rest is the file's.
      const keep = Math.min(buf.length, bodyEnd.length - 1);
      fileBytes(buf.subarray(0, buf.length - keep));
      pending = buf.slice(buf.length - keep);
      return;
    }
    fileBytes(buf.subarray(0, end));
    file!.sha256 = hash.digest("hex");
    fileDone = true;
    phase = "fields";
    pending = buf.slice(end + 2);
    parseFields();
  }

  const fail = (err: unknown) => {
    failed ??= err;
    reject(err);
    return err;
  };

  return {
    push(chunk) {
      try {
        if (phase === "file") fileChunk(chunk);
        else if (phase === "fields") {
          fieldBytes += chunk.length;
          pending = concat(pending, chunk);
          parseFields();
          if (phase === "fields" && fieldBytes > MAX_FIELDS_BYTES) throw new MediaFormError("malformed", "the form's fields are too large");
        }
        // Judged before the chunk holding the closing boundary goes out: Meta never sees a whole form Sandesh refused.
        if (phase === "done" && !finished) {
          finished = true;
          if (!file || !fileDone) throw new MediaFormError("malformed", "the form has no file (field `file`)");
          const { max: _max, ...f } = file;
          const out = { fields, file: f };
          finish(out);
          resolve(out);
        }
      } catch (err) {
        throw fail(err);
      }
    },
    end() {
      if (!finished) throw fail(new MediaFormError("malformed", file ? "the multipart body ends before its closing boundary" : "the form has no file (field `file`)"));
    },
    form,
    failure: () => failed,
    seen: () => ({ fields, ...(file ? { file } : {}) }),
  };
}
