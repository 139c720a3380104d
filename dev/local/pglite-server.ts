import { createServer, type AddressInfo, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

/**
 * PostgreSQL's wire protocol over TCP in front of one PGlite, for as many client
 * connections as the process opens (the app's pool, the queue's, the migrations').
 *
 * PGlite is one backend, so connections take turns, and a turn is a whole unit of work:
 * a client holds the backend from its first message to a Sync (or a simple Query) after
 * which no transaction block is open. Another client's Parse/Bind never lands between
 * someone's Parse and Sync (unnamed statements and portals would be crossed), and
 * nobody's statement runs inside someone else's transaction. A client that leaves in
 * the middle has its unit closed, its transaction rolled back and its prepared
 * statements deallocated before the next one is served. (@electric-sql/pglite-socket
 * interleaves message by message, which crosses extended-protocol units.)
 *
 * Unlike PostgreSQL, session state is shared: a plain SET from one client is seen by
 * all. Sandesh only sets transaction-local settings (set_config(…, true)).
 */

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

interface Conn {
  socket: Socket;
  buf: Buffer;
  started: boolean;
  /** Complete messages not yet run; `null` is the clean-up after the client left. */
  pending: (Buffer | null)[];
  closed: boolean;
  prepared: Set<string>;
}

export interface ServedPglite {
  host: string;
  port: number;
  /** Connections open now. */
  connections(): number;
  close(): Promise<void>;
}

/** A simple-protocol Query message. */
function query(text: string): Buffer {
  const body = Buffer.from(text + "\0", "utf8");
  const head = Buffer.alloc(5);
  head.write("Q", 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/** The C string after the type byte and length (a statement's name in Parse and Close). */
function cstringAt(msg: Buffer, at: number): string {
  const end = msg.indexOf(0, at);
  return msg.toString("utf8", at, end < 0 ? msg.length : end);
}

export async function servePglite(db: PGlite, opts: { host?: string; port?: number } = {}): Promise<ServedPglite> {
  const host = opts.host ?? "127.0.0.1";
  const conns = new Set<Conn>();
  /** Connections with messages waiting for a turn, in arrival order. */
  const waiting: Conn[] = [];
  let holder: Conn | null = null;
  let running = false;

  const run = async (msg: Buffer, onData?: (d: Uint8Array) => void) => {
    await db.execProtocolRawStream(new Uint8Array(msg), { onRawData: (d) => onData?.(d) });
  };

  /** Leaves the backend as a new connection would find it. */
  const cleanUp = async (c: Conn, midUnit: boolean) => {
    if (midUnit) await run(SYNC);
    if (db.isInTransaction()) await run(query("ROLLBACK"));
    for (const name of c.prepared) await run(query(`DEALLOCATE "${name.replace(/"/g, '""')}"`));
  };

  const pump = async () => {
    if (running) return;
    running = true;
    try {
      let midUnit = false;
      for (;;) {
        if (!holder) {
          holder = waiting.shift() ?? null;
          midUnit = false;
          if (!holder) break;
        }
        const c = holder;
        const msg = c.pending.shift();
        if (msg === undefined) break; // the holder's next message will resume us
        if (msg === null) {
          await cleanUp(c, midUnit).catch(() => {});
          holder = null;
          continue;
        }
        const type = c.started ? String.fromCharCode(msg[0]!) : "startup";
        if (type === "P") {
          const name = cstringAt(msg, 5);
          if (name) c.prepared.add(name);
        } else if (type === "C" && msg[5] === 0x53) {
          c.prepared.delete(cstringAt(msg, 6));
        }
        try {
          await run(msg, (d) => {
            if (d.length && !c.closed && c.socket.writable) c.socket.write(d);
          });
        } catch {
          c.socket.destroy();
        }
        c.started = true;
        const unitEnds = type === "startup" || type === "S" || type === "Q";
        midUnit = !unitEnds;
        if (unitEnds && !db.isInTransaction()) {
          holder = null;
          // Fair turns: what it sent meanwhile waits behind the others.
          if (c.pending.length) waiting.push(c);
        }
      }
    } finally {
      running = false;
    }
  };

  const enqueue = (c: Conn, msg: Buffer | null) => {
    c.pending.push(msg);
    if (holder !== c && !waiting.includes(c)) waiting.push(c);
    void pump();
  };

  const leave = (c: Conn) => {
    if (c.closed) return;
    c.closed = true;
    conns.delete(c);
    if (c.started) enqueue(c, null);
    else {
      const i = waiting.indexOf(c);
      if (i >= 0) waiting.splice(i, 1);
    }
  };

  const onData = (c: Conn, chunk: Buffer) => {
    c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
    while (!c.closed) {
      if (!c.started && c.pending.length === 0 && c.buf.length >= 8) {
        const len = c.buf.readInt32BE(0);
        const code = c.buf.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          c.buf = c.buf.subarray(8);
          c.socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST) {
          // One backend, nothing to signal.
          c.socket.destroy();
          return;
        }
        if (c.buf.length < len) return;
        enqueue(c, Buffer.from(c.buf.subarray(0, len)));
        c.buf = c.buf.subarray(len);
        continue;
      }
      if (!c.started && c.pending.length === 0) return;
      if (c.buf.length < 5) return;
      const len = 1 + c.buf.readInt32BE(1);
      if (c.buf.length < len) return;
      const msg = Buffer.from(c.buf.subarray(0, len));
      c.buf = c.buf.subarray(len);
      if (msg[0] === 0x58) {
        // Terminate: the backend stays; only this client goes.
        c.socket.end();
        leave(c);
        return;
      }
      enqueue(c, msg);
    }
  };

  const server = createServer((socket) => {
    const c: Conn = { socket, buf: Buffer.alloc(0), started: false, pending: [], closed: false, prepared: new Set() };
    conns.add(c);
    socket.setNoDelay(true);
    socket.on("data", (chunk) => onData(c, chunk));
    socket.on("error", () => leave(c));
    socket.on("close", () => leave(c));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    connections: () => conns.size,
    async close() {
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      // Let the last clean-up finish before the database closes.
      while (running || holder || waiting.length) await new Promise((r) => setImmediate(r));
    },
  };
}
