/**
 * Files that hold master keys or secrets must be private to the service's user (security
 * review, issue 13 item 8): the embedded data directory is made 0700 at every start, and a key
 * file that the group or others may read is refused rather than used.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';

export class KeyFileError extends Error {}

/** Creates the embedded data directory if needed and makes it 0700, at every start. */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Throws unless `file` is a regular file that only its owner may read or write. */
export function assertPrivateFile(file: string, what: string): void {
  const st = statSync(file);
  if (!st.isFile()) throw new KeyFileError(`${what} ${file} is not a regular file.`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new KeyFileError(
      `${what} ${file} is readable by other users (mode 0${mode.toString(8)}); refusing to use it. Run: chmod 600 ${file}`,
    );
  }
}
