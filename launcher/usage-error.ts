/**
 * A problem with how worker-run was called or configured (launcher exit code 2).
 * The message is written for the user: what is wrong, and what to do.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
