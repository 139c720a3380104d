import type postgres from "postgres";

/**
 * One connection of one's own, reserved for good and replaced when it dies.
 *
 * postgres.js hands a reserved connection back to the pool on release() even when its
 * socket has closed meanwhile; the next query on it then writes to a null socket from a
 * timer, outside any promise, and the process dies; and a reserve() that must open a
 * connection never answers (see session()).
 * So the writer keeps one reserved connection on a client of its own (max 1), asks
 * `alive()` before every statement, and on any doubt throws the whole client away: the
 * next session starts from a fresh client. A closed connection is never reused.
 */
export interface Session {
  sql: postgres.ReservedSql;
  /** False once the connection closed or was discarded: no statement may go out on it. */
  alive(): boolean;
}

export class ConnectionLost extends Error {
  readonly code = "CONNECTION_LOST";
  constructor(message = "the database connection was lost") {
    super(message);
    this.name = "ConnectionLost";
  }
}

/** Opens a client of at most one connection; `onclose` must fire when that connection closes. */
export type ClientFactory = (onclose: () => void) => postgres.Sql;

/** The connection in use: its client, its session once opened, and whether it has closed. */
interface Current {
  client: postgres.Sql;
  session: Promise<Session>;
  state: { dead: boolean };
  opened?: Session;
}

export class DedicatedConnection {
  private current: Current | undefined;

  constructor(private readonly open: ClientFactory) {}

  session(): Promise<Session> {
    if (this.current?.state.dead) this.discard();
    if (!this.current) {
      const state = { dead: false };
      const client = this.open(() => (state.dead = true));
      // Connected by a plain query first: postgres.js (3.4) never answers a reserve() that has
      // to open the connection itself when fetch_types is off; from `open` it answers at once.
      const session = client`select 1`.then(() => client.reserve()).then((sql) => ({ sql, alive: () => !state.dead }));
      const current: Current = { client, session, state };
      this.current = current;
      session.then(
        (opened) => void (current.opened = opened),
        () => {
          if (this.current === current) this.discard();
        },
      );
    }
    return this.current.session;
  }

  /**
   * Ends the client of this session, if it is still the current one: a flush that fails
   * late (its deadline passed and the lane has moved on) must not end its successor's.
   */
  discardSession(session: Session): void {
    if (this.current?.opened === session) this.discard();
  }

  /** Ends the client without waiting: pending statements fail, nothing more goes out on it. */
  discard(): void {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    c.state.dead = true;
    c.client.end({ timeout: 0 }).catch(() => undefined);
  }

  async close(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    c.state.dead = true;
    await c.client.end({ timeout: 1 }).catch(() => undefined);
  }
}
