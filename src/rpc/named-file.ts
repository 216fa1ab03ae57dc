/**
 * Reading the files a process is configured with (token, certificates), with an error that names
 * the flag or setting that pointed at the file, so the user knows what to fix.
 */
import { readFileSync } from 'node:fs';

/** Reads `file`, or throws `cannot read <name> <file>: <reason>` (name: a flag or what the file is). */
export function readNamedFile(file: string, name: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${name} ${file}: ${(err as Error).message}`, { cause: err });
  }
}
