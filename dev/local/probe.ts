import { Socket } from "node:net";

/** Does anything accept TCP connections at host:port? Answers within `ms`. */
export function tcpAnswers(host: string, port: number, ms = 800): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(ms, () => done(false));
    sock.once("error", () => done(false));
    sock.connect(port, host, () => done(true));
  });
}
