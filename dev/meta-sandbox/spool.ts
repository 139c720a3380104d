import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Webhooks not yet delivered, on disk, so the sandbox that runs inside `npm start` does not
 * drop them when Sandesh restarts (Meta, elsewhere, would keep them). A sequence (a
 * message's statuses still to post, in order) is written when its first delivery fails
 * and when the sandbox closes with it unfinished, removed once it is done, and picked up
 * by the next sandbox started on the same directory.
 */
export interface Spooled {
  url: string;
  bodies: string[];
  /** When the first delivery was first tried (ms since the epoch): the 7 days count from it. */
  firstAt: number;
}

export class WebhookSpool {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  save(id: string, entry: Spooled): void {
    const file = join(this.dir, `${id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(entry));
    renameSync(`${file}.tmp`, file);
  }

  drop(id: string): void {
    rmSync(join(this.dir, `${id}.json`), { force: true });
  }

  /** Every spooled sequence, each removed from disk as it is read (its new runner spools it again if need be). */
  takeAll(): Spooled[] {
    const out: Spooled[] = [];
    for (const name of readdirSync(this.dir).filter((n) => n.endsWith(".json")).sort()) {
      const file = join(this.dir, name);
      try {
        out.push(JSON.parse(readFileSync(file, "utf8")) as Spooled);
      } catch {
        // A torn or foreign file: not a webhook we can post.
      }
      rmSync(file, { force: true });
    }
    return out;
  }
}
