/** What every admin command shares: its flags, its answer, and the error for bad usage (exit 2). */
export class UsageError extends Error {}

export type Flags = Record<string, string | boolean | undefined>;
export interface CommandResult {
  json: unknown;
  text: string;
  /** Non-zero: the command ran and found something wrong (printed, then this exit code). */
  exitCode?: number;
}
